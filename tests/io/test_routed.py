"""One pass, several datasets (``io/routed.py``), on local disk and on the S3 server."""

from __future__ import annotations

import pytest

from webcurate.io import storage as st
from webcurate.io.datasets import list_dataset_files, read_parquet
from webcurate.io.routed import write_routed_datasets

pytestmark = pytest.mark.spark

PREFIX = "part-00000000000000aa"


@pytest.fixture(params=["local", "s3"])
def base(request, tmp_path):
    if request.param == "local":
        return str(tmp_path / "out"), st.StorageConfig()
    server = request.getfixturevalue("s3_server")
    return f"s3://{server.make_bucket()}/out", server.storage


def _frame(spark, rows: int):
    # route 0 for even ids, 1 for ids divisible by 3 (and odd), route 2 never used
    data = [(i, f"text {i}", 0 if i % 2 == 0 else (1 if i % 3 == 0 else 3)) for i in range(rows)]
    return spark.createDataFrame(data, "id long, text string, _route int").repartition(3)


def test_rows_land_in_their_route_exactly_once_and_empty_routes_keep_the_schema(spark, base):
    uri, storage = base
    routes = {0: st.join_uri(uri, "kept"), 1: st.join_uri(uri, "rejected", "filter=a"),
              2: st.join_uri(uri, "rejected", "filter=b"), 3: st.join_uri(uri, "rejected", "x")}
    written = write_routed_datasets(_frame(spark, 300), "_route", routes, PREFIX, storage)

    assert set(written) == set(routes.values())
    for route, dataset in routes.items():
        assert list_dataset_files(dataset, storage) == written[dataset]
        df = read_parquet(spark, dataset, storage)
        assert df.columns == ["id", "text"]  # the route column is not stored
        ids = sorted(r.id for r in df.collect())
        expected = [i for i in range(300)
                    if (0 if i % 2 == 0 else (1 if i % 3 == 0 else 3)) == route]
        assert ids == expected
    assert len(written[routes[2]]) == 1  # one empty, schema-carrying file


def test_rewriting_a_prefix_replaces_its_files(spark, base):
    uri, storage = base
    routes = {0: st.join_uri(uri, "kept"), 1: st.join_uri(uri, "rejected", "filter=a"),
              3: st.join_uri(uri, "rejected", "x")}
    write_routed_datasets(_frame(spark, 300), "_route", routes, PREFIX, storage)
    write_routed_datasets(_frame(spark, 30), "_route", routes, PREFIX, storage)
    total = sum(read_parquet(spark, d, storage).count() for d in routes.values())
    assert total == 30
    leftovers = [u for u in st.list_files(uri, storage) if "_staging" in u]
    assert leftovers == []


def test_a_row_with_an_unknown_route_fails_the_write_and_publishes_nothing(spark, base):
    uri, storage = base
    routes = {0: st.join_uri(uri, "kept"), 1: st.join_uri(uri, "rejected", "filter=a")}
    with pytest.raises(Exception, match="routed to"):
        write_routed_datasets(_frame(spark, 30), "_route", routes, PREFIX, storage)
    assert [u for d in routes.values() for u in list_dataset_files(d, storage)] == []
    assert [u for u in st.list_files(uri, storage) if "_staging" in u] == []
