"""Build a Common-Crawl-like benchmark WARC from the real pages in ``../shared/data/pages``.

The shared data holds 312 real HTML pages (181 news pages of scrapinghub's article extraction
benchmark, 130 ``source.html`` of mozilla/readability's test pages, ``moby.html``). A benchmark
needs thousands of records, so this module cycles through the pages, shuffled once per cycle with
a seeded generator, and makes every copy a distinct capture: its own URL (a ``wc_copy`` query
parameter), a trailing HTML comment naming the copy, a unique ``WARC-Record-ID`` and ``WARC-Date``.
The comment does not change the extracted text, so copies of one page extract to the same text:
fine for throughput, not a corpus for deduplication benchmarks.

The file looks like a Common Crawl WARC where it matters to a reader: WARC/1.1, one gzip member
per record, a leading ``warcinfo`` record, ``response`` records with an HTTP status line and real
headers (``Content-Type: text/html; charset=...``, ``Content-Length``, ``Date``), block and payload
digests, ``WARC-Identified-Payload-Type`` and ``WARC-Warcinfo-ID``. Request and metadata records
are left out: every reader skips them, and they would only add the same cost to both sides.

The output is byte-for-byte the same for the same pages, ``--records`` and ``--seed`` (record ids
and dates derive from them; zlib's gzip header carries no timestamp).

Usage: ``python -m tests.bench.build_warc --records 5000 --out .bench/extract-5000-s0.warc.gz``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import re
import sys
import tarfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PAGES_DIR = PROJECT_ROOT.parent / "shared" / "data" / "pages"
DEFAULT_RECORDS = 5000
DEFAULT_SEED = 0

#: First capture time; record ``i`` is captured ``i * CAPTURE_INTERVAL`` later.
FIRST_CAPTURE = datetime(2024, 5, 20, 0, 0, 0, tzinfo=UTC)
CAPTURE_INTERVAL = timedelta(seconds=3)
COPY_PARAM = "wc_copy"

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class Page:
    """One real page: where it comes from in the shared data, its original URL, its raw bytes."""

    source: str
    url: str
    html: bytes


@dataclass(frozen=True)
class RecordPlan:
    """What the ``index``-th response record of the benchmark WARC holds."""

    index: int
    copy: int
    page: Page
    url: str
    record_id: str
    warc_date: str


def load_pages(pages_dir: Path = DEFAULT_PAGES_DIR) -> list[Page]:
    """All real pages of the shared data, in a fixed order (by source name)."""
    pages: list[Page] = []
    aeb_dir = pages_dir / "scrapinghub-aeb"
    truth = json.loads((aeb_dir / "ground-truth.json").read_text(encoding="utf-8"))
    for path in sorted((aeb_dir / "html").glob("*.html.gz")):
        key = path.name.removesuffix(".html.gz")
        pages.append(
            Page(f"scrapinghub-aeb/{key}", truth[key]["url"], gzip.decompress(path.read_bytes()))
        )
    # The readability pages carry no URL; give each one a stable URL on a reserved TLD.
    with tarfile.open(pages_dir / "readability" / "readability-test-pages.tar.xz") as tar:
        for member in tar:
            if member.isfile() and member.name.endswith("/source.html"):
                name = member.name.split("/")[-2]
                html = tar.extractfile(member).read()
                pages.append(Page(f"readability/{name}", f"http://readability.test/{name}/", html))
    pages.append(
        Page("moby", "http://moby.test/moby-dick.html", (pages_dir / "moby.html").read_bytes())
    )
    return sorted(pages, key=lambda page: page.source)


def http_charset(html: bytes) -> str:
    """The charset a server would declare: utf-8 when the bytes are UTF-8, else the meta tag's."""
    try:
        html.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    match = _META_CHARSET.search(html[:8192])
    return match.group(1).decode("ascii").lower() if match else "windows-1252"


def copy_url(url: str, copy: int) -> str:
    """``url`` with a ``wc_copy`` query parameter, so every copy of a page is a distinct URL."""
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), (COPY_PARAM, str(copy))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def record_uuid(seed: int, index: int) -> str:
    """A deterministic version-4-shaped UUID for record ``index`` (``-1``: the warcinfo)."""
    digest = hashlib.sha256(f"webcurate-bench:{seed}:{index}".encode()).digest()
    return f"<urn:uuid:{uuid.UUID(bytes=digest[:16], version=4)}>"


def warc_date(index: int) -> str:
    return (FIRST_CAPTURE + index * CAPTURE_INTERVAL).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan_records(pages: list[Page], records: int, seed: int = DEFAULT_SEED) -> list[RecordPlan]:
    """Cycle through ``pages`` until ``records`` plans; each cycle is a fresh seeded shuffle."""
    if not pages:
        raise ValueError("no pages to build records from")
    rng = random.Random(seed)
    plans: list[RecordPlan] = []
    copy = 0
    while len(plans) < records:
        order = list(pages)
        rng.shuffle(order)
        for page in order[: records - len(plans)]:
            index = len(plans)
            plans.append(
                RecordPlan(
                    index=index,
                    copy=copy,
                    page=page,
                    url=copy_url(page.url, copy),
                    record_id=record_uuid(seed, index),
                    warc_date=warc_date(index),
                )
            )
        copy += 1
    return plans


def copy_html(plan: RecordPlan) -> bytes:
    """The page's bytes plus a trailing comment naming the copy (extracted text is unchanged)."""
    note = (
        f"\n<!-- webcurate bench record {plan.index}: copy {plan.copy} of {plan.page.source} -->\n"
    )
    return plan.page.html + note.encode("ascii")


def _http_date(value: str) -> str:
    moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def _response_record(writer: WARCWriter, plan: RecordPlan, warcinfo_id: str):
    body = copy_html(plan)
    http_headers = StatusAndHeaders(
        "200 OK",
        [
            ("Date", _http_date(plan.warc_date)),
            ("Server", "nginx"),
            ("Content-Type", f"text/html; charset={http_charset(plan.page.html)}"),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
        ],
        protocol="HTTP/1.1",
    )
    warc_headers = {  # in Common Crawl's order; warcio keeps it and adds the digests
        "WARC-Type": "response",
        "WARC-Date": plan.warc_date,
        "WARC-Record-ID": plan.record_id,
        "WARC-Target-URI": plan.url,
        "WARC-Warcinfo-ID": warcinfo_id,
        "WARC-Identified-Payload-Type": "text/html",
    }
    return writer.create_warc_record(
        plan.url,
        "response",
        payload=BytesIO(body),
        length=len(body),
        http_headers=http_headers,
        warc_headers_dict=warc_headers,
    )


def _warcinfo_record(writer: WARCWriter, filename: str, records: int, seed: int):
    fields = (
        f"software: webcurate tests/bench/build_warc.py\r\n"
        f"format: WARC File Format 1.1\r\n"
        f"description: {records} response records cycled from ../shared/data/pages, seed {seed}\r\n"
    ).encode()
    headers = {
        "WARC-Type": "warcinfo",
        "WARC-Date": warc_date(0),
        "WARC-Record-ID": record_uuid(seed, -1),
        "WARC-Filename": filename,
    }
    return writer.create_warc_record(
        "",
        "warcinfo",
        payload=BytesIO(fields),
        length=len(fields),
        warc_content_type="application/warc-fields",
        warc_headers_dict=headers,
    )


def build_warc(
    out: Path,
    records: int = DEFAULT_RECORDS,
    seed: int = DEFAULT_SEED,
    pages_dir: Path = DEFAULT_PAGES_DIR,
) -> dict:
    """Write the benchmark WARC to ``out`` (atomically) and return a summary."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    pages = load_pages(pages_dir)
    plans = plan_records(pages, records, seed)
    partial = out.with_name(out.name + ".partial")
    html_bytes = 0
    with open(partial, "wb") as stream:
        writer = WARCWriter(stream, gzip=True, warc_version="1.1")
        warcinfo = _warcinfo_record(writer, out.name, records, seed)
        writer.write_record(warcinfo)
        warcinfo_id = warcinfo.rec_headers.get_header("WARC-Record-ID")
        for plan in plans:
            writer.write_record(_response_record(writer, plan, warcinfo_id))
            html_bytes += len(plan.page.html)
    os.replace(partial, out)
    return {
        "path": str(out),
        "records": records,
        "seed": seed,
        "distinct_pages": len({plan.page.source for plan in plans}),
        "html_bytes": html_bytes,
        "file_bytes": out.stat().st_size,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS, help="response records")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="shuffle and id seed")
    parser.add_argument("--out", type=Path, required=True, help="output .warc.gz path")
    parser.add_argument("--pages-dir", type=Path, default=DEFAULT_PAGES_DIR, help="shared pages")
    args = parser.parse_args(argv)
    if args.records < 1:
        parser.error("--records must be at least 1")
    if not args.pages_dir.is_dir():
        parser.error(f"pages directory not found: {args.pages_dir} (is ../shared/data there?)")
    print(json.dumps(build_warc(args.out, args.records, args.seed, args.pages_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
