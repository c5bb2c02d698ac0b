"""Words of a text in its own language: one interface, a segmenter per unsegmented script.

FineWeb-2 (Penedo et al. 2025, huggingface/fineweb-2) carries FineWeb's word-based rules to other
languages by giving each language its own word tokenizer (datatrove's
``utils/word_tokenizers.py`` and its ``tokenizer_assignment.csv``): spaCy's rule-based tokenizer
for languages written with spaces, and dictionary / model segmenters for scripts written without
them. Here:

- **space-separated scripts** (every language without an entry below, English included):
  :func:`webcurate.text.words.split_words`, our restatement of spaCy's English rules (whitespace,
  then punctuation peeled off). datatrove uses spaCy's own rules of each language; the
  punctuation and whitespace rules are shared across spaCy's languages, its per-language
  exceptions (contractions, abbreviations) are not restated here.
- **Chinese** (``zh``, also ``yue``, ``wuu``, ``gan``, ``lzh``): ``jieba`` (PyPI, MIT), the
  segmenter spaCy's Chinese tokenizer runs in datatrove; dictionary bundled, nothing downloaded.
- **Japanese** (``ja``): ``sudachipy`` with ``sudachidict_core`` (PyPI, Apache-2.0, maintained by
  Works Applications), split mode A: what spaCy's Japanese tokenizer runs in datatrove.
- **Thai** (``th``): ``pythainlp``'s ``newmm`` dictionary segmenter (PyPI, Apache-2.0), what
  spaCy's Thai tokenizer runs in datatrove; dictionary bundled.
- **Korean** (``ko``): ``kiwipiepy`` (PyPI, LGPL-3.0, model in ``kiwipiepy_model``), datatrove's
  ``KiwiTokenizer``. We keep each morpheme's *surface* span of the text (datatrove keeps Kiwi's
  normalised form, e.g. ``아름답`` for ``아름다운``), so character fractions stay fractions of the
  text.

A segmenter's tokens are stripped and the blank ones dropped, as datatrove does. Languages
datatrove gives other dedicated tokenizers (Vietnamese: pyvi; Khmer, Lao, Burmese, Tibetan) use
the space-separated rules here: see the README's "Languages" section. Segmenters load lazily,
once per process (an executor loads only those its documents need).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from webcurate.text.words import split_words

Splitter = Callable[[str], list[str]]

DEFAULT_SPLITTER = "spaces"
#: Language code (lid.176's, or a GlotLID ``xxx_Script`` label's ISO 639-3 part) -> segmenter.
SEGMENTER_OF_LANGUAGE: dict[str, str] = {
    "zh": "jieba", "yue": "jieba", "wuu": "jieba", "gan": "jieba", "lzh": "jieba",
    "cmn": "jieba", "zho": "jieba",
    "ja": "sudachi", "jpn": "sudachi",
    "th": "pythainlp", "tha": "pythainlp",
    "ko": "kiwi", "kor": "kiwi",
}


def _strip(tokens) -> list[str]:
    return [s for s in (t.strip() for t in tokens) if s]


@functools.cache
def _jieba() -> Splitter:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return lambda text: _strip(tokenizer.cut(text))


@functools.cache
def _sudachi() -> Splitter:
    from sudachipy import Dictionary, SplitMode

    tokenizer = Dictionary(dict="core").tokenizer(mode=SplitMode.A)

    def split(text: str) -> list[str]:
        # Sudachi refuses inputs above ~49,000 bytes: segment long texts line by line.
        words: list[str] = []
        for line in text.splitlines() if len(text.encode()) > 40_000 else [text]:
            for chunk in (line[i:i + 10_000] for i in range(0, len(line), 10_000)):
                words += _strip(m.surface() for m in tokenizer.tokenize(chunk))
        return words

    return split


@functools.cache
def _pythainlp() -> Splitter:
    from pythainlp.tokenize import word_tokenize

    return lambda text: _strip(word_tokenize(text, engine="newmm", keep_whitespace=False))


@functools.cache
def _kiwi() -> Splitter:
    from kiwipiepy import Kiwi

    kiwi = Kiwi()
    # split_sents=False: the same morphemes, ~4x faster (no sentence boundary search).
    return lambda text: _strip(text[t.start:t.start + t.len]
                               for t in kiwi.tokenize(text, split_sents=False))


_SEGMENTERS: dict[str, Callable[[], Splitter]] = {
    "jieba": _jieba, "sudachi": _sudachi, "pythainlp": _pythainlp, "kiwi": _kiwi,
    DEFAULT_SPLITTER: lambda: split_words,
}
SEGMENTERS = tuple(_SEGMENTERS)


def base_language(language: str | None) -> str:
    """``zh``, ``cmn_Hani`` -> ``cmn``, ``zh-Hant`` -> ``zh``: the code segmenters are keyed by."""
    return (language or "").split("_")[0].split("-")[0].lower()


@functools.lru_cache(maxsize=4096)  # called per line by C4's rules: labels are few
def segmenter_name(language: str | None) -> str:
    """The segmenter a language's words come from (``spaces`` unless it has its own)."""
    return SEGMENTER_OF_LANGUAGE.get(base_language(language), DEFAULT_SPLITTER)


def is_segmented(language: str | None) -> bool:
    """Whether ``language`` has a dedicated segmenter (its words are not whitespace-delimited)."""
    return segmenter_name(language) != DEFAULT_SPLITTER


def splitter_for(language: str | None) -> Splitter:
    """``text -> words`` for ``language`` (loaded once per process)."""
    return _SEGMENTERS[segmenter_name(language)]()


def words_of(text: str, language: str | None) -> list[str]:
    """The words of ``text`` in ``language``: the one entry point every word-based rule uses."""
    if not text:
        return []
    return splitter_for(language)(text)


def segmented_text(text: str, language: str | None) -> str:
    """``text`` with its words separated by spaces when its language has a segmenter (for
    consumers that split at whitespace, e.g. dedup's shingles); otherwise ``text`` unchanged."""
    if not text or not is_segmented(language):
        return text
    return " ".join(words_of(text, language))
