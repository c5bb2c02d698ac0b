"""Spark adapter for train-quality: read a class's documents, normalise, sample, split.

A class (positives or negatives) is any mix of document files (Parquet / JSONL(.gz), read by
:func:`webcurate.documents.read_documents`) and plain-text files (one Spark task per file, cut
into documents by :mod:`.corpus`). Every document is normalised once in Python
(:mod:`.normalize`) and given a uniform sampling key from its ``doc_id``, class and seed, so
sampling and the held-out split are deterministic and independent of partitioning: a class
keeps its ``n`` documents of smallest key, and the first ``h`` of those are held out. The cuts
are found by counting (:mod:`.sampling`), never by sorting a class in one task.
Pyspark is imported inside functions only.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from webcurate.io import storage as st
from webcurate.io.inputs import InputError, expand_glob, is_glob, is_hidden_below, normalize
from webcurate.io.inputs import split_spec as split_input_spec
from webcurate.quality.normalize import TextNormalization, normalize_for_fasttext
from webcurate.quality.sampling import Bracket, cut_of
from webcurate.quality.training import unit_key

TEXT_ROWS_PER_BATCH = 512
TEXT_SCHEMA = pa.schema([pa.field("doc_id", pa.string()), pa.field("text", pa.string())])
LINE_SCHEMA = pa.schema([pa.field("label", pa.string()), pa.field("doc_id", pa.string()),
                         pa.field("line", pa.string()), pa.field("sample_key", pa.float64())])
DOCUMENT_SUFFIXES = (".parquet", ".pq", ".jsonl", ".jsonl.gz", ".json", ".json.gz",
                     ".jsonl.zst", ".ndjson")


def resolve_training_files(spec, storage: st.StorageConfig) -> list[str]:
    """Files named by a class spec (file, directory, glob, list). Unlike job inputs, a ``.txt``
    file is text to train on, never a manifest."""
    found: set[str] = set()
    for item in split_input_spec(spec):
        uri = normalize(item)
        try:
            files = (expand_glob(uri, storage) if is_glob(uri) else
                     [f for f in st.list_files(uri, storage) if not is_hidden_below(uri, f)])
        except Exception as err:  # no such bucket, access denied...
            raise InputError(f"cannot resolve input {item}: {type(err).__name__}: {err}") from None
        if not files:
            raise InputError(f"input matches no files: {item}")
        found.update(files)
    if not found:
        raise InputError("no input given: the input spec is empty")
    return sorted(found)


def is_document_file(uri: str) -> bool:
    return uri.lower().endswith(DOCUMENT_SUFFIXES)


def text_file_batches(batches: Iterator[pa.RecordBatch], storage: st.StorageConfig,
                      max_chars: int) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: input rows name text files; output rows are their documents."""
    from webcurate.quality.corpus import iter_file_documents
    from webcurate.schema import doc_id_from_location

    rows: list[dict] = []
    for batch in batches:
        for uri in batch.column("source_file").to_pylist():
            with st.open_input(uri, storage) as raw:
                for unit, index, text in iter_file_documents(uri, raw, max_chars):
                    rows.append({"doc_id": doc_id_from_location("", unit, index), "text": text})
                    if len(rows) >= TEXT_ROWS_PER_BATCH:
                        yield pa.RecordBatch.from_pylist(rows, schema=TEXT_SCHEMA)
                        rows = []
    if rows:
        yield pa.RecordBatch.from_pylist(rows, schema=TEXT_SCHEMA)


def record_file_batches(batches: Iterator[pa.RecordBatch], storage: st.StorageConfig
                        ) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: input rows name JSON(L) files of records (instructions, chats,
    articles: :mod:`webcurate.quality.records`); output rows are one document per record."""
    from webcurate.quality.records import iter_record_documents
    from webcurate.schema import doc_id_from_location

    rows: list[dict] = []
    for batch in batches:
        for uri in batch.column("source_file").to_pylist():
            with st.open_input(uri, storage) as raw:
                for key, text in iter_record_documents(uri, raw):
                    rows.append({"doc_id": doc_id_from_location("", f"{uri}#{key}", 0),
                                 "text": text})
                    if len(rows) >= TEXT_ROWS_PER_BATCH:
                        yield pa.RecordBatch.from_pylist(rows, schema=TEXT_SCHEMA)
                        rows = []
    if rows:
        yield pa.RecordBatch.from_pylist(rows, schema=TEXT_SCHEMA)


def holds_documents(uri: str, storage: st.StorageConfig) -> bool:
    """A document file (Parquet, or JSON(L) whose first record has ``text``), or a file of
    records: one first line read per JSON(L) file, on the driver."""
    from webcurate.quality.records import holds_documents as first_record_is_document

    if not uri.lower().endswith((".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson")):
        return True
    with st.open_input(uri, storage) as raw:
        return first_record_is_document(uri, raw)


def per_file_frame(spark, files: list[str], body):
    from pyspark.sql.pandas.types import from_arrow_schema

    names = spark.sparkContext.parallelize([(f,) for f in files], numSlices=len(files))
    return spark.createDataFrame(names, "source_file string").mapInArrow(
        body, from_arrow_schema(TEXT_SCHEMA))


def read_class_documents(spark, spec, storage: st.StorageConfig, text_doc_chars: int):
    """``(doc_id, text)`` of every document of one class: document files, files of records
    (instructions, chats, articles) and text files."""
    files = resolve_training_files(spec, storage)
    json_files = [f for f in files if is_document_file(f)]
    documents = [f for f in json_files if holds_documents(f, storage)]
    records = [f for f in json_files if f not in set(documents)]
    texts = [f for f in files if not is_document_file(f)]
    frames = []
    if documents:
        from webcurate.documents import read_documents

        frames.append(read_documents(spark, documents, storage).select("doc_id", "text"))
    if records:
        frames.append(per_file_frame(
            spark, records, lambda batches: record_file_batches(batches, storage)))
    if texts:
        frames.append(per_file_frame(
            spark, texts, lambda batches: text_file_batches(batches, storage, text_doc_chars)))
    df = frames[0]
    for other in frames[1:]:
        df = df.unionByName(other)
    return df, {"document_files": len(documents), "record_files": len(records),
                "text_files": len(texts)}


def line_batches(batches: Iterator[pa.RecordBatch], label: str, normalization: TextNormalization,
                 min_chars: int, seed: int) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: ``(doc_id, text)`` -> ``(label, doc_id, line, sample_key)``; documents
    whose normalised line is shorter than ``min_chars`` are dropped."""
    for batch in batches:
        rows = []
        for doc_id, text in zip(batch.column("doc_id").to_pylist(),
                                batch.column("text").to_pylist(), strict=True):
            line = normalize_for_fasttext(text, normalization)
            if len(line) >= max(min_chars, 1):
                rows.append({"label": label, "doc_id": doc_id, "line": line,
                             "sample_key": unit_key(seed, label, doc_id)})
        if rows:
            yield pa.RecordBatch.from_pylist(rows, schema=LINE_SCHEMA)


def labelled_lines(df, label: str, normalization: TextNormalization, min_chars: int, seed: int):
    from pyspark.sql.pandas.types import from_arrow_schema

    return df.mapInArrow(
        lambda batches: line_batches(batches, label, normalization, min_chars, seed),
        from_arrow_schema(LINE_SCHEMA))


def select_samples(lines, available: dict[str, int], sizes: dict[str, int],
                   holdouts: dict[str, int]):
    """Per class the ``sizes[label]`` lines of smallest ``(sample_key, doc_id)``, the first
    ``holdouts[label]`` of them flagged ``holdout``: exact, independent of partitioning, and
    without ranking a class in one task (:mod:`.sampling`). ``lines`` should be persisted: it is
    counted a few times (keys only) before the filter."""
    from pyspark.sql import functions as F

    targets = [(label, rank) for label in sizes
               for rank in (sizes[label], holdouts[label]) if 0 < rank < available[label]]
    cuts = exact_cuts(lines, {t: Bracket(t[0], t[1], below_hi=available[t[0]])
                              for t in dict.fromkeys(targets)})

    def within(label: str, rank: int):
        if rank <= 0:
            return F.lit(False)
        if rank >= available[label]:
            return F.lit(True)
        key, doc_id = cuts[(label, rank)]
        return (F.col("sample_key") < F.lit(key)) | (
            (F.col("sample_key") == F.lit(key)) & (F.col("doc_id") <= F.lit(doc_id)))

    def per_class(ranks: dict[str, int]):
        expression = F.lit(False)
        for label, rank in ranks.items():
            expression = F.when(F.col("label") == label, within(label, rank)).otherwise(expression)
        return expression

    return lines.filter(per_class(sizes)).withColumn("holdout", per_class(holdouts))


def exact_cuts(lines, brackets: dict[tuple[str, int], Bracket]) -> dict[tuple, tuple]:
    """``(label, rank) -> (sample_key, doc_id)`` of that rank: a few rounds of per-class counts
    below probe keys (one aggregation each), then the small brackets' keys collected."""
    from pyspark.sql import functions as F

    while True:
        probing = {t: b.next_probes() for t, b in brackets.items() if not b.done()}
        if not probing:
            break
        columns, where = [], {}
        for target, probes in probing.items():
            for probe in probes:
                where[(target, probe)] = f"c{len(columns)}"
                columns.append(F.count(F.when((F.col("label") == target[0])
                                              & (F.col("sample_key") < F.lit(probe)), 1))
                               .alias(where[(target, probe)]))
        counts = lines.agg(*columns).first()
        for target, probes in probing.items():
            brackets[target].update({p: counts[where[(target, p)]] for p in probes})
    if not brackets:
        return {}
    inside = F.lit(False)
    for b in brackets.values():
        inside = inside | ((F.col("label") == b.label) & (F.col("sample_key") >= F.lit(b.lo))
                           & (F.col("sample_key") < F.lit(b.hi)))
    rows = lines.filter(inside).select("label", "sample_key", "doc_id").collect()
    boundary: dict[str, list] = {}
    for row in rows:
        boundary.setdefault(row["label"], []).append((row["sample_key"], row["doc_id"]))
    return {t: cut_of(b, boundary.get(b.label, [])) for t, b in brackets.items()}
