"""Spark adapter of the chat job: read formats, filter, dedup prompts, route kept / rejected.

1. **Read + filter** (one Python pass, one task per input file, as :mod:`webcurate.io.jsonl`
   reads JSON lines: line numbers make ids that do not depend on splits): every record becomes
   its dialogues (:mod:`.formats`), each checked by :func:`.filters.check_dialogue`. A record
   that is no dialogue is a ``malformed`` row, counted, never fatal. JSON-array files (``[...]``,
   as ShareGPT and Alpaca publish) are read whole.
2. **Exact prompt dedup**: the 128-bit key of the normalised prompt
   (:func:`webcurate.dedup.signatures.exact_keys`), lowest ``doc_id`` per key kept: a
   ``groupBy`` of ids and keys, no text.
3. **Near prompt dedup**: MinHash band keys from :mod:`webcurate.dedup`'s core
   (:func:`webcurate.dedup.spark.minhash.doc_features`), star edges per bucket, connected
   components (:func:`webcurate.dedup.spark.components.connected_components`); every member
   but the component minimum is removed.
4. The removed ids (``doc_id``, reason) are joined back to the dialogues to route them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

from webcurate.chat.filters import DialogueFilterSettings, check_dialogue, prompt_text
from webcurate.chat.formats import FormatError, read_record, render_text
from webcurate.chat.settings import PromptDedupSettings
from webcurate.io import storage as st

DIALOGUE = "dialogue"
MALFORMED = "malformed"
EXACT_DUPLICATE = "chat_exact_duplicate_prompt"
NEAR_DUPLICATE = "chat_near_duplicate_prompt"
ROW_SCHEMA = (
    "kind string, reason string, detail string, doc_id string, source string, format string, "
    "generator string, messages array<struct<role:string,content:string>>, "
    "metadata map<string,string>, text string, prompt string, turns int, chars long, "
    "language string, language_score double, source_file string, source_row long")
OUTPUT_COLUMNS = ("doc_id", "source", "format", "generator", "messages", "metadata", "text",
                  "prompt", "turns", "chars", "language", "language_score", "reason")


def source_name(uri: str) -> str:
    name = uri.rstrip("/").rsplit("/", 1)[-1]
    for suffix in (".gz", ".zst", ".jsonl", ".json", ".ndjson"):
        name = name.removesuffix(suffix)
    return name


def _doc_id(uri: str, row: int, index: int) -> str:
    return hashlib.sha1(f"chat\x1f{uri}\x1f{row}\x1f{index}".encode()).hexdigest()[:32]


def file_records(uri: str, storage: st.StorageConfig) -> Iterator[tuple[int, object, str]]:
    """``(row, parsed record or None, error)``: JSON lines, or a whole JSON array."""
    from webcurate.io.jsonl import numbered_lines

    if uri.lower().split("?")[0].endswith((".json", ".json.gz")):
        head = st.read_bytes(uri, storage) if not uri.endswith(".gz") else None
        if head is not None and head.lstrip()[:1] == b"[":
            try:
                items = json.loads(head)
            except ValueError as err:
                yield 0, None, f"invalid JSON array: {str(err)[:160]}"
                return
            yield from ((i, item, "") for i, item in enumerate(items))
            return
    for row, line, error in numbered_lines(uri, storage):
        if line is None:
            yield row, None, error
        elif line.strip():
            try:
                yield row, json.loads(line), ""
            except ValueError as err:
                yield row, None, f"invalid JSON: {str(err)[:160]}"


def dialogue_rows(uris: Iterator[str], fmt: str, filters: DialogueFilterSettings,
                  which_prompt: str, storage: st.StorageConfig) -> Iterator[tuple]:
    identify = None
    if filters.allowed_languages:
        from webcurate.extract.language import get_language_identifier

        identify = get_language_identifier().predict
    for uri in uris:
        source = source_name(uri)
        for row, record, error in file_records(uri, storage):
            try:
                if record is None:
                    raise FormatError(error)
                dialogues = read_record(record, fmt, source)
            except FormatError as err:
                yield (MALFORMED, "malformed_record", str(err)[:200], *[None] * 12, uri, row)
                continue
            for index, d in enumerate(dialogues):
                reason, signals = check_dialogue(d["messages"], filters, identify)
                yield (DIALOGUE, reason, None, _doc_id(uri, row, index), d["source"],
                       d["format"], d["generator"], d["messages"], d["metadata"],
                       render_text(d["messages"]), prompt_text(d["messages"], which_prompt),
                       signals["turns"], signals["chars"], signals["language"],
                       signals["language_score"], uri, row)


def read_dialogues(spark, files: list[str], fmt: str, filters: DialogueFilterSettings,
                   which_prompt: str, storage: st.StorageConfig):
    tasks = spark.sparkContext.parallelize(sorted(files), numSlices=max(1, len(files)))
    rows = tasks.mapPartitions(
        lambda uris: dialogue_rows(uris, fmt, filters, which_prompt, storage))
    return spark.createDataFrame(rows, ROW_SCHEMA)


def _exact_key_batches(batches, normalize):
    import pyarrow as pa

    from webcurate.dedup.normalize import split_words
    from webcurate.dedup.signatures import exact_keys

    for batch in batches:
        keys = exact_keys(split_words(batch.column("prompt"), normalize))
        yield pa.RecordBatch.from_arrays([batch.column("doc_id"), pa.array(keys, pa.binary())],
                                         names=["doc_id", "key"])


def exact_duplicates(candidates, dedup: PromptDedupSettings):
    """``(doc_id, reason)`` of every dialogue whose prompt key a lower doc_id has."""
    import functools

    from pyspark.sql import functions as F

    keys = candidates.select("doc_id", "prompt").mapInArrow(
        functools.partial(_exact_key_batches, normalize=dedup.normalize),
        "doc_id string, key binary")
    first = keys.groupBy("key").agg(F.min("doc_id").alias("keeper"))
    return (keys.join(first, "key", "inner").where(F.col("doc_id") != F.col("keeper"))
            .select("doc_id", F.lit(EXACT_DUPLICATE).alias("reason")))


def near_duplicates(candidates, dedup: PromptDedupSettings):
    """``(doc_id, reason)`` of every dialogue in a near-duplicate component but its minimum."""
    from pyspark.sql import functions as F

    from webcurate.dedup.signatures import SignatureSpec
    from webcurate.dedup.spark import minhash as sm
    from webcurate.dedup.spark.components import connected_components

    spec = SignatureSpec(normalize=dedup.normalize, ngram=dedup.ngram, num_perm=dedup.num_perm,
                         bands=dedup.bands, rows=dedup.rows, seed=dedup.seed)
    ids = candidates.select(F.xxhash64("doc_id").alias("node"), "doc_id")
    features = sm.doc_features(
        candidates.select(F.xxhash64("doc_id").alias("node"), F.col("prompt").alias("text")),
        spec).where(F.col("shingles") > 0)
    rows = sm.band_rows(features)
    edges = sm.candidate_pairs(rows, sm.buckets(rows), verify=False, hot_bucket_size=0)
    labels = connected_components(edges, dedup.max_iterations).labels
    removed = labels.where(F.col("node") != F.col("root")).select("node")
    return (removed.join(ids, "node", "inner")
            .select("doc_id", F.lit(NEAR_DUPLICATE).alias("reason")))


def with_dedup(dialogues, dedup: PromptDedupSettings):
    """Dialogues with ``reason`` set for exact / near duplicate prompts (filters first)."""
    from pyspark.sql import functions as F

    passed = dialogues.where(F.col("reason").isNull()).select("doc_id", "prompt")  # no text
    removed = None
    if dedup.exact:
        removed = exact_duplicates(passed, dedup).localCheckpoint(eager=True)
        passed = passed.join(removed.select("doc_id"), "doc_id", "left_anti")
    if dedup.near:
        near = near_duplicates(passed, dedup).localCheckpoint(eager=True)
        removed = near if removed is None else removed.unionByName(near)
    if removed is None:
        return dialogues
    removed = removed.withColumnRenamed("reason", "dedup_reason")
    return (dialogues.join(removed, "doc_id", "left")
            .withColumn("reason", F.coalesce("reason", "dedup_reason")).drop("dedup_reason"))
