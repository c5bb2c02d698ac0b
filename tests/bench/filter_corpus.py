"""The filter benchmark's corpus, and reading each side's keep / reject decisions back.

Real documents: the parity set (``tests.parity.parity.build_documents``: the 697 CC-MAIN-2019-30
documents of ``shared/data/text/cc``, 55 languages, then the text webcurate extracts from the 181
scrapinghub pages), each with its url (the CC documents' ``metadata.warc_url``, the WARC target
URI; the pages' ``url`` in ``ground-truth.json``) and the ``language`` / ``language_score`` that
webcurate's extract job would store (``webcurate.extract.language`` on the first
``lid_max_chars`` characters, the same ``lid.176.ftz`` model). The 27 documents with empty text
are left out: the extract job never writes one (``empty_text`` skip) and datatrove's reader drops
them. The other 851 are cycled to N documents in one shuffled order, copy k of a document getting
the id ``<id>~<k>``: two copies of a text are a whole cycle apart, so no per-text cache on either
side (datatrove keeps the last one to five word splits) can serve a copy.

Written once per (N, seed) under ``.bench/filter/``: ``corpus-<N>-s<seed>.jsonl.gz`` for datatrove
(``id``, ``text``, ``metadata``: url, language, language_score) and a ``.parquet`` folder of
5,000-document parts for webcurate
(``doc_id``, ``url``, ``text``, ``language``, ``language_score``), plus a ``.json`` summary.
"""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from pathlib import Path

CORPUS_VERSION = 3
#: Documents per Parquet file of the corpus: a directory of parts, as the extract job writes one
#: file per input WARC, so the filter job reads one file per task and never shuffles the text
#: to use its cores (one 20,000-document file holds one row group: one task, then a shuffle).
PART_DOCS = 5000
COPY_SEPARATOR = "~"


def base_documents(lid_model: Path) -> list[dict]:
    """The parity documents with text, with url, language and language_score."""
    from tests.parity import parity
    from webcurate.extract.language import get_language_identifier
    from webcurate.extract.settings import ExtractSettings

    with gzip.open(parity.CC_DOCS, "rt", encoding="utf-8") as f:
        urls = {d["id"]: d["metadata"]["warc_url"] for d in map(json.loads, f)}
    truth = json.loads((parity.PAGES.parent / "ground-truth.json").read_text())
    urls.update({key[:16]: value["url"] for key, value in truth.items()})
    identifier = get_language_identifier(str(lid_model))
    max_chars = ExtractSettings().lid_max_chars
    docs = []
    for doc in parity.build_documents():
        if not doc["text"].strip():
            continue
        language, score = identifier.predict(doc["text"].strip()[:max_chars])
        docs.append({"id": doc["id"], "text": doc["text"], "url": urls[doc["id"]],
                     "language": language, "language_score": score})
    return docs


def replicate(base: list[dict], n: int, seed: int) -> list[dict]:
    """``n`` documents: ``base`` in one shuffled order, cycled; copy k of id X is ``X~k``."""
    order = list(range(len(base)))
    random.Random(seed).shuffle(order)
    return [{**base[order[i % len(base)]],
             "id": f"{base[order[i % len(base)]]['id']}{COPY_SEPARATOR}{i // len(base)}"}
            for i in range(n)]


def base_id(doc_id: str) -> str:
    return doc_id.rsplit(COPY_SEPARATOR, 1)[0]


def summary(docs: list[dict], base_count: int, seed: int) -> dict:
    languages = Counter(d["language"] for d in docs)
    return {"docs": len(docs), "base_docs": base_count, "seed": seed,
            "mean_chars": round(sum(len(d["text"]) for d in docs) / len(docs), 1),
            "median_chars": sorted(len(d["text"]) for d in docs)[len(docs) // 2],
            "english_above_065": sum(d["language"] == "en" and d["language_score"] > 0.65
                                     for d in docs),
            "top_languages": dict(languages.most_common(5)), "version": CORPUS_VERSION}


def write_jsonl(path: Path, docs: list[dict]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as f:
        for d in docs:
            metadata = {"url": d["url"], "language": d["language"],
                        "language_score": d["language_score"]}
            f.write(json.dumps({"id": d["id"], "text": d["text"], "metadata": metadata},
                               ensure_ascii=False) + "\n")
    tmp.replace(path)


def write_parquet_parts(folder: Path, docs: list[dict]) -> None:
    """``docs`` as ``folder/part-NNNNN.parquet`` files of :data:`PART_DOCS` documents."""
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(docs), PART_DOCS):
        write_parquet(folder / f"part-{start // PART_DOCS:05d}.parquet",
                      docs[start:start + PART_DOCS])


def write_parquet(path: Path, docs: list[dict]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("doc_id", pa.string()), ("url", pa.string()), ("text", pa.string()),
                        ("language", pa.string()), ("language_score", pa.float64())])
    columns = {"doc_id": [d["id"] for d in docs]}
    columns.update({name: [d[name] for d in docs]
                    for name in ("url", "text", "language", "language_score")})
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(pa.table(columns, schema=schema), tmp)
    tmp.replace(path)


def ensure_corpus(out: Path, n: int, seed: int, lid_model: Path) -> dict:
    """The corpus files for (n, seed), built once; ``{"jsonl", "parquet", "meta"}``."""
    stem = out / f"corpus-v{CORPUS_VERSION}-{n}-s{seed}"
    paths = {"jsonl": stem.with_suffix(".jsonl.gz"), "parquet": stem.with_suffix(".parquet"),
             "meta": stem.with_suffix(".json")}
    if not all(path.exists() for path in paths.values()):
        out.mkdir(parents=True, exist_ok=True)
        base = base_documents(lid_model)
        docs = replicate(base, n, seed)
        write_jsonl(paths["jsonl"], docs)
        write_parquet_parts(paths["parquet"], docs)
        paths["meta"].write_text(json.dumps(summary(docs, len(base), seed), indent=1) + "\n")
    return {"jsonl": paths["jsonl"], "parquet": paths["parquet"],
            "meta": json.loads(paths["meta"].read_text())}


# --- decisions: doc id -> (filter, reason), (None, None) for a kept document -------------------


def write_decisions(path: Path, decisions: list[tuple[str, str | None, str | None]]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for doc_id, name, reason in decisions:
            f.write(json.dumps({"id": doc_id, "filter": name, "reason": reason}) + "\n")


def read_decisions(path: Path) -> dict[str, tuple[str | None, str | None]]:
    with open(path, encoding="utf-8") as f:
        return {r["id"]: (r["filter"], r["reason"]) for r in map(json.loads, f)}


def _jsonl_rows(folder: Path):
    for path in sorted(folder.glob("*.jsonl*")):
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            yield from map(json.loads, f)


def read_datatrove_decisions(out: Path) -> dict[str, tuple[str | None, str | None]]:
    """Kept ids from ``output/``; each filter's rejects from ``removed/<filter>/`` with the
    reason datatrove stored (``metadata.filter_reason``; none for a lambda filter)."""
    decisions = {row["id"]: (None, None) for row in _jsonl_rows(out / "output")}
    for folder in sorted((out / "removed").iterdir()):
        for row in _jsonl_rows(folder):
            decisions[row["id"]] = (folder.name, row.get("metadata", {}).get("filter_reason"))
    return decisions


def read_spark_decisions(out: Path) -> dict[str, tuple[str | None, str | None]]:
    """Kept ids from the job's ``kept/``; rejects from ``rejected/filter=<name>/``."""
    import pyarrow.parquet as pq

    decisions = {}
    for path in sorted((out / "kept").rglob("*.parquet")):
        for doc_id in pq.read_table(path, columns=["doc_id"]).column("doc_id").to_pylist():
            decisions[doc_id] = (None, None)
    for path in sorted((out / "rejected").rglob("*.parquet")):
        name = next(p.name.split("=", 1)[1] for p in path.parents if p.name.startswith("filter="))
        table = pq.read_table(path, columns=["doc_id", "reason"]).to_pydict()
        for doc_id, reason in zip(table["doc_id"], table["reason"], strict=True):
            decisions[doc_id] = (name, reason)
    return decisions
