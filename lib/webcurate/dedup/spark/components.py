"""Connected components on Spark DataFrames: alternating large-star / small-star.

Kiveris, Lattanzi, Mirrokni, Rastogi, Vassilvitskii, "Connected Components in MapReduce and
Beyond" (SoCC 2014). Edges are kept as ``(src, dst)`` with ``src > dst``; one round is

- **large-star**: for every node u with ``m(u)`` = the minimum of u and all its neighbours,
  link every neighbour ``v > u`` to ``m(u)``;
- **small-star**: for every node u with ``m'(u)`` = the minimum of u and its smaller
  neighbours, link u and every smaller neighbour to ``m'(u)``.

Both preserve connectivity; at the fixed point every component is a star around its minimum
node, so each node's label is the smallest node of its component. The paper proves O(log^2 n)
rounds; dedup graphs (stars of band buckets) converge in a few. Each node's minimum is a
``groupBy`` with partial aggregation joined back (skew-safe: adaptive execution splits the
partition of a giant star), every round's edges are checkpointed (lineage and plans stay
small), and the loop ends as soon as the edges form stars (:func:`star_forest`: one
aggregation, which also counts the components). ``max_iterations`` is the guard: past it the
job fails instead of looping on.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from webcurate.io import storage as st

#: Component checkpoints of a running job, under its dataset directory (deleted at the end).
WORK_DIR = "_work"


class ComponentsDidNotConverge(RuntimeError):
    """The iteration guard: the rounds did not reach a fixed point in ``max_iterations``."""


@dataclass
class Components:
    labels: object  # DataFrame (node, root): every node of every edge; root = component min
    iterations: int  # rounds of large-star + small-star that ran
    components: int


def _node_minimum(edges, node: str, other: str):
    """``(node, m)``: the smallest of each ``node`` and its ``other`` endpoints."""
    from pyspark.sql import functions as F

    return (edges.groupBy(node).agg(F.min(other).alias("m"))
            .select(node, F.least(F.col(node), F.col("m")).alias("m")))


def large_star(edges):
    """Every neighbour ``v > u`` of every node u is linked to ``m(u)``; returns ``src > dst``
    (with repeats: the next step's aggregation does not mind, its output is distinct)."""
    from pyspark.sql import functions as F

    both = edges.unionByName(edges.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
    minimum = _node_minimum(both, "src", "dst")
    return (both.where(F.col("dst") > F.col("src")).join(minimum, "src", "inner")
            .select(F.col("dst").alias("src"), F.col("m").alias("dst")))


def small_star(edges):
    """Each node u and its smaller neighbours are linked to their minimum; distinct,
    ``src > dst``. (Each joined edge yields both of its links in one pass.)"""
    from pyspark.sql import functions as F

    minimum = _node_minimum(edges, "src", "dst")
    links = edges.join(minimum, "src", "inner").select(F.explode(F.array(
        F.struct(F.col("dst").alias("src"), F.col("m").alias("dst")),
        F.struct(F.col("src").alias("src"), F.col("m").alias("dst")))).alias("link"))
    return (links.select("link.src", "link.dst").where(F.col("src") != F.col("dst"))
            .distinct())


def oriented(edges, a: str = "a", b: str = "b"):
    """Undirected ``(a, b)`` edges as distinct ``(src, dst)`` with ``src > dst``, no loops."""
    from pyspark.sql import functions as F

    return (edges.where(F.col(a) != F.col(b))
            .select(F.greatest(a, b).alias("src"), F.least(a, b).alias("dst")).distinct())


def star_forest(edges) -> tuple[bool, int]:
    """``(is a star forest, number of centres)`` in one aggregation over the nodes.

    The edges (``src > dst``, distinct) form stars around their minima exactly when no node
    has two outgoing edges and no node has both outgoing and incoming ones; that is the fixed
    point of large-star / small-star, and then every ``src``'s label is its ``dst``."""
    from pyspark.sql import functions as F

    ends = edges.select(F.col("src").alias("node"), F.lit(1).alias("out"), F.lit(0).alias("in")
                        ).unionByName(edges.select(F.col("dst").alias("node"),
                                                   F.lit(0).alias("out"), F.lit(1).alias("in")))
    degrees = ends.groupBy("node").agg(F.sum("out").alias("out"), F.sum("in").alias("in"))
    row = degrees.agg(
        F.count(F.when((F.col("out") > 1) | ((F.col("out") > 0) & (F.col("in") > 0)), 1)
                ).alias("violations"),
        F.count(F.when(F.col("out") == 0, 1)).alias("centres")).first()
    return int(row["violations"]) == 0, int(row["centres"])


def connected_components(edges, max_iterations: int,
                         checkpoint: Callable | None = None) -> Components:
    """Label every node of ``edges`` (columns ``a``, ``b``: longs) with its component's minimum.

    ``checkpoint(df) -> df`` materialises a round (``localCheckpoint`` when not given). The
    candidate graph of band buckets is often a star forest already (every member linked to
    its bucket's minimum): then no round runs at all."""
    from pyspark.sql import functions as F

    checkpoint = checkpoint or (lambda df: df.localCheckpoint(eager=True))
    current = checkpoint(oriented(edges))
    done, centres = star_forest(current)
    iteration = 0
    while not done:
        if iteration == max_iterations:
            raise ComponentsDidNotConverge(
                f"connected components did not converge in {max_iterations} rounds "
                f"(components.max_iterations); the candidate graph may be unusually deep")
        iteration += 1
        linked = large_star(current).persist()  # small-star reads it twice
        current = checkpoint(small_star(linked))
        linked.unpersist()
        done, centres = star_forest(current)
    labels = current.select(F.col("src").alias("node"), F.col("dst").alias("root"))
    roots = current.select(F.col("dst").alias("node"), F.col("dst").alias("root")).distinct()
    return Components(labels=labels.unionByName(roots), iterations=iteration, components=centres)


@dataclass(frozen=True)
class CheckpointChoice:
    """Where rounds are checkpointed: ``directory`` (reliable, Parquet) or None (executor-local
    blocks, ``localCheckpoint``); ``warning`` when a cluster run has to fall back to those."""

    directory: str | None
    owned: bool = False  # the job's own <dataset>/_work: removed when empty after the run
    warning: str | None = None


def is_local_master(master: str) -> bool:
    """Driver and executors in one JVM (``local``, ``local[N]``, ``local[N,F]``): an executor
    cannot be lost without the driver. ``local-cluster[...]`` runs separate executor JVMs."""
    return master.startswith("local") and not master.startswith("local-cluster")


def choose_checkpoints(master: str, configured: str | None, dataset_uri: str,
                       hadoop_schemes: Iterable[str]) -> CheckpointChoice:
    """Where connected components checkpoint their rounds.

    ``localCheckpoint`` keeps each round in executor storage: one lost executor (spot reclaim,
    dynamic allocation) loses blocks whose lineage was cut, and the job fails. So a reliable
    directory is used whenever one exists: ``components.checkpoint_dir``, else
    ``<dataset>/_work`` when Spark's Hadoop has a file system for the output's scheme
    (``hadoop_schemes``: local, hdfs, s3a; s3 on EMR), else ``s3a://`` for an ``s3://`` output
    when the cluster has s3a. Executor-local checkpoints remain only without any of these;
    outside local mode that is recorded as a warning in the job's stats."""
    if configured:
        return CheckpointChoice(configured)
    schemes = set(hadoop_schemes)
    scheme = st.split_uri(dataset_uri)[0]
    work = st.join_uri(dataset_uri, WORK_DIR)
    if scheme in schemes:
        return CheckpointChoice(work, owned=True)
    if scheme == "s3" and "s3a" in schemes:
        return CheckpointChoice("s3a://" + work.removeprefix("s3://"), owned=True)
    if is_local_master(master):
        return CheckpointChoice(None)
    return CheckpointChoice(None, warning=(
        f"components use executor-local checkpoints on master {master}: Spark has no file "
        f"system for {scheme}:// here; set components.checkpoint_dir (hdfs://, s3a://) so that "
        f"a lost executor does not fail the job"))


def hadoop_schemes(spark, schemes: Iterable[str]) -> set[str]:
    """Those of ``schemes`` for which Spark's Hadoop configuration has a FileSystem class."""
    from webcurate.io.hadoop import has_scheme

    return {scheme for scheme in schemes if has_scheme(scheme, spark)}


class Checkpointer:
    """Materialise a DataFrame and cut its lineage, between stages and rounds.

    With a ``directory`` (any Hadoop file system Spark writes: local, hdfs://, s3a://) each
    call writes Parquet there and reads it back: one computation, compressed columns, and
    it survives the loss of an executor. (Spark's own reliable ``checkpoint()`` computes the
    plan twice, once to count and once to save.) Without one, ``localCheckpoint`` keeps the
    blocks in executor storage."""

    def __init__(self, spark, directory: str | None, owns_directory: bool = False):
        self.spark = spark
        self.directory = f"{directory.rstrip('/')}/{uuid.uuid4().hex}" if directory else None
        self.owns_directory = owns_directory
        self.calls = 0

    def __call__(self, df):
        if not self.directory:
            return df.localCheckpoint(eager=True)
        self.calls += 1
        path = f"{self.directory}/{self.calls:04d}"
        df.write.mode("overwrite").parquet(path)
        return self.spark.read.parquet(path)

    def close(self) -> None:
        """Delete this run's files, and the base directory when it is the job's own and empty."""
        if not self.directory:
            return
        from webcurate.io.hadoop import HadoopFS

        hadoop = HadoopFS(self.spark, self.directory)
        hadoop.delete(self.directory, recursive=True)
        if self.owns_directory:
            hadoop.delete_if_empty_dir(self.directory.rsplit("/", 1)[0])
