"""C4's heuristic cleaning: line removal (a text transform) and the page keep decision.

Paper: Raffel et al. 2020, "Exploring the Limits of Transfer Learning with a Unified Text-to-Text
Transformer", §2.2 ("Colossal Clean Crawled Corpus"). Reference implementations: datatrove
0.10.1, ``datatrove/pipeline/filters/c4_filters.py`` (``C4QualityFilter``, preset ``paper``, the
default) and TensorFlow Datasets ``tensorflow_datasets/text/c4_utils.py`` (``clean_page``, preset
``tfds``). Both tools edit the text and decide in one pass; here ``c4_clean_lines`` is the
transform (text in, cleaned text and per-rule removed-line counts out) and ``c4_quality`` the
decision on the cleaned result, so a Spark job can apply one and keep the other's reason.

The text is split with ``str.splitlines``; each line is stripped, then, in datatrove's order:

1. ``c4_line_too_long_word``: a whitespace-separated word longer than ``max_word_chars`` (1000);
2. citation markers ``[12]``, ``[]``, ``[edit]``, ``[citation needed]`` are deleted
   (``remove_citations``);
3. ``c4_line_no_terminal_punct``: the line must end in one of ``terminal_marks`` and not in
   ``...`` (``require_terminal_punct``);
4. ``c4_line_too_few_words``: fewer than ``min_words_per_line`` (3) whitespace words, counted
   *before* citation removal as datatrove does (TFDS counts after: ``words_after_citations``);
5. page rule ``c4_lorem_ipsum``: "lorem ipsum" anywhere in a line that got this far (any case);
6. ``c4_line_javascript``: the line mentions "javascript" (any case);
7. page rule ``c4_curly_bracket``: a ``{`` in a line that got this far;
8. ``c4_line_policy``: "terms of use", "privacy policy", "cookie policy", "uses cookies",
   "use of cookies" or "use cookies" (any case);
9. page rule ``c4_too_few_sentences``: the kept lines hold fewer than ``min_sentences`` (5)
   sentences, each line counted by ``webcurate.text.sentences.count_sentences`` (datatrove's
   spaCy ``sentencizer``, see there). The cleaned text is the kept lines joined by ``\\n``.

Reasons map datatrove's one to one: ``lorem_ipsum`` -> ``c4_lorem_ipsum``, ``curly_bracket`` ->
``c4_curly_bracket``, ``too_few_sentences`` -> ``c4_too_few_sentences``; the line rules are
datatrove's ``line-filter-*`` counters (``too_long_word``, ``no_terminal_punc``,
``too_few_words``, ``javascript``, ``policy``), here ``removed_counts`` keys and signals. A page
rule fires on the first line that reaches it, so the reason is the first page rule in text order,
as in datatrove; signals are still measured over the whole text (datatrove stops reading there).

Left out on purpose: the bad-words rule (datatrove's separate ``C4BadWordsFilter``; it needs a
word list download), datatrove's ``split_paragraph=False`` mode (sentences instead of lines), the
page-level deduplication of three-sentence spans and the langdetect step of C4 (other stages of
webcurate), and mC4's paragraph filter. ``tfds`` preset differences from TFDS itself: TFDS counts
sentences with NLTK punkt, here the spaCy-equivalent splitter is used for both presets; TFDS
lines need 5 words, ``. ? ! "`` (no ``'``), and 3 sentences per page.

Parity with datatrove 0.10.1 (``make parity``: ``tests/parity/parity.py``, the 697
CC-MAIN-2019-30 documents): 696/697 identical decisions and reasons (99.86%); 200/200 on the
committed fixture. The one difference is ``c4_too_few_sentences`` on a Tamil page datatrove
keeps: spaCy splits a final ``.`` off a word ending in a vowel sign (category ``Mc``/``Mn``,
which spaCy's lowercase class holds for uncased scripts), our word splitter leaves it attached,
so sentence breaks are missed. Adding marks to the word splitter's period rule gives 697/697.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from webcurate.config import option
from webcurate.filters.base import Signals, Verdict
from webcurate.text.segmenters import is_segmented, words_of
from webcurate.text.sentences import count_sentences

REASON_LOREM_IPSUM = "c4_lorem_ipsum"
REASON_CURLY_BRACKET = "c4_curly_bracket"
REASON_TOO_FEW_SENTENCES = "c4_too_few_sentences"

LINE_TOO_LONG_WORD = "c4_line_too_long_word"
LINE_NO_TERMINAL_PUNCT = "c4_line_no_terminal_punct"
LINE_TOO_FEW_WORDS = "c4_line_too_few_words"
LINE_JAVASCRIPT = "c4_line_javascript"
LINE_POLICY = "c4_line_policy"
LINE_RULES = (LINE_TOO_LONG_WORD, LINE_NO_TERMINAL_PUNCT, LINE_TOO_FEW_WORDS, LINE_JAVASCRIPT,
              LINE_POLICY)

# Wikipedia-style citation markers: "[3]", "[]", "[edit]", "[citation needed]".
_CITATION = re.compile(r"\[(?:[0-9]*|edit|citation needed)\]")
_ELLIPSIS = "..."
POLICY_PHRASES = ("terms of use", "privacy policy", "cookie policy", "uses cookies",
                  "use of cookies", "use cookies")


@dataclass(frozen=True)
class C4QualityConfig:
    """C4 line and page rules (datatrove's defaults, the ``paper`` preset); ``None`` disables."""

    max_word_chars: int | None = option(
        1000, help="drop a line with a whitespace word longer than this many characters", min=1)
    remove_citations: bool = option(
        True, help="delete [12], [edit], [citation needed] markers from lines")
    require_terminal_punct: bool = option(
        True, help="drop a line not ending in a terminal mark, or ending in '...'")
    terminal_marks: tuple[str, ...] = option(
        (".", "?", "!", '"', "'"), help="characters a kept line may end with")
    min_words_per_line: int | None = option(
        3, help="drop a line with fewer whitespace-separated words", min=0)
    words_after_citations: bool = option(
        False, help="count a line's words after citation removal (TFDS) instead of before")
    drop_lorem_ipsum: bool = option(True, help="reject a page with 'lorem ipsum' in a line")
    drop_javascript_lines: bool = option(True, help="drop lines mentioning 'javascript'")
    drop_curly_bracket: bool = option(True, help="reject a page with '{' in a line")
    drop_policy_lines: bool = option(True, help="drop lines with cookie/terms/privacy phrases")
    min_sentences: int | None = option(
        5, help="reject a page whose kept lines hold fewer sentences", min=0)
    language: str = option("en", help="language of the sentence splitter")


@dataclass(frozen=True)
class C4TfdsConfig(C4QualityConfig):
    """The same rules with TFDS ``c4_utils`` defaults (the code that made the C4 dataset)."""

    terminal_marks: tuple[str, ...] = option(
        (".", "?", "!", '"'), help="characters a kept line may end with")
    min_words_per_line: int | None = option(
        5, help="drop a line with fewer whitespace-separated words", min=0)
    words_after_citations: bool = option(
        True, help="count a line's words after citation removal (TFDS) instead of before")
    min_sentences: int | None = option(
        3, help="reject a page whose kept lines hold fewer sentences", min=0)


C4_PAPER = C4QualityConfig()
C4_TFDS = C4TfdsConfig()
PRESETS = {"paper": C4_PAPER, "tfds": C4_TFDS}


def c4_preset(name: str) -> C4QualityConfig:
    """The named preset: ``paper`` (datatrove's defaults) or ``tfds`` (TFDS ``c4_utils``)."""
    if name not in PRESETS:
        raise ValueError(f"unknown C4 preset {name!r} (known: {', '.join(PRESETS)})")
    return PRESETS[name]


def line_rule(line: str, config: C4QualityConfig) -> tuple[str, str | None]:
    """(the line after citation removal, the line rule that removes it or ``None``).

    ``line`` is already stripped. Page rules are not checked here (see ``page_hits``).
    """
    # Whitespace words, as C4; a language written without spaces (config.language set per
    # document by fineweb2_c4) counts its segmenter's words instead.
    segmented = is_segmented(config.language)
    words = words_of(line, config.language) if segmented else line.split()
    if config.max_word_chars is not None and any(len(w) > config.max_word_chars for w in words):
        return line, LINE_TOO_LONG_WORD
    if config.remove_citations:
        line = _CITATION.sub("", line)
    if config.require_terminal_punct and (
            not line.endswith(config.terminal_marks) or line.endswith(_ELLIPSIS)):
        return line, LINE_NO_TERMINAL_PUNCT
    n_words = len(words) if not config.words_after_citations else len(
        words_of(line, config.language) if segmented else line.split())
    if config.min_words_per_line is not None and n_words < config.min_words_per_line:
        return line, LINE_TOO_FEW_WORDS
    lowered = line.lower()
    if config.drop_javascript_lines and "javascript" in lowered:
        return line, LINE_JAVASCRIPT
    if config.drop_policy_lines and any(p in lowered for p in POLICY_PHRASES):
        return line, LINE_POLICY
    return line, None


def page_hits(line: str, config: C4QualityConfig) -> tuple[bool, bool]:
    """(lorem ipsum, curly bracket): the page rules a line that passed the first line rules
    triggers, measured whether or not they are enabled (so they can be switched on later).

    A line the javascript rule removes cannot trigger ``c4_curly_bracket`` (datatrove's order).
    """
    lowered = line.lower()
    lorem = "lorem ipsum" in lowered
    curly = "{" in line and not (config.drop_javascript_lines and "javascript" in lowered)
    return lorem, curly


def _scan(text: str, config: C4QualityConfig) -> tuple[list[str], dict[str, int], Signals]:
    """Kept lines, removed-line counts per rule, and the first line index of each page rule."""
    kept: list[str] = []
    removed = dict.fromkeys(LINE_RULES, 0)
    first = {"c4_lorem_ipsum_line": None, "c4_curly_bracket_line": None}
    for index, raw_line in enumerate(text.splitlines()):
        line, rule = line_rule(raw_line.strip(), config)
        if rule in (LINE_TOO_LONG_WORD, LINE_NO_TERMINAL_PUNCT, LINE_TOO_FEW_WORDS):
            removed[rule] += 1
            continue
        for key, hit in zip(first, page_hits(line, config), strict=True):
            if hit and first[key] is None:
                first[key] = index
        if rule is not None:
            removed[rule] += 1
            continue
        kept.append(line)
    return kept, removed, first


def c4_clean_lines(text: str, config: C4QualityConfig = C4_PAPER) -> tuple[str, dict[str, int]]:
    """The transform: ``text`` without the lines C4's line rules remove, and how many per rule.

    Lines that trigger a page rule are kept here; ``c4_quality`` rejects such pages.
    """
    kept, removed, _ = _scan(text, config)
    return "\n".join(kept).strip(), removed


def c4_decision(signals: Signals, config: C4QualityConfig) -> str | None:
    """The page rule that rejects, from measured ``signals``: the enabled page rule hit on the
    earliest line (lorem ipsum first on a tie, as datatrove checks it first), then sentences."""
    hits = [(signals[key], order, reason) for order, (key, enabled, reason) in enumerate((
        ("c4_lorem_ipsum_line", config.drop_lorem_ipsum, REASON_LOREM_IPSUM),
        ("c4_curly_bracket_line", config.drop_curly_bracket, REASON_CURLY_BRACKET)))
        if enabled and signals[key] is not None]
    if hits:
        return min(hits)[2]
    if config.min_sentences is not None and signals["c4_sentences"] < config.min_sentences:
        return REASON_TOO_FEW_SENTENCES
    return None


def _measure(text: str, config: C4QualityConfig) -> tuple[list[str], Signals]:
    kept, removed, first = _scan(text, config)
    n_sentences = sum(count_sentences(line, config.language) for line in kept)
    signals: Signals = {"c4_lines": len(text.splitlines()), "c4_kept_lines": len(kept),
                        "c4_sentences": n_sentences, **removed, **first}
    return kept, signals


def c4_quality(text: str, config: C4QualityConfig = C4_PAPER) -> Verdict:
    """The decision: keep ``text`` or the first failing page rule, with every signal.

    Decides on the cleaned lines, as datatrove does; the text itself is not changed here.
    """
    _, signals = _measure(text, config)
    reason = c4_decision(signals, config)
    return Verdict.decided(reason, signals)


def c4_filter(text: str, config: C4QualityConfig = C4_PAPER) -> tuple[str, Verdict]:
    """Transform and decision in one scan: (the cleaned text, the verdict), as a chain runs C4."""
    kept, signals = _measure(text, config)
    reason = c4_decision(signals, config)
    verdict = Verdict.decided(reason, signals)
    return "\n".join(kept).strip(), verdict
