"""Common Crawl-like WARC files of real text, any size, with planted duplicates.

The shared data has 312 real pages (tests/bench/build_warc.py loads them); a scale run needs
tens of thousands of *distinct* documents. Each record takes a real page as its template (its
markup, navigation and boilerplate unchanged) and refills every ``<p>`` with real sentences
drawn from the reference prose of ``../shared/data/text/reference`` (tests/dedup/planted_corpus.py
builds the pool), so two records share 5-grams only by chance. A fraction of the records repeat
an earlier record: ``exact_rate`` byte-identical bodies under a new URL (exact duplicates) and
``near_rate`` with the words of every paragraph edited at 0.5-5% (near duplicates), which gives
dedup work to do. Every record has its own URL (the page's, with a ``wc_copy`` parameter), record
id and date; records go ``records_per_file`` to a WARC file, so the job has many input splits.

The records themselves are written by build_warc's writer (WARC/1.1, one gzip member per
record, a warcinfo record first, HTTP headers, digests). Same arguments, same bytes.
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.bench import build_warc as bw

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"
EDIT_RATES = (0.005, 0.01, 0.02, 0.03, 0.05)
_PARAGRAPH = re.compile(rb"(<p\b[^>]*>)(.*?)(</p>)", re.S | re.I)
MIN_PARAGRAPHS = 3
MIN_PARAGRAPH_WORDS = 25


@dataclass(frozen=True)
class CorpusSpec:
    """What :func:`build_corpus` writes (the directory name is derived from it)."""

    records: int
    records_per_file: int = 250
    exact_rate: float = 0.03
    near_rate: float = 0.10
    seed: int = 0

    @property
    def name(self) -> str:
        return (f"warc-{self.records}-f{self.records_per_file}-e{self.exact_rate:g}"
                f"-n{self.near_rate:g}-s{self.seed}")


@dataclass(frozen=True)
class Template:
    """A real page cut at its paragraphs: ``pieces[0] p1 pieces[1] p2 ... pieces[-1]``."""

    page: bw.Page
    pieces: list[bytes]
    paragraph_words: list[int]


def _planted():
    """tests/dedup/planted_corpus.py (the sentence pool and the word edits)."""
    if str(ROOT / "tests" / "dedup") not in sys.path:
        sys.path.insert(0, str(ROOT / "tests" / "dedup"))
    import planted_corpus

    return planted_corpus


def _words(fragment: bytes) -> int:
    return len(re.sub(rb"<[^>]+>", b" ", fragment).split())


def make_template(page: bw.Page) -> Template | None:
    """The page split around the inner text of its ``<p>`` elements; None with fewer than 3."""
    pieces, words, last = [], [], 0
    for match in _PARAGRAPH.finditer(page.html):
        pieces.append(page.html[last:match.start(2)])
        words.append(max(MIN_PARAGRAPH_WORDS, _words(match.group(2))))
        last = match.end(2)
    if len(words) < MIN_PARAGRAPHS:
        return None
    pieces.append(page.html[last:])
    return Template(page, pieces, words)


def fill(template: Template, paragraphs: list[str]) -> bytes:
    """The template's page with its paragraphs replaced by ``paragraphs`` (HTML-escaped)."""
    charset = bw.http_charset(template.page.html)
    out = [template.pieces[0]]
    for text, piece in zip(paragraphs, template.pieces[1:], strict=True):
        out.append(html.escape(text, quote=False).encode(charset, errors="xmlcharrefreplace"))
        out.append(piece)
    return b"".join(out)


def draw_paragraphs(template: Template, pool: list[str], rng: random.Random) -> list[str]:
    """Real sentences for each paragraph, at least as many words as the original had."""
    paragraphs = []
    for target in template.paragraph_words:
        chosen, count = [], 0
        while count < target:
            sentence = pool[rng.randrange(len(pool))]
            chosen.append(sentence)
            count += len(sentence.split())
        paragraphs.append(" ".join(chosen))
    return paragraphs


def plan_bodies(spec: CorpusSpec, templates: list[Template], pool: list[str]):
    """``(index, kind, template, paragraphs)`` per record; kind is base / exact / near."""
    planted_corpus = _planted()
    rng = random.Random(spec.seed)
    vocabulary = sorted({w for s in pool[:5000] for w in s.split()})
    recent: list[tuple[Template, list[str]]] = []
    order: list[Template] = []
    for index in range(spec.records):
        roll = rng.random()
        if recent and roll < spec.exact_rate:
            template, paragraphs = recent[rng.randrange(len(recent))]
            yield index, "exact", template, paragraphs
        elif recent and roll < spec.exact_rate + spec.near_rate:
            template, paragraphs = recent[rng.randrange(len(recent))]
            rate = EDIT_RATES[index % len(EDIT_RATES)]
            edited = [planted_corpus.edit_words(p, rate, vocabulary, rng) for p in paragraphs]
            yield index, "near", template, edited
        else:
            if not order:
                order = list(templates)
                rng.shuffle(order)
            template = order.pop()
            paragraphs = draw_paragraphs(template, pool, rng)
            recent = [*recent[-999:], (template, paragraphs)]
            yield index, "base", template, paragraphs


def _write_file(path: Path, plans: list[bw.RecordPlan], spec: CorpusSpec) -> int:
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as stream:
        writer = bw.WARCWriter(stream, gzip=True, warc_version="1.1")
        warcinfo = bw._warcinfo_record(writer, path.name, len(plans), spec.seed)
        writer.write_record(warcinfo)
        warcinfo_id = warcinfo.rec_headers.get_header("WARC-Record-ID")
        for plan in plans:
            writer.write_record(bw._response_record(writer, plan, warcinfo_id))
    os.replace(partial, path)
    return path.stat().st_size


def build_corpus(spec: CorpusSpec, base_dir: Path, shared_data: Path = SHARED_DATA) -> Path:
    """``base_dir/<spec.name>/warc/part-NNNNN.warc.gz`` and ``corpus.json`` beside ``warc/``;
    built once (a complete corpus is reused). Returns the ``warc/`` folder."""
    planted_corpus = _planted()
    target = base_dir / spec.name
    summary_path = target / "corpus.json"
    if summary_path.exists():
        return target / "warc"
    (target / "warc").mkdir(parents=True, exist_ok=True)
    templates = [t for t in map(make_template, bw.load_pages(shared_data / "pages")) if t]
    pool = planted_corpus.sentence_pool(shared_data)
    kinds = {"base": 0, "exact": 0, "near": 0}
    batch, part, total_bytes = [], 0, 0
    for index, kind, template, paragraphs in plan_bodies(spec, templates, pool):
        kinds[kind] += 1
        page = bw.Page(template.page.source, template.page.url, fill(template, paragraphs))
        batch.append(bw.RecordPlan(index=index, copy=index, page=page,
                                   url=bw.copy_url(page.url, index),
                                   record_id=bw.record_uuid(spec.seed, index),
                                   warc_date=bw.warc_date(index)))
        if len(batch) == spec.records_per_file or index == spec.records - 1:
            total_bytes += _write_file(target / "warc" / f"part-{part:05d}.warc.gz", batch, spec)
            batch, part = [], part + 1
    summary = {"records": spec.records, "files": part, "bytes": total_bytes, "kinds": kinds,
               "templates": len(templates), "spec": spec.__dict__}
    summary_path.write_text(json.dumps(summary, indent=1))
    return target / "warc"
