"""Removing documents by ``doc_id`` without moving them: an exact anti join that shuffles no text.

``docs.join(removed, "doc_id", "left_anti")`` is a broadcast join only while the removed ids fit
``spark.sql.autoBroadcastJoinThreshold``; a Common Crawl dump removes tens of millions of
documents, and the join becomes a sort-merge join that sends every document, text included,
through the shuffle. Here the documents stay in their input splits and only ids move.

**Why a Bloom filter with an exact rescue.** The alternatives weighed:

- *ids partitioned to meet the documents' input splits*: Spark's file scans (and the
  ``s3://`` data source) report no partitioning, so any join keyed by split still shuffles the
  documents; a per-split lookup would need executors to read side files themselves, which
  Python cannot do on hdfs:// or s3a://.
- *broadcasting the exact ids*: 8 bytes per removed document at best (its 64-bit node), more
  for strings; 5x the Bloom filter.
- *a Bloom filter* (:mod:`.bloom`, 1.5 bytes per removed document) answers "not removed"
  exactly and "maybe" with ~0.3% false positives; the false positives are found exactly by a
  join of ids only and rescued. The result is exact and deterministic (fixed hash constants,
  every step a function of the ids).

**Steps**, given ``removed(doc_id)`` and ``ids(doc_id, node)`` of the rows to be filtered:

1. The removed nodes (``xxhash64(doc_id)``) are counted and routed by ``pmod(node, segments)``
   (a shuffle of 8-byte nodes); each task builds its segments' bits; the driver assembles the
   segments (1.5 bytes per removed document, the only structure that grows with the data on
   the driver) and broadcasts them.
2. **Rescue**: the ids the filter flags (the removed ones and ~0.3% of the others) are
   anti-joined with the removed nodes: a shuffle of 8-byte nodes. What remains are the false
   positives; their sorted nodes (8 bytes each, ~0.3% of the kept documents) are broadcast.
3. The rows are filtered by a scalar Arrow UDF over the node alone: Spark sends that column to
   Python and keeps the rest of the row, text included, in the JVM; no Exchange.

A node shared by two distinct doc_ids (``check_doc_ids``' list, ~0 in 10^9 documents) is left
out of the filter and decided by ``doc_id`` against the removed ids of those nodes (a bounded
list).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from webcurate.dedup.bloom import BITS_PER_ID, BloomShape, NodeBloom, segment_words

SEGMENT_SCHEMA = "segment long, words binary"


def _segment_batches(batches: Iterator[pa.RecordBatch], shape: BloomShape
                     ) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: ``(node, segment)`` rows -> one ``(segment, words)`` row per segment."""
    nodes: dict[int, list[np.ndarray]] = {}
    for batch in batches:
        values = batch.column("node").to_numpy(zero_copy_only=False).astype(np.int64)
        segments = shape.segment_of(values)
        for segment in np.unique(segments):
            nodes.setdefault(int(segment), []).append(values[segments == segment])
    for segment, parts in sorted(nodes.items()):
        words = segment_words(shape, np.concatenate(parts))
        yield pa.RecordBatch.from_arrays(
            [pa.array([segment], pa.int64()), pa.array([words.tobytes()], pa.binary())],
            names=["segment", "words"])


def build_bloom(removed_nodes, count: int, bits_per_id: int = BITS_PER_ID) -> NodeBloom:
    """The filter of ``removed_nodes(node)`` (``count`` rows), built segment by segment."""
    from pyspark.sql import functions as F

    cores = removed_nodes.sparkSession.sparkContext.defaultParallelism
    shape = BloomShape.for_ids(count, bits_per_id, min_segments=cores)
    routed = (removed_nodes.select("node", F.pmod("node", F.lit(shape.segments)).alias("seg"))
              .repartition(shape.segments, "seg"))
    built = routed.mapInArrow(functools.partial(_segment_batches, shape=shape), SEGMENT_SCHEMA)
    return NodeBloom.from_segments(shape, {int(r["segment"]): bytes(r["words"])
                                           for r in built.collect()})


def _flag_udf(bloom_handle, rescued_handle):
    """``node -> removed?``: Bloom hit and not a rescued false positive."""
    from pyspark.sql.functions import arrow_udf

    @arrow_udf("boolean")
    def removed(nodes: pa.Array) -> pa.Array:
        values = nodes.to_numpy(zero_copy_only=False).astype(np.int64)
        flagged = bloom_handle.value.might_contain(values)
        rescued = rescued_handle.value if rescued_handle is not None else None
        if rescued is not None and len(rescued):
            at = np.minimum(np.searchsorted(rescued, values), len(rescued) - 1)
            flagged &= rescued[at] != values
        return pa.array(flagged, pa.bool_())

    return removed


@dataclass
class Removal:
    """What decides, row by row, whether a ``doc_id`` is among the removed ones."""

    bloom: object | None  # Broadcast[NodeBloom]; None: nothing is removed
    rescued: object | None  # Broadcast[sorted int64 nodes]
    shared_nodes: list[int]
    shared_removed: list[str]  # removed doc_ids whose node is shared
    stats: dict

    def removed(self, node, doc_id):
        """Boolean Column: is this row's ``doc_id`` removed? (``node`` = xxhash64(doc_id))"""
        from pyspark.sql import functions as F

        if self.bloom is None:
            verdict = F.lit(False)
        else:
            verdict = _flag_udf(self.bloom, self.rescued)(node)
        if self.shared_nodes:
            verdict = F.when(node.isin(self.shared_nodes),
                             doc_id.isin(self.shared_removed)).otherwise(verdict)
        return verdict

    def without(self, df):
        """``df`` (with ``doc_id``) minus the removed rows, in its own partitions."""
        from pyspark.sql import functions as F

        return df.where(~self.removed(F.xxhash64("doc_id"), F.col("doc_id")))

    def only(self, df):
        """The removed rows of ``df``, in their own partitions."""
        from pyspark.sql import functions as F

        return df.where(self.removed(F.xxhash64("doc_id"), F.col("doc_id")))


def plan_removal(spark, removed, ids, shared_nodes: list[int],
                 bits_per_id: int = BITS_PER_ID) -> Removal:
    """A :class:`Removal` of ``removed(doc_id)`` among ``ids(doc_id, node)`` (every row that
    will be filtered). Counts and the filter come from aggregations over ids only."""
    from pyspark.sql import functions as F

    nodes = removed.select(F.xxhash64("doc_id").alias("node"), "doc_id")
    shared_removed = []
    if shared_nodes:
        shared_removed = sorted({r["doc_id"] for r in nodes.where(
            F.col("node").isin(shared_nodes)).select("doc_id").collect()})
        nodes = nodes.where(~F.col("node").isin(shared_nodes))
    nodes = nodes.select("node")
    count = nodes.count()
    if not count:
        return Removal(None, None, shared_nodes, shared_removed,
                       {"removed": 0, "bloom_bytes": 0, "false_positives": 0})
    bloom = spark.sparkContext.broadcast(build_bloom(nodes, count, bits_per_id))
    flagged = ids.where(_flag_udf(bloom, None)(F.col("node")))
    if shared_nodes:
        flagged = flagged.where(~F.col("node").isin(shared_nodes))
    false_hits = flagged.select("node").join(nodes, "node", "left_anti").distinct()
    rescued = np.sort(np.array([r["node"] for r in false_hits.collect()], dtype=np.int64))
    stats = {"removed": count, "bloom_bytes": int(bloom.value.words.nbytes),
             "false_positives": len(rescued)}
    return Removal(bloom, spark.sparkContext.broadcast(rescued), shared_nodes, shared_removed,
                   stats)
