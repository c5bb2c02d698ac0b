"""The built-in filter families as plugins: each tuple here is one ``webcurate.filters`` entry
point in ``setup.py``, registered exactly as a third-party package's filters are.

Each entry is a thin adapter over a pure family function (its module's docstring cites the paper
and the reference implementation); the signal schemas are declared, not guessed by running the
filter on a probe text.
"""

from __future__ import annotations

from webcurate.filters import (
    badwords,
    c4,
    c4_langdetect,
    fineweb,
    gopher,
    language,
    length,
    multilingual,
    refinedweb,
    url_blocklist,
)
from webcurate.filters.plugin import Document, Filter, Transform
from webcurate.resources import filters as resource_loaders


def _ints(*names: str) -> tuple[tuple[str, type], ...]:
    return tuple((name, int) for name in names)


def _floats(*names: str) -> tuple[tuple[str, type], ...]:
    return tuple((name, float) for name in names)


GOPHER = (
    Filter("gopher_quality", gopher.GopherQualityConfig,
           signals=(("gopher_word_count", int), *_floats(
               "gopher_mean_word_length", "gopher_hash_word_ratio", "gopher_ellipsis_word_ratio",
               "gopher_bullet_lines_frac", "gopher_ellipsis_lines_frac",
               "gopher_alpha_words_frac"), ("gopher_stop_word_count", int)),
           measure=lambda doc, config, _: gopher.gopher_quality(doc.text, config, doc.words),
           decide=gopher.gopher_quality_decision,
           summary="Gopher quality rules (Rae et al. 2021)"),
    Filter("gopher_repetition", gopher.GopherRepetitionConfig,
           signals=_floats(*gopher.REPETITION_SIGNALS),
           measure=lambda doc, config, _: gopher.gopher_repetition(
               doc.text, config, doc.words if doc.text else []),
           decide=gopher.gopher_repetition_decision,
           summary="Gopher repetition removal (Rae et al. 2021, Table A1)"),
)

_C4_SIGNALS = _ints("c4_lines", "c4_kept_lines", "c4_sentences", "c4_line_too_long_word",
                    "c4_line_no_terminal_punct", "c4_line_too_few_words", "c4_line_javascript",
                    "c4_line_policy", "c4_lorem_ipsum_line", "c4_curly_bracket_line")


def _c4(doc: Document, config, _resources):
    return c4.c4_filter(doc.text, config)


C4 = (
    Transform("c4", c4.C4QualityConfig, _C4_SIGNALS, _c4, c4.c4_decision,
              summary="C4 line removal and page rules, paper / datatrove defaults"),
    Transform("c4_tfds", c4.C4TfdsConfig, _C4_SIGNALS, _c4, c4.c4_decision,
              summary="C4 line removal and page rules as TFDS c4_utils has them"),
    Filter("c4_badwords", badwords.C4BadWordsConfig, badwords.SIGNALS,
           measure=lambda doc, config, lists: badwords.c4_badwords(doc.text, doc.language,
                                                                   config, lists),
           decide=badwords.c4_badwords_decision,
           load_resources=resource_loaders.load_c4_badwords_resources,
           summary="C4's LDNOOBW bad-words page filter, per document language"),
    Filter("c4_langdetect", c4_langdetect.LangdetectConfig, c4_langdetect.SIGNALS,
           measure=lambda doc, config, _: c4_langdetect.c4_langdetect(doc.text, config),
           decide=c4_langdetect.c4_langdetect_decision,
           summary="C4's language step: langdetect on the text as the chain has it, en >= "
                   "0.99"),
)

FINEWEB = (
    Filter("fineweb", fineweb.FineWebQualityConfig,
           signals=(("fineweb_lines", int), *_floats(
               "fineweb_line_punct_ratio", "fineweb_short_line_ratio",
               "fineweb_dup_line_char_ratio", "fineweb_newlines_per_word")),
           measure=lambda doc, config, _: fineweb.fineweb_quality(doc.text, config, doc.words),
           decide=fineweb.fineweb_decision,
           summary="FineWeb's own quality rules (Penedo et al. 2024)"),
    Filter("url_blocklist", url_blocklist.UrlBlocklistConfig, url_blocklist.SIGNALS,
           measure=lambda doc, config, lists: url_blocklist.url_blocklist(doc.url, config,
                                                                         lists),
           decide=url_blocklist.url_blocklist_decision,
           load_resources=resource_loaders.load_url_blocklist_resources,
           summary="FineWeb's URL filter: UT1 domain/url blocklists, banned words and "
                   "subwords"),
)

REFINEDWEB = (
    Filter("refinedweb_url", refinedweb.RefinedWebUrlConfig, refinedweb.URL_SIGNALS,
           measure=lambda doc, config, lists: refinedweb.refinedweb_url(doc.url, config, lists),
           decide=refinedweb.refinedweb_url_decision,
           load_resources=resource_loaders.load_refinedweb_url_resources,
           summary="RefinedWeb URL filtering: domain blocklist, strict / hard / soft URL "
                   "words"),
    Transform("refinedweb_lines", refinedweb.RefinedWebLinesConfig, refinedweb.LINES_SIGNALS,
              measure=lambda doc, config, _: refinedweb.refinedweb_lines(doc.text, config),
              decide=refinedweb.refinedweb_lines_decision,
              summary="RefinedWeb line-wise corrections; drop when they remove > 5% of the "
                      "words"),
)

GENERIC = (
    Filter("language", language.LanguageFilterConfig, language.SIGNALS,
           measure=lambda doc, config, _: language.language_filter(doc.language,
                                                                   doc.language_score, config),
           decide=language.language_decision,
           summary="allowed languages and a minimum score (the language / language_score "
                   "columns)"),
    Filter("length", length.LengthFilterConfig, length.SIGNALS,
           measure=lambda doc, config, _: length.length_filter(doc.text, config),
           decide=length.length_decision,
           summary="document length bounds in characters and words"),
)

FINEWEB2 = (multilingual.LANGUAGE,
            *(multilingual.per_language(entry) for entry in (*GOPHER, C4[0], FINEWEB[0])))

#: The families by entry-point name, as ``setup.py`` declares them (a test checks they agree);
#: also what a source checkout without installed metadata registers.
FAMILIES = {"gopher": GOPHER, "c4": C4, "fineweb": FINEWEB, "refinedweb": REFINEDWEB,
            "generic": GENERIC, "fineweb2": FINEWEB2}
