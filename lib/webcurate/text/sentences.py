"""Sentence counting equivalent to the splitter datatrove 0.10.1's C4 filter uses for English.

Finding: ``C4QualityFilter`` counts a line's sentences with ``split_into_sentences(line, "eng")``,
which calls ``load_word_tokenizer("eng").span_tokenize``. ``assets/tokenizer_assignment.csv`` maps
``eng`` to ``SpaCyTokenizer("en")``: ``spacy.blank("en")`` plus spaCy's rule-based
``sentencizer`` pipe (not NLTK punkt, not a statistical parser). The sentencizer works on spaCy's
*tokens*: a sentence starts at token 0 and at the first token after a sentence-final mark that is
neither punctuation itself nor a sentence-final mark. So ``"Hi. Bye"`` is two sentences,
``"e.g. this"`` and ``"Mr. Smith"`` one (the period stays inside the abbreviation token),
``"wait... what"`` one (``...`` is one token, not a final mark) and ``'"Go." He'`` two (the
closing quote is punctuation, so the break moves past it).

This module re-states those rules over the tokens of ``webcurate.text.words.split_words`` (the
same spaCy tokenisation, re-written as rules), so no spaCy is needed:

1. *final marks*: single-character tokens in spaCy 3's ``Sentencizer.default_punct_chars``, which
   is datatrove's Unicode-15 terminal-punctuation set without the marks added after Unicode 10
   (listed in ``_NOT_IN_SPACY``);
2. *punctuation*: tokens whose every character is in a Unicode ``P*`` category (spaCy's
   ``is_punct``);
3. *whitespace tokens*: spaCy turns every whitespace run other than one plain space into a token
   of its own, which counts as a non-punctuation token; ``split_words`` drops whitespace, so
   those runs are found here and kept as markers. This matters only for a final mark followed by
   such a run and then only punctuation (``"Hi.  ."`` is two sentences).

Residual difference: whatever ``split_words`` tokenises differently from spaCy (rare
abbreviations, emoticons) can move a break; the sentence count changes only when a final mark
is involved. spaCy's one-token-per-character fallback for texts over ``max_length`` is not
needed (datatrove raises ``max_length`` to the text length).
"""

from __future__ import annotations

import re
import sys
import unicodedata

import regex

from webcurate.text.words import split_words

# datatrove's terminal marks are Unicode 15.0's Sentence_Terminal characters plus three Khmer
# signs; the installed ``regex`` knows a newer Unicode, whose additions are taken back out.
_KHMER_EXTRA = {"\u17d6", "\u17d9", "\u17da"}
_NEWER_THAN_UNICODE_15 = {
    "\u1b4e", "\u1b4f", "\u1b7f", "\u2024", "\u2cf9", "\u2cfa", "\u2cfb", "\u2e60", "\u2e61",
    "\ufe12", "\ufe15", "\ufe16", "\U000113d4", "\U000113d5", "\U00016d6e", "\U00016d6f",
}


def _sentence_terminals() -> frozenset[str]:
    every_char = "".join(map(chr, range(sys.maxunicode + 1)))
    found = set(regex.findall(r"\p{Sentence_Terminal}", every_char))
    return frozenset((found - _NEWER_THAN_UNICODE_15) | _KHMER_EXTRA)


TERMINAL_PUNCTUATION: frozenset[str] = _sentence_terminals()

# Sentence_Terminal marks that spaCy's sentencizer list does not have (added after Unicode 10).
_NOT_IN_SPACY = {
    "\u061d", "\u061e", "\u0837", "\u0839", "\u083d", "\u083e", "\u17d4", "\u17d5", "\u17d6",
    "\u17d9", "\u17da", "\u1b7d", "\u1b7e", "\u2e53", "\u2e54", "\U00010f55", "\U00010f56",
    "\U00010f57", "\U00010f58", "\U00010f59", "\U00010f86", "\U00010f87", "\U00010f88",
    "\U00010f89", "\U00011944", "\U00011946", "\U00011ef7", "\U00011ef8", "\U00011f43",
    "\U00011f44", "\U00016e98",
}
SENTENCE_FINAL_MARKS: frozenset[str] = TERMINAL_PUNCTUATION - _NOT_IN_SPACY

# A whitespace run that spaCy makes a token: two or more characters, or one that is not " ".
_WHITESPACE_TOKEN = re.compile(r"\s{2,}|[^\S ]")
WHITESPACE_MARKER = " "


def is_punct(token: str) -> bool:
    """True when every character is Unicode punctuation (``P*``), as spaCy's ``is_punct``."""
    return all(unicodedata.category(char).startswith("P") for char in token)


def sentencizer_tokens(text: str, language: str = "en") -> list[str]:
    """``split_words`` tokens, with ``WHITESPACE_MARKER`` where spaCy has a whitespace token."""
    tokens: list[str] = []
    start = 0
    for run in _WHITESPACE_TOKEN.finditer(text):
        tokens.extend(split_words(text[start:run.start()], language))
        tokens.append(WHITESPACE_MARKER)
        start = run.end()
    tokens.extend(split_words(text[start:], language))
    return tokens


def sentence_starts(tokens: list[str]) -> list[int]:
    """Token indices where spaCy's rule-based sentencizer starts a sentence."""
    if not tokens:
        return []
    starts = [0]
    after_final_mark = False
    for i, token in enumerate(tokens):
        is_final = token in SENTENCE_FINAL_MARKS
        if after_final_mark and not is_final and not is_punct(token):
            starts.append(i)
            after_final_mark = False
        elif is_final:
            after_final_mark = True
    return starts


def count_sentences(text: str, language: str = "en") -> int:
    """Number of sentences in ``text`` as datatrove's ``split_into_sentences`` returns them.

    An empty text still counts as one part there (one empty sentence), so this returns 1 for it.
    """
    return max(1, len(sentence_starts(sentencizer_tokens(text, language))))
