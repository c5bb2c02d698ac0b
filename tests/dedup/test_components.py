"""Connected components (large-star / small-star) on Spark against union-find."""

from __future__ import annotations

import itertools
import random

import pytest
from reference_lsh import UnionFind

from webcurate.dedup.spark.components import (
    Checkpointer,
    ComponentsDidNotConverge,
    choose_checkpoints,
    connected_components,
    hadoop_schemes,
)

pytestmark = pytest.mark.spark


def known_graphs(rng: random.Random, chain_nodes: int) -> list[tuple[int, int]]:
    """Disjoint graphs on shuffled node ids: a chain, a 400-leaf star whose centre is not its
    minimum, two cliques joined by one edge, a sparse random graph, a lone edge, duplicate
    and reversed edges, and a self loop."""
    ids = list(range(1, chain_nodes + 3000))
    rng.shuffle(ids)
    chain, rest = ids[:chain_nodes], ids[chain_nodes:]
    edges = list(itertools.pairwise(chain))
    star, rest = rest[:401], rest[401:]
    centre = max(star)
    edges += [(centre, leaf) for leaf in star if leaf != centre]
    clique_a, clique_b, rest = rest[:8], rest[8:16], rest[16:]
    edges += [(x, y) for c in (clique_a, clique_b) for x in c for y in c if x < y]
    edges.append((clique_a[0], clique_b[-1]))
    sparse, rest = rest[:600], rest[600:]
    edges += [(rng.choice(sparse), rng.choice(sparse)) for _ in range(500)]
    edges += [(rest[0], rest[1]), (rest[1], rest[0]), (rest[0], rest[1]), (rest[2], rest[2])]
    return edges


def union_find_labels(edges):
    found = UnionFind()
    for a, b in edges:
        found.union(a, b)  # UnionFind keeps the smaller root: labels are component minima
    return {node: found.find(node) for edge in edges for node in edge
            if edge[0] != edge[1] or found.find(node) != node}


@pytest.mark.parametrize("chain_nodes", [
    200, pytest.param(20_000, marks=pytest.mark.slow)])
def test_labels_are_component_minima_on_known_graphs(spark, tmp_path, chain_nodes):
    edges = known_graphs(random.Random(4), chain_nodes)
    df = spark.createDataFrame(edges, "a long, b long").repartition(3)
    checkpoint = Checkpointer(spark, str(tmp_path / "checkpoints"))
    try:
        result = connected_components(df, max_iterations=30, checkpoint=checkpoint)
        labels = dict(result.labels.collect())
    finally:
        checkpoint.close()
    expected = union_find_labels(edges)
    expected.pop(edges[-1][0], None)  # the self loop alone is no edge of the graph
    assert labels == expected
    assert 2 <= result.iterations <= 20
    assert result.components == len(set(expected.values()))
    assert not any((tmp_path / "checkpoints").iterdir())  # this run's files are gone


def test_iteration_guard_stops_a_run_that_has_not_converged(spark):
    chain = [(i, i + 1) for i in range(200)]
    with pytest.raises(ComponentsDidNotConverge, match=r"components\.max_iterations"):
        connected_components(spark.createDataFrame(chain, "a long, b long"), max_iterations=1)


def test_no_edges_no_labels(spark):
    result = connected_components(spark.createDataFrame([], "a long, b long"), 5)
    assert result.labels.count() == 0 and result.iterations == 0 and result.components == 0


def test_stars_of_band_buckets_need_no_round_and_overlapping_stars_do(spark):
    """Star edges (member -> bucket minimum) are already the answer when every member has one
    bucket minimum; a member of two buckets with different minima joins them in a round."""
    stars = [(leaf, 1) for leaf in range(2, 40)] + [(leaf, 100) for leaf in range(101, 120)]
    result = connected_components(spark.createDataFrame(stars, "a long, b long"), 5)
    assert result.iterations == 0 and result.components == 2
    joined = connected_components(spark.createDataFrame([*stars, (110, 5)], "a long, b long"), 5)
    assert joined.iterations >= 1 and joined.components == 1
    assert {root for _, root in joined.labels.collect()} == {1}


# --- where rounds are checkpointed (issue 11, defect 9) -----------------------------------------

@pytest.mark.parametrize("master", ["spark://10.0.0.1:7077", "yarn", "k8s://https://api:6443",
                                    "local-cluster[2,1,1024]"])
def test_a_cluster_checkpoints_to_a_reliable_directory(master):
    local = choose_checkpoints(master, None, "/data/out/minhash-x", {"file"})
    assert (local.directory, local.owned, local.warning) == ("/data/out/minhash-x/_work", True,
                                                             None)
    hdfs = choose_checkpoints(master, None, "hdfs://nn/out/t", {"file", "hdfs"})
    assert hdfs.directory == "hdfs://nn/out/t/_work"
    # s3:// without Spark's s3 file system: the same objects through s3a when it is there
    assert choose_checkpoints(master, None, "s3://b/out/t", {"file", "s3a"}).directory == \
        "s3a://b/out/t/_work"
    on_emr = choose_checkpoints(master, None, "s3://b/out/t", {"file", "s3"})
    assert on_emr.directory == "s3://b/out/t/_work"
    configured = choose_checkpoints(master, "hdfs://nn/tmp/cc", "s3://b/out/t", {"file"})
    assert (configured.directory, configured.owned) == ("hdfs://nn/tmp/cc", False)
    # nothing reliable: executor-local checkpoints, and the stats say so
    fallback = choose_checkpoints(master, None, "s3://b/out/t", {"file"})
    assert fallback.directory is None and "components.checkpoint_dir" in fallback.warning


@pytest.mark.parametrize("master", ["local", "local[2]", "local[*]", "local[2,4]"])
def test_local_mode_may_use_executor_local_checkpoints_without_a_warning(master):
    choice = choose_checkpoints(master, None, "s3://b/out/t", {"file"})
    assert (choice.directory, choice.warning) == (None, None)
    assert choose_checkpoints(master, None, "/out/t", {"file"}).directory == "/out/t/_work"


def test_hadoop_schemes_are_probed_on_the_session(spark):
    found = hadoop_schemes(spark, ["file", "no-such-scheme"])
    assert found == {"file"}


def test_reliable_checkpoints_give_the_same_components_and_are_cleaned(spark, tmp_path):
    rng = random.Random(3)
    edges = known_graphs(rng, 300)
    df = spark.createDataFrame(edges, "a long, b long")
    results = {}
    for name, directory in (("local", None), ("reliable", str(tmp_path / "_work"))):
        checkpoint = Checkpointer(spark, directory, owns_directory=True)
        try:
            result = connected_components(df, max_iterations=30, checkpoint=checkpoint)
            results[name] = (sorted(tuple(r) for r in result.labels.collect()),
                             result.components, result.iterations)
        finally:
            checkpoint.close()
        if directory:
            assert checkpoint.calls > 0  # rounds went through the directory
    assert results["local"] == results["reliable"]
    expected = union_find_labels(edges)
    expected.pop(edges[-1][0], None)  # the self loop alone is no edge of the graph
    assert results["reliable"][0] == sorted(expected.items())
    assert not (tmp_path / "_work").exists()  # the run's files and its own directory are gone
