"""The report as one self-contained HTML page: inline CSS, plots as PNG data URIs, no script.

Every value that comes from data (texts and URLs of web pages, reasons, paths, numbers) passes
through :func:`esc` (``html.escape`` with quotes) before it reaches the page; links are only
made for ``http(s)`` URLs. As a second line of defence the page carries a Content-Security-
Policy that allows nothing but inline styles and ``data:`` images, so even markup that slipped
through could not run script or load anything.
"""

from __future__ import annotations

import base64
import html
import re

CONTENT_SECURITY_POLICY = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                           "base-uri 'none'; form-action 'none'")
_SAFE_LINK = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d1d1f;
background:#fafafa}
main{max-width:1100px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:24px;margin:16px 0 4px}h2{font-size:19px;margin:32px 0 8px;
border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:20px 0 6px}
nav a{margin-right:14px}.muted{color:#666}.note{background:#fff6df;border-left:4px solid #e0b040;
padding:6px 10px;margin:8px 0}
figure{margin:12px 0;background:#fff;border:1px solid #e3e3e3;padding:8px}
figure img{max-width:100%;height:auto;display:block}figcaption{color:#555;font-size:12px}
table{border-collapse:collapse;margin:8px 0;background:#fff}
th,td{border:1px solid #e0e0e0;padding:3px 8px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
details{background:#fff;border:1px solid #e3e3e3;margin:6px 0;padding:4px 10px}
summary{cursor:pointer;font-weight:600}
.doc{border-top:1px solid #eee;padding:6px 0}.meta{font-size:12px;color:#555;word-break:break-all}
pre.excerpt{white-space:pre-wrap;word-wrap:break-word;background:#f4f4f6;padding:6px 8px;
margin:4px 0;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;max-height:22em;overflow:auto}
.survivor{margin-left:18px;border-left:3px solid #9bb7d6;padding-left:8px}
"""


def esc(value) -> str:
    """Text for an HTML element or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def number(value) -> str:
    if isinstance(value, bool) or value is None:
        return esc("" if value is None else value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}"
    return esc(value)


def figure(png: bytes, width: int, height: int, alt: str, caption: str = "") -> str:
    caption_html = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return (f'<figure><img src="{png_data_uri(png)}" width="{int(width)}" '
            f'height="{int(height)}" alt="{esc(alt)}">{caption_html}</figure>')


def table(headers: list[str], rows: list[list], numeric: set[int] | None = None) -> str:
    """A table; cells in ``numeric`` columns are formatted numbers, all others escaped text."""
    numeric = numeric or set()
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{number(c)}</td>' if i in numeric else f"<td>{esc(c)}</td>"
                         for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def paragraph(text: str, css_class: str = "") -> str:
    attribute = f' class="{esc(css_class)}"' if css_class else ""
    return f"<p{attribute}>{esc(text)}</p>"


def notes(texts: list[str]) -> str:
    return "".join(paragraph(text, "note") for text in texts)


def link_or_text(url) -> str:
    """A link for an http(s) URL (no referrer, no follow), plain escaped text otherwise."""
    if url is None:
        return '<span class="muted">(no url)</span>'
    text = str(url)
    if _SAFE_LINK.match(text):
        return f'<a href="{esc(text)}" rel="noopener noreferrer nofollow">{esc(text)}</a>'
    return esc(text)


def _excerpt(row: dict, chars: int) -> str:
    text = row.get("excerpt")
    if text is None:
        return '<p class="muted">(text not available)</p>'
    more = "\u2026" if len(text) > chars else ""
    return f'<pre class="excerpt">{esc(text[:chars])}{esc(more)}</pre>'


def _meta(row: dict) -> str:
    parts = [f"doc_id {esc(row.get('doc_id'))}"]
    for key in ("language", "quality_score", "jaccard"):
        if row.get(key) is not None:
            parts.append(f"{esc(key)} {number(row[key])}")
    return f'<div class="meta">{link_or_text(row.get("url"))}<br>{" · ".join(parts)}</div>'


def document(row: dict, chars: int) -> str:
    """One sampled document: url, id and signals, an excerpt; for a duplicate, its survivor."""
    survivor = row.get("survivor")
    survivor_html = ""
    if isinstance(survivor, dict):
        survivor_html = (f'<div class="survivor"><div class="meta">kept instead: '
                         f'{link_or_text(survivor.get("url"))}<br>doc_id '
                         f'{esc(survivor.get("doc_id"))}</div>{_excerpt(survivor, chars)}</div>')
    elif row.get("survivor_id"):
        survivor_html = f'<div class="meta">kept instead: doc_id {esc(row["survivor_id"])}</div>'
    return f'<div class="doc">{_meta(row)}{_excerpt(row, chars)}{survivor_html}</div>'


def sample_group(title: str, total: int | None, rows: list[dict], chars: int,
                 opened: bool = False) -> str:
    """A collapsible group of sampled documents (``<details>`` needs no script)."""
    count = (f" \u2014 {total:,} document{'' if total == 1 else 's'}"
             if isinstance(total, int) else "")
    shown = f", {len(rows)} shown" if rows else ", none sampled"
    body = "".join(document(row, chars) for row in rows)
    state = " open" if opened else ""
    return (f"<details{state}><summary>{esc(title)}{esc(count)}{esc(shown)}</summary>"
            f"{body}</details>")


def page(title: str, subtitle: str, sections: list[tuple[str, str, str]]) -> str:
    """The whole document; ``sections`` are ``(anchor id, heading, trusted inner HTML)``."""
    nav = "".join(f'<a href="#{esc(anchor)}">{esc(heading)}</a>' for anchor, heading, _ in sections)
    body = "".join(f'<section id="{esc(anchor)}"><h2>{esc(heading)}</h2>{inner}</section>'
                   for anchor, heading, inner in sections)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{esc(CONTENT_SECURITY_POLICY)}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
            f'<h1>{esc(title)}</h1><p class="muted">{esc(subtitle)}</p><nav>{nav}</nav>'
            f"{body}</main></body></html>\n")
