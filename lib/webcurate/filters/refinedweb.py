"""RefinedWeb's URL filter and line-wise corrections, as DCLM reproduced them.

Paper: Penedo et al. 2023, "The RefinedWeb Dataset for Falcon LLM", §3 and Appendix G (URL
filtering; line-wise corrections). RefinedWeb released no code; the reference is DCLM's
reproduction (Li et al. 2024, ``mlfoundations/dclm``, ``baselines/baselines_configs/
dclm_baseline_refinedweb.yaml`` and the mappers it names: ``url_substring_filter`` in
``baselines/mappers/filters/metadata_filters.py``, the line modifiers in
``baselines/mappers/modifiers.py``, ``word_removal_ratio_filter``). Defaults are that config's.

**refinedweb_url** (``refinedweb_url``), rules in order; the first one failing rejects:

- ``refinedweb_url_domain``: the url's host (lowercased, without port, user and a leading
  ``www.``) or one of its parent domains is in ``domain_blocklist``. RefinedWeb blocks
  an aggregated list of 4.6 M adult, gambling and fraud domains that it did not publish; the
  default is the closest public list, FineWeb's UT1-based one (4.56 M lines, from the datatrove
  sdist). DCLM matches its curated list against the whole netloc with every "www" removed;
  matching parents (``sub.site.com`` is blocked by ``site.com``; UT1 also lists the TLDs
  ``.adult``, ``.porn``, ``.sex``, ``.xxx``, which so block every host under them) follows the
  paper's intent.
- ``refinedweb_url_excluded_domain``: the host or a parent is in ``excluded_domains`` (RefinedWeb
  left out sources it added from curated corpora: Wikipedia, arXiv, ...; DCLM-Baseline
  keeps them, so the default is empty).
- ``refinedweb_url_strict_word``: a word of ``strict_words`` occurs anywhere in the url,
  lowercased, with ``strict_ignore_chars`` (``-`` and ``.``) removed;
- ``refinedweb_url_hard_word``: a word of ``hard_words`` occurs in the lowercased url between
  word boundaries (``\\b``);
- ``refinedweb_url_soft_words``: at least ``min_soft_words`` (2) distinct words of
  ``soft_words`` occur between word boundaries.
No registry package ships the three word lists (DCLM's reverse-engineered
``refinedweb_banned_words_{strict,hard,soft}_reverse_engineered.txt`` in
``baselines/mappers/banlists/``): their defaults are ``null`` (rule off) until you set paths.
A document without url (``None`` or ``""``) is kept
with ``refinedweb_url_missing = 1``. Every rule is measured (``URL_SIGNALS``: 0/1 hits, distinct
word counts); ``refinedweb_url_decision`` decides from them (``min_soft_words`` re-tunable).

**refinedweb_lines** (``refinedweb_lines``): a text transform, then a decision. In DCLM's order,
each step over the ``\\n``-separated lines, removing (empty lines always stay):

1. lines whose upper-case characters are more than ``max_uppercase_line_ratio`` (0.5) of their
   characters;
2. lines whose digits are more than ``max_numeric_line_ratio`` (0.999999: all-digit lines, as
   RefinedWeb says) of their characters;
3. counter lines: "12 likes", "1.2k shares", "3,400 views", ... (``drop_counter_lines``);
4. lines with fewer than ``min_line_words`` (2) whitespace words;
5. boilerplate, only in lines of at most ``boilerplate_max_line_words`` (10) words: each fragment
   of ``boilerplate_anywhere`` ("items in cart"), ``boilerplate_suffixes`` ("read more...") and
   ``boilerplate_prefixes`` ("sign-in") is cut from the line (with one adjacent white-space
   character), case-insensitively, and a line left blank is removed. Fragments are regular
   expressions, as in DCLM: the dots of "read more..." match any character.
DCLM strips the whole text after steps 1-3 and 5 (leading and trailing white space), which this
transform repeats so its output is DCLM's text. Words are counted before and after as DCLM does
(``length.alnum_word_count``: fastText tokens that start with a letter or digit). Reasons:
``refinedweb_empty`` (nothing left, or DCLM's "page dropped by a modifier"),
``refinedweb_no_words`` (no word to begin with), ``refinedweb_removed_words`` (more than
``max_removed_word_fraction``, 5%, of the words removed), decided from ``LINES_SIGNALS`` (word
counts before and after, the removed fraction, characters left, lines removed per step).
DCLM also removes urls and caps blank lines before counting words (``url_removal_modifier``,
``newline_removal_modifier``): those are not line corrections and are left out.

Fidelity: DCLM is not an installable package, so ``make parity`` cannot run it; its seven
modifiers and ``word_removal_ratio_filter``, restated from its source, were run against these on
the 878 parity documents: identical corrected text and decision on all 878 (712 kept, 137
``refinedweb_removed_words``, 29 ``refinedweb_empty``), at about 1,500 documents/s on one core.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from webcurate.config import option
from webcurate.filters.base import Signals, Verdict
from webcurate.filters.length import alnum_word_count
from webcurate.filters.wordsets import HashedSet, ListSource, alternation

REASON_URL_DOMAIN = "refinedweb_url_domain"
REASON_URL_EXCLUDED_DOMAIN = "refinedweb_url_excluded_domain"
REASON_URL_STRICT_WORD = "refinedweb_url_strict_word"
REASON_URL_HARD_WORD = "refinedweb_url_hard_word"
REASON_URL_SOFT_WORDS = "refinedweb_url_soft_words"
REASON_EMPTY = "refinedweb_empty"
REASON_NO_WORDS = "refinedweb_no_words"
REASON_REMOVED_WORDS = "refinedweb_removed_words"
LINE_STEPS = ("uppercase", "numeric", "counter", "short", "boilerplate")
_COUNTER_NOUNS = ("likes", "shares", "comments", "retweets", "reposts", "quotes", "bookmarks",
                  "upvotes", "downvotes", "downloads", "views", "followers")
# "12 likes", "1.2k shares", "(3,400 views)": a number, an optional k/m/b, a counter noun, alone.
_COUNTER_LINE = re.compile(rf"^\W*\d[\d,.]*[kmb]?\s+(?:{'|'.join(_COUNTER_NOUNS)})\W*$")


@dataclass(frozen=True)
class RefinedWebUrlConfig:
    """RefinedWeb's URL filter (DCLM's reproduction); a ``null`` list disables its rule."""

    domain_blocklist: str | None = option(
        "assets:fineweb/url_filterblacklistsv0_3_0.tar.gz#domains", list_path=True,
        help="blocked domains, one a line; a host or any parent domain listed is blocked")
    excluded_domains: tuple[str, ...] = option(
        (), help="domains left out because curated corpora cover them (e.g. wikipedia.org)")
    strict_words: str | None = option(
        None, list_path=True, help="words blocked anywhere in the url (DCLM strict list)")
    strict_ignore_chars: str = option("-.", help="characters removed from the url for strict")
    hard_words: str | None = option(
        None, list_path=True, help="words blocked between word boundaries (DCLM hard list)")
    soft_words: str | None = option(
        None, list_path=True, help="words blocked when min_soft_words of them occur (soft list)")
    min_soft_words: int = option(2, min=1, help="distinct soft words that block a url")


@dataclass(frozen=True)
class RefinedWebUrlResources:
    domains: HashedSet | None
    excluded: frozenset[str]
    strict: re.Pattern | None
    hard: re.Pattern | None
    soft: re.Pattern | None


def _word_pattern(path: str | None, lists: ListSource, bounded: bool) -> re.Pattern | None:
    if path is None:
        return None
    words = {line.strip().lower() for line in lists.lines(path)} - {""}
    body = alternation(words)
    return re.compile(rf"\b(?:{body})\b" if bounded else body) if words else None


def build_refinedweb_url_resources(config: RefinedWebUrlConfig,
                                   lists: ListSource) -> RefinedWebUrlResources:
    """The blocklist and word lists of ``config``, read through ``lists`` (loaded once per
    process by :func:`webcurate.resources.filters.load_refinedweb_url_resources`)."""
    domains = config.domain_blocklist
    return RefinedWebUrlResources(
        domains=lists.hashed_set(domains) if domains else None,
        excluded=frozenset(d.strip().lower() for d in config.excluded_domains),
        strict=_word_pattern(config.strict_words, lists, bounded=False),
        hard=_word_pattern(config.hard_words, lists, bounded=True),
        soft=_word_pattern(config.soft_words, lists, bounded=True),
    )


def url_host(url: str) -> str | None:
    """The lowercased host of ``url`` without a leading ``www.``; ``None`` if it has none."""
    try:
        parts = urlsplit(url)
        if not parts.netloc and (not parts.scheme or "." in parts.scheme):
            parts = urlsplit(f"//{url}")  # no scheme: "example.com/page", "example.com:80/"
        host = parts.hostname
    except ValueError:  # e.g. an unbalanced "[" in an IPv6 host
        return None
    return host.rstrip(".").removeprefix("www.") if host else None


def host_and_parents(host: str) -> list[str]:
    """``a.b.c`` -> ``["a.b.c", "b.c", "c"]``."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


URL_SIGNALS = (("refinedweb_url_missing", int), ("refinedweb_url_domain_hit", int),
               ("refinedweb_url_excluded_hit", int), ("refinedweb_url_strict_words", int),
               ("refinedweb_url_hard_words", int), ("refinedweb_url_soft_words", int))
"""0/1 hits and distinct-word counts per rule; ``None`` without url (or without that list)."""


def _distinct(pattern: re.Pattern | None, text: str) -> int | None:
    return None if pattern is None else len(set(pattern.findall(text)))


def refinedweb_url_signals(url: str | None, config: RefinedWebUrlConfig,
                           resources: RefinedWebUrlResources) -> Signals:
    """Every rule's measurement for ``url`` (all rules, even after one has matched)."""
    if not url:
        return {name: None for name, _ in URL_SIGNALS} | {"refinedweb_url_missing": 1}
    host = url_host(url)
    names = host_and_parents(host) if host else []
    lowered = url.lower()
    squeezed = lowered.translate({ord(c): None for c in config.strict_ignore_chars})
    domains = resources.domains
    return {
        "refinedweb_url_missing": 0,
        "refinedweb_url_domain_hit": None if domains is None else int(
            any(name in domains for name in names)),
        "refinedweb_url_excluded_hit": int(not resources.excluded.isdisjoint(names)),
        "refinedweb_url_strict_words": _distinct(resources.strict, squeezed),
        "refinedweb_url_hard_words": _distinct(resources.hard, lowered),
        "refinedweb_url_soft_words": _distinct(resources.soft, lowered),
    }


def refinedweb_url_decision(signals: Signals, config: RefinedWebUrlConfig) -> str | None:
    """The first rule that rejects, from ``signals`` (``min_soft_words`` applied here)."""
    soft = signals["refinedweb_url_soft_words"]
    checks = (
        (REASON_URL_DOMAIN, signals["refinedweb_url_domain_hit"]),
        (REASON_URL_EXCLUDED_DOMAIN, signals["refinedweb_url_excluded_hit"]),
        (REASON_URL_STRICT_WORD, signals["refinedweb_url_strict_words"]),
        (REASON_URL_HARD_WORD, signals["refinedweb_url_hard_words"]),
        (REASON_URL_SOFT_WORDS, soft is not None and soft >= config.min_soft_words),
    )
    return next((reason for reason, hit in checks if hit), None)


def refinedweb_url(url: str | None, config: RefinedWebUrlConfig,
                   resources: RefinedWebUrlResources) -> Verdict:
    """Keep or reject a document by its ``url`` (RefinedWeb's URL filtering, DCLM's rules)."""
    signals = refinedweb_url_signals(url, config, resources)
    reason = refinedweb_url_decision(signals, config)
    return Verdict.decided(reason, signals)


# --- line-wise corrections ----------------------------------------------------------------------

@dataclass(frozen=True)
class RefinedWebLinesConfig:
    """RefinedWeb's line-wise corrections (DCLM's settings); ``null`` disables a step."""

    max_uppercase_line_ratio: float | None = option(
        0.5, min=0, max=1, help="remove lines with more upper-case characters than this share")
    max_numeric_line_ratio: float | None = option(
        0.999999, min=0, max=1, help="remove lines with more digits than this share (all-digit)")
    drop_counter_lines: bool = option(True, help="remove lines like '12 likes', '1.2k shares'")
    min_line_words: int | None = option(
        2, min=0, help="remove lines with fewer whitespace-separated words")
    boilerplate_max_line_words: int | None = option(
        10, min=0, help="cut boilerplate only from lines of at most this many words; null = any")
    boilerplate_anywhere: tuple[str, ...] = option(
        ("items in cart",), help="fragments (regex, any case) cut wherever they occur")
    boilerplate_suffixes: tuple[str, ...] = option(
        ("read more...",), help="fragments (regex, any case) cut at the end of a line")
    boilerplate_prefixes: tuple[str, ...] = option(
        ("sign-in",), help="fragments (regex, any case) cut at the start of a line")
    max_removed_word_fraction: float | None = option(
        0.05, min=0, max=1, help="reject the page when corrections removed more of its words")


def _without_lines(text: str, drop: Callable[[str], bool]) -> tuple[str, int]:
    """``text`` without its non-empty lines that ``drop`` selects, and how many went."""
    lines = text.split("\n")
    kept = [line for line in lines if not line or not drop(line)]
    return "\n".join(kept), len(lines) - len(kept)


def _share(line: str, predicate: Callable[[str], bool]) -> float:
    return sum(map(predicate, line)) / len(line)


@functools.lru_cache(maxsize=16)
def _boilerplate_patterns(config: RefinedWebLinesConfig) -> tuple[re.Pattern, ...]:
    def compiled(fragments: tuple[str, ...], template: str) -> list[re.Pattern]:
        return [re.compile(template.format("|".join(fragments)), re.IGNORECASE)] \
            if fragments else []

    return (*compiled(config.boilerplate_anywhere, r"\s?(?:{})"),
            *compiled(config.boilerplate_suffixes, r"\s?(?:{})$"),
            *compiled(config.boilerplate_prefixes, r"^(?:{})\s?"))


def _cut_boilerplate(text: str, pattern: re.Pattern, max_words: int | None) -> tuple[str, int]:
    """DCLM's ``substring_line_modifier`` with ``remove_substring_only``: cut, drop if blank."""
    out, removed = [], 0
    for line in text.split("\n"):
        if max_words is None or len(line.split()) <= max_words:
            cut = pattern.sub("", line)
            if line and (not cut or cut.isspace()):
                removed += 1
                continue
            line = cut  # noqa: PLW2901 - the line as DCLM keeps it
        out.append(line)
    return "\n".join(out).strip(), removed


def _line_steps(config: RefinedWebLinesConfig) -> list[tuple[str, Callable[[str], bool], bool]]:
    """(step, drop(line), strip the text afterwards) for the enabled whole-line steps."""
    steps = []
    if config.max_uppercase_line_ratio is not None:
        limit = config.max_uppercase_line_ratio
        steps.append(("uppercase", lambda line: _share(line, str.isupper) > limit, True))
    if config.max_numeric_line_ratio is not None:
        numeric = config.max_numeric_line_ratio
        steps.append(("numeric", lambda line: _share(line, str.isdigit) > numeric, True))
    if config.drop_counter_lines:
        steps.append(("counter", lambda line: bool(_COUNTER_LINE.search(line.lower())), True))
    if config.min_line_words is not None:
        fewest = config.min_line_words
        steps.append(("short", lambda line: len(line.split()) < fewest, False))
    return steps


def refinedweb_correct_lines(text: str, config: RefinedWebLinesConfig) -> tuple[str, dict]:
    """The transform: the corrected text and the lines each step removed (DCLM's order).

    The text is ``""`` when a step left nothing (DCLM drops the page there).
    """
    removed = dict.fromkeys(LINE_STEPS, 0)
    for step, drop, strip in _line_steps(config):
        text, removed[step] = _without_lines(text, drop)
        text = text.strip() if strip else text
        if not text:
            return "", removed
    for pattern in _boilerplate_patterns(config):
        text, n = _cut_boilerplate(text, pattern, config.boilerplate_max_line_words)
        removed["boilerplate"] += n
        if not text:
            return "", removed
    return text, removed


LINES_SIGNALS = (("refinedweb_words_before", int), ("refinedweb_words_after", int),
                 ("refinedweb_removed_word_fraction", float), ("refinedweb_chars_after", int),
                 *((f"refinedweb_lines_{step}", int) for step in LINE_STEPS))


def refinedweb_lines_decision(signals: Signals, config: RefinedWebLinesConfig) -> str | None:
    """The reason from ``signals`` (``max_removed_word_fraction`` applied here), or None."""
    fraction, limit = signals["refinedweb_removed_word_fraction"], config.max_removed_word_fraction
    if not signals["refinedweb_chars_after"]:
        return REASON_EMPTY
    if fraction is None:
        return REASON_NO_WORDS
    if limit is not None and fraction > limit:
        return REASON_REMOVED_WORDS
    return None


def refinedweb_lines(text: str, config: RefinedWebLinesConfig) -> tuple[str, Verdict]:
    """The corrected text, and the verdict on the share of words the corrections removed."""
    corrected, removed = refinedweb_correct_lines(text, config)
    before, after = alnum_word_count(text), alnum_word_count(corrected)
    signals = {"refinedweb_words_before": before, "refinedweb_words_after": after,
               "refinedweb_removed_word_fraction": (before - after) / before if before else None,
               "refinedweb_chars_after": len(corrected),
               **{f"refinedweb_lines_{step}": n for step, n in removed.items()}}
    reason = refinedweb_lines_decision(signals, config)
    return corrected, Verdict.decided(reason, signals)
