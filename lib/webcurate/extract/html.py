"""HTML payloads to text: content-type checks, charset decoding, main-text extraction, limits.

Decoding follows the order browsers use (WHATWG Encoding Standard and HTML §13.2.3): a byte-order
mark, then the HTTP ``Content-Type`` charset, then a ``<meta>`` charset in the first bytes, then
detection (resiliparse's uchardet wrapper). Labels are mapped to WHATWG names, and each name is
decoded with the superset codec the standard prescribes (``shift_jis`` is really windows-31j,
``gbk`` the gb18030 decoder, ...). A declared charset that does not decode cleanly is checked
against detection, because pages labelled UTF-8 that are really windows-1252 are common; invalid
bytes are replaced, never raised.

Extraction uses resiliparse's ``extract_plain_text`` (Bevendorff et al., "FastWARC and
Resiliparse", OSSYM 2021; DCLM's extractor, Li et al. 2024) or, as FineWeb did (Penedo et al.,
2024), ``trafilatura.extract(favor_precision=True, include_comments=False)``. On 181
scrapinghub article-extraction-benchmark pages, word-level F1 against the reference article body
is 0.93 for resiliparse main content (3.8 ms/page), 0.97 for trafilatura (21 ms/page) and 0.66
for all visible text. resiliparse's main-content mode drops every ``<ul>`` list as navigation.
trafilatura's ``deduplicate`` option is off by default (the FineWeb recipe turns it on, see
``start_input_file``): it keeps a cache across calls, so a document's text would depend on
which documents the same worker saw before it. Three limits keep
one pathological page from hanging or sinking a task. The deterministic ones come first, so that
a page's fate does not depend on how loaded the node is: the payload is cut at ``max_html_bytes``
when read (``records``), a page whose DOM holds more than ``max_html_nodes`` elements is skipped
(``extract_html_too_large``) before any extractor runs, and one nested deeper than
``max_html_depth`` is skipped before resiliparse's main-content pass (``extract_html_too_deep``:
quadratic in depth, and C code cannot be interrupted by a signal). Only then does the wall-clock
limit (SIGALRM, ``extract_timeout``) act, as a safety net for what the caps do not bound. Every
skipped page is recorded in ``errors/`` with its offset by ``records``. Output text is capped too.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.encoding import detect_encoding, map_encoding_to_html5
from resiliparse.parse.html import HTMLTree

from webcurate.extract.settings import ExtractSettings

HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})
META_SCAN_BYTES = 4096  # the HTML prescan looks at 1024 bytes; real pages put <meta> later too.

# WHATWG decodes these labels with a superset of what Python's same-named codec accepts.
_SUPERSET_CODEC = {"shift_jis": "cp932", "gbk": "gb18030", "euc_kr": "cp949", "big5": "big5hkscs"}
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_META_TAG = re.compile(rb"<meta\b[^>]*>", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_META_EQUIV_CHARSET = re.compile(  # ClueWeb-era quirk: http-equiv="charset" content="EUC-JP"
    rb"""http-equiv\s*=\s*["']?charset\b.*?content\s*=\s*["']?\s*([\w.:-]+)""",
    re.IGNORECASE | re.DOTALL)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
# WHATWG MIME Sniffing §7.1: byte patterns that identify HTML, each followed by space or '>'.
_SNIFF_HTML = re.compile(
    rb"\s*<(?:!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p"
    rb"|!--)[ >]", re.IGNORECASE)


class ExtractionSkipped(Exception):
    """A page that yields no text by policy (too slow, too deep); ``reason`` is a stable name."""

    reason = "extract_skipped"


class ExtractionTimeout(ExtractionSkipped):
    reason = "extract_timeout"


class HtmlTooDeep(ExtractionSkipped):
    reason = "extract_html_too_deep"


class HtmlTooLarge(ExtractionSkipped):
    reason = "extract_html_too_large"


#: ``max_html_nodes: null`` means this per extractor: the cap at which extraction still takes well
#: under a second (measured: 100,000 ``<p>`` elements, resiliparse main content 0.13 s and
#: trafilatura 6.5 s; 20,000: trafilatura ~1.1 s), far from the wall-clock limit even on a
#: loaded node. The real pages in ../shared/data hold at most 35,274 elements (an archive.org
#: listing), the 181 benchmark articles at most 1,596.
DEFAULT_MAX_HTML_NODES = {"resiliparse": 100_000, "trafilatura": 20_000}


def max_html_nodes(settings: ExtractSettings) -> int:
    """The element cap in force: ``settings.max_html_nodes`` or the extractor's default."""
    if settings.max_html_nodes is not None:
        return settings.max_html_nodes
    return DEFAULT_MAX_HTML_NODES[settings.extractor]


def media_type(content_type: str | None) -> str | None:
    """``'Text/HTML; charset=x'`` -> ``'text/html'``; None or blank -> None."""
    value = (content_type or "").split(";", 1)[0].strip().lower()
    return value or None


def is_html_media_type(content_type: str | None) -> bool:
    return media_type(content_type) in HTML_MEDIA_TYPES


def sniffs_as_html(payload: bytes) -> bool:
    """True when the payload starts (after whitespace or a UTF-8 BOM) like an HTML document."""
    return bool(_SNIFF_HTML.match(payload.removeprefix(b"\xef\xbb\xbf"), 0, 1024))


def canonical_charset(label: str | None) -> str | None:
    """The WHATWG name (as resiliparse spells it) for a charset label, or None if unknown."""
    label = (label or "").strip().strip("\"'").strip()
    return map_encoding_to_html5(label, fallback_utf8=False) if label else None


def charset_from_content_type(content_type: str | None) -> str | None:
    match = _HEADER_CHARSET.search(content_type or "")
    return canonical_charset(match.group(1)) if match else None


def charset_from_meta(payload: bytes) -> str | None:
    """The charset a ``<meta>`` tag declares in the first :data:`META_SCAN_BYTES` bytes."""
    for tag in _META_TAG.finditer(payload, 0, META_SCAN_BYTES):
        match = _META_CHARSET.search(tag.group(0)) or _META_EQUIV_CHARSET.search(tag.group(0))
        charset = canonical_charset(match.group(1).decode("ascii")) if match else None
        if charset:
            # A meta tag readable as ASCII cannot be in UTF-16 (HTML §13.2.3.2 step 4).
            return "utf-8" if charset.startswith("utf-16") else charset
    return None


def decode_strict(payload: bytes, charset: str) -> str | None:
    try:
        return payload.decode(_SUPERSET_CODEC.get(charset, charset))
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(payload: bytes, http_content_type: str | None) -> tuple[str, str]:
    """Decode an HTML payload; returns ``(text, charset)`` and never raises on bad bytes.

    ``charset`` is the WHATWG name actually used (``'utf-8'``, ``'cp1252'``, ``'euc_jp'``...).
    """
    for bom, charset in _BOMS:
        if payload.startswith(bom):
            return payload[len(bom):].decode(charset, errors="replace"), charset
    declared = charset_from_content_type(http_content_type) or charset_from_meta(payload)
    if declared:
        text = decode_strict(payload, declared)
        if text is not None:
            return text, declared
    detected = detect_encoding(payload)
    if detected != declared:
        text = decode_strict(payload, detected)
        if text is not None:
            return text, detected
    charset = declared or detected
    try:
        return payload.decode(_SUPERSET_CODEC.get(charset, charset), errors="replace"), charset
    except LookupError:  # a name resiliparse knows but this Python does not
        return payload.decode("utf-8", errors="replace"), "utf-8"


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`ExtractionTimeout` in the block after ``seconds`` of wall-clock time.

    Uses SIGALRM, so it only acts in the main thread of a POSIX process (PySpark's Python
    workers run tasks there); elsewhere the block runs unlimited. A C call (resiliparse, lxml)
    finishes before the signal is handled, so the limit mainly stops pure-Python extractors
    (trafilatura). An interval timer armed by someone else (e.g. pytest-timeout) is restored.
    """
    in_main_thread = threading.current_thread() is threading.main_thread()
    if not (hasattr(signal, "setitimer") and in_main_thread):
        yield
        return

    def _expire(signum, frame):
        raise ExtractionTimeout(f"extraction took longer than {seconds:g} s")

    started = time.monotonic()
    previous_handler = signal.signal(signal.SIGALRM, _expire)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:  # nested so the handler is restored even if the alarm fires right here
            signal.signal(signal.SIGALRM, previous_handler)
            if previous_delay > 0:
                remaining = previous_delay - (time.monotonic() - started)
                signal.setitimer(signal.ITIMER_REAL, max(remaining, 1e-3), previous_interval)


def _deeper_than(tree: HTMLTree, depth: int) -> bool:
    """True if some element is nested more than ``depth`` levels deep (one C selector query)."""
    return tree.document.query_selector(" > ".join(["*"] * (depth + 1))) is not None


def _checked_tree(html: str, settings: ExtractSettings, check_depth: bool) -> HTMLTree:
    """The parsed page, or :class:`HtmlTooDeep` / :class:`HtmlTooLarge` when over a cap.

    Parsing is linear and fast (100,000 elements: 0.02 s), so the checks are cheap and, unlike
    the clock, give the same answer on every node. Depth is checked first, as the more specific
    reason (a page 100,000 levels deep is also 100,000 elements large).
    """
    tree = HTMLTree.parse(html)
    if check_depth and _deeper_than(tree, settings.max_html_depth):
        raise HtmlTooDeep(f"DOM deeper than {settings.max_html_depth} elements")
    limit = max_html_nodes(settings)
    elements = len(tree.document.query_selector_all("*"))
    if elements > limit:
        raise HtmlTooLarge(f"DOM has {elements} elements, over max_html_nodes ({limit})")
    return tree


def _resiliparse_text(html: str, settings: ExtractSettings, main_content: bool) -> str:
    tree = _checked_tree(html, settings, check_depth=main_content)
    return extract_plain_text(
        tree, main_content=main_content, list_bullets=settings.list_bullets,
        alt_texts=settings.alt_texts, links=False, form_fields=False, noscript=False,
        comments=settings.include_comments)


def _trafilatura_text(html: str, settings: ExtractSettings) -> str:
    import trafilatura  # imported on first use: it is slow to import and optional at run time

    # trafilatura is ~50x slower per element than resiliparse: the element cap matters most here
    _checked_tree(html, settings, check_depth=False)
    if not settings.main_content:
        return trafilatura.html2txt(html) or ""
    return trafilatura.extract(
        html, favor_precision=True, include_comments=settings.include_comments,
        deduplicate=settings.trafilatura_deduplicate, with_metadata=False,
        output_format="txt") or ""


def start_input_file(settings: ExtractSettings) -> None:
    """Called before each input file: trafilatura's ``deduplicate`` counts text segments in a
    process-wide cache, which is emptied here, so that it holds one file's pages only (a task
    retry or another worker then extracts the same text; datatrove's cache spans a task)."""
    if settings.extractor == "trafilatura" and settings.trafilatura_deduplicate:
        from trafilatura.deduplication import LRU_TEST

        LRU_TEST.clear()


def extract_text(html: str, settings: ExtractSettings) -> str:
    """Main text of ``html`` with the configured extractor, under the size, depth and time limits.

    Raises :class:`ExtractionSkipped` (too large, too deep, timeout); no cap on the output length
    here.
    """
    with time_limit(settings.max_seconds_per_doc):
        if settings.extractor == "trafilatura":
            return _trafilatura_text(html, settings)
        return _resiliparse_text(html, settings, settings.main_content)


def page_text(html: str, settings: ExtractSettings) -> str:
    """All visible text of the page (no main-content pass: linear, so no depth limit needed)."""
    with time_limit(settings.max_seconds_per_doc):
        return _resiliparse_text(html, settings, main_content=False)


def truncate_text(text: str, max_chars: int) -> tuple[str, bool]:
    """Cut ``text`` to ``max_chars``, at the last line break in the final 10% when there is one."""
    if len(text) <= max_chars:
        return text, False
    cut = text.rfind("\n", max_chars - max_chars // 10, max_chars)
    return text[: cut if cut > 0 else max_chars].rstrip(), True


def payload_text(payload: bytes, content_type: str | None,
                 settings: ExtractSettings) -> tuple[str, str, str, bool]:
    """``(text, text for language id, charset, text was cut)`` of an HTML payload.

    The text is stripped and cut to ``max_text_chars``. When it is shorter than
    ``lid_page_text_below_chars``, language id gets the whole page's visible text instead: on a
    few words fastText guesses (a 54-character Chinese snippet of the CC-MAIN-2020-34 sample comes
    out ``ja``), while the page around it decides reliably. Raises :class:`ExtractionSkipped`.
    """
    markup, charset = decode_html(payload, content_type)
    text, cut = truncate_text(extract_text(markup, settings), settings.max_text_chars)
    text = text.strip()
    lid_text = text
    if text and len(text) < settings.lid_page_text_below_chars:
        lid_text = page_text(markup, settings).strip() or text
    return text, lid_text, charset, cut


def html_to_text(html: str, settings: ExtractSettings) -> str:
    """Main text of ``html``, stripped and cut to ``max_text_chars``; raises ExtractionSkipped."""
    return truncate_text(extract_text(html, settings), settings.max_text_chars)[0].strip()
