"""One pass, several datasets: rows routed by a column to the dataset each belongs in.

A filter run produces ``kept/`` and one ``rejected/filter=<name>/`` per filter from the same
computation; computing the chain once per output, or persisting the whole annotated corpus to
split it afterwards, would cost a second pass. :func:`write_routed_datasets` writes every route
in the one Spark job, with the same guarantees as :func:`webcurate.io.datasets.write_dataset_files`
(files of successful task attempts only, deterministic names ``{file_prefix}-NNNNN.parquet``, a
route without rows still gets one empty schema-carrying file):

- where :func:`webcurate.io.storage.parquet_writer` says ``"spark"`` (local, ``hdfs://``,
  ``s3a://``, ``s3://`` with ``storage.s3_writer: spark``): Spark's writer with ``partitionBy`` on
  the route column into a staging directory, then each ``{route}=<id>/part-NNNNN-*.parquet`` is
  renamed to its dataset through Hadoop (:mod:`.hadoop`). Concurrent writers per task are
  allowed so that Spark does not sort each partition by route.
- where it says ``"python"`` (``s3://`` by default): the Python Data Source below; each task
  keeps one staging object per route it saw, and the driver's commit publishes them (or abort
  deletes them).

The route column holds small integers (keys of ``routes``) and is not written to the files.
"""

from __future__ import annotations

import json
import re
import typing
import uuid
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql.datasource import DataSource, DataSourceArrowWriter, WriterCommitMessage

from webcurate.io import s3_parquet
from webcurate.io import storage as st
from webcurate.io.datasets import list_dataset_files, sweep_after_failed_write
from webcurate.io.hadoop import HadoopFS
from webcurate.io.s3_parquet import StagedFile, final_name, is_final_name_of

NAME = "webcurate_s3_parquet_routed"
_SPARK_PART = re.compile(r"part-(\d+)-.*\.parquet")
#: Open Parquet writers a Spark task may hold at once before it falls back to sorting by route.
MAX_CONCURRENT_WRITERS = 64


def write_routed_datasets(df, route_column: str, routes: dict[int, str], file_prefix: str,
                          storage: st.StorageConfig) -> dict[str, list[str]]:
    """Write each row of ``df`` to ``routes[row[route_column]]`` (a dataset URI), in one pass.

    Every dataset in ``routes`` ends with exactly this write's files for ``file_prefix`` (earlier
    ones of the prefix are replaced); returns ``{dataset_uri: [file URIs]}``. A row whose route
    is not a key of ``routes`` fails the write.
    """
    from webcurate.faults import with_faults

    df = with_faults(df)
    targets = set(routes.values())
    writers = {st.parquet_writer(u, storage) for u in targets}
    if len(targets) != len(routes) or len(writers) > 1:
        raise ValueError(f"routes must name distinct datasets, all written by Spark or all by "
                         f"the Python Data Source (s3:// with storage.s3_writer: python): {routes}")
    if writers == {"python"}:
        return _write_s3(df, route_column, routes, file_prefix, storage)
    return _write_with_spark(df, route_column, routes, file_prefix, storage)


def _write_with_spark(df, route_column: str, routes: dict[int, str], file_prefix: str,
                      storage: st.StorageConfig) -> dict[str, list[str]]:
    spark = df.sparkSession
    first = next(iter(routes.values()))
    hadoop = HadoopFS(spark, first)
    staging = st.join_uri(first, s3_parquet.STAGING_DIR, f"routed-{file_prefix}")
    for dataset in routes.values():
        for name in hadoop.file_names(dataset):
            if is_final_name_of(name, file_prefix):
                hadoop.delete(st.join_uri(dataset, name))
    key = "spark.sql.maxConcurrentOutputFileWriters"
    previous = spark.conf.get(key, "0")
    spark.conf.set(key, str(MAX_CONCURRENT_WRITERS))
    try:
        (df.write.mode("overwrite").partitionBy(route_column).option("maxRecordsPerFile", 0)
         .option("compression", s3_parquet.DEFAULT_COMPRESSION).parquet(staging))
        _check_no_stray_routes(hadoop, staging, route_column, routes)
        written: dict[str, list[str]] = {dataset: [] for dataset in routes.values()}
        for route, dataset in routes.items():
            route_dir = st.join_uri(staging, f"{route_column}={route}")
            for name in hadoop.file_names(route_dir):
                match = _SPARK_PART.fullmatch(name)
                if match:
                    target = st.join_uri(dataset, final_name(file_prefix, int(match.group(1))))
                    hadoop.rename(st.join_uri(route_dir, name), target)
                    written[dataset].append(target)
        empty_schema = s3_parquet.file_schema(df.drop(route_column).schema)
        for dataset, files in written.items():
            if not files:
                files.append(st.join_uri(dataset, final_name(file_prefix, 0)))
                st.makedirs(dataset)
                s3_parquet.write_empty_file(files[0], empty_schema, storage,
                                            s3_parquet.DEFAULT_COMPRESSION)
    finally:
        spark.conf.set(key, previous)
        hadoop.delete(staging, recursive=True)
        hadoop.delete_if_empty_dir(st.join_uri(first, s3_parquet.STAGING_DIR))
    return {dataset: sorted(files) for dataset, files in written.items()}


def _write_s3(df, route_column: str, routes: dict[int, str], file_prefix: str,
              storage: st.StorageConfig) -> dict[str, list[str]]:
    spark = df.sparkSession
    spark.dataSource.register(RoutedS3ParquetDataSource)
    try:
        (df.write.format(NAME).mode("append")
         .option("route_column", route_column)
         .option("routes", json.dumps({str(k): v for k, v in routes.items()}))
         .option("file_prefix", file_prefix)
         .options(**s3_parquet.storage_options(storage))
         .save())
    except Exception:
        sweep_after_failed_write(spark, list(routes.values()), file_prefix, storage)
        raise
    return {dataset: [u for u in list_dataset_files(dataset, storage)
                      if is_final_name_of(u.rsplit("/", 1)[-1], file_prefix)]
            for dataset in routes.values()}


def _check_no_stray_routes(hadoop: HadoopFS, staging: str, route_column: str,
                           routes: dict[int, str]) -> None:
    """Spark's writer accepts any route value: one without a dataset must fail, not vanish."""
    known = {f"{route_column}={route}" for route in routes}
    stray = [name for name in hadoop.dir_names(staging) if name not in known]
    if stray:
        raise ValueError(f"rows routed to {', '.join(sorted(stray))}: not one of {sorted(routes)}")


# --- the s3:// data source ---------------------------------------------------------------------

class _RouteSink:
    """One task's staging object for one route, opened on its first row."""

    def __init__(self, uri: str, schema: pa.Schema, storage: st.StorageConfig, compression: str):
        import pyarrow.parquet as pq

        self.uri, self.rows = uri, 0
        fs, path = st.arrow_filesystem(uri, storage)
        self._sink = fs.open_output_stream(path)
        self._writer = pq.ParquetWriter(self._sink, schema, compression=compression)
        self._buffered: list[pa.RecordBatch] = []
        self._buffered_bytes = 0
        self._schema = schema

    def write(self, batch: pa.RecordBatch) -> None:
        self._buffered.append(batch)
        self._buffered_bytes += batch.nbytes
        self.rows += batch.num_rows
        if self._buffered_bytes >= s3_parquet.ROW_GROUP_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._buffered:
            self._writer.write_table(pa.Table.from_batches(self._buffered, self._schema))
            self._buffered, self._buffered_bytes = [], 0

    def close(self) -> None:
        self._flush()
        self._writer.close()
        self._sink.close()


class RoutedCommit(WriterCommitMessage):
    def __init__(self, staged: dict[int, StagedFile]):
        self.staged = staged


class RoutedS3ParquetWriter(DataSourceArrowWriter):
    def __init__(self, options: typing.Mapping[str, str], spark_schema):
        self.route_column = options["route_column"]
        self.routes = {int(k): v for k, v in json.loads(options["routes"]).items()}
        self.file_prefix = options["file_prefix"]
        self.compression = options.get("compression") or s3_parquet.DEFAULT_COMPRESSION
        self.storage = s3_parquet.storage_from_options(options)
        full = s3_parquet.file_schema(spark_schema)
        self.schema = full.remove(full.get_field_index(self.route_column))

    def write(self, iterator: Iterator[pa.RecordBatch]) -> RoutedCommit:
        from pyspark import TaskContext

        partition_id = TaskContext.get().partitionId()
        sinks: dict[int, _RouteSink] = {}
        try:
            for batch in iterator:
                if batch.num_rows:
                    self._route_batch(batch, partition_id, sinks)
        finally:
            for sink in sinks.values():
                sink.close()
        return RoutedCommit({route: StagedFile(partition_id, sink.uri,
                                               final_name(self.file_prefix, partition_id),
                                               sink.rows)
                             for route, sink in sinks.items()})

    def _route_batch(self, batch: pa.RecordBatch, partition_id: int,
                     sinks: dict[int, _RouteSink]) -> None:
        route_values = batch.column(self.route_column)
        data = batch.drop_columns([self.route_column]).cast(self.schema)
        for route in pc.unique(route_values).to_pylist():
            if route not in self.routes:
                raise ValueError(f"row routed to {route!r}, not one of {sorted(self.routes)}")
            part = data.filter(pc.equal(route_values, route))
            if route not in sinks:
                uri = st.join_uri(s3_parquet.staging_dir(self.routes[route], self.file_prefix),
                                  f"part-{partition_id:05d}-{uuid.uuid4().hex}.parquet")
                sinks[route] = _RouteSink(uri, self.schema, self.storage, self.compression)
            sinks[route].write(part)

    def commit(self, messages: list[RoutedCommit | None]) -> None:
        for route, dataset in self.routes.items():
            staged = [m.staged[route] for m in messages if m is not None and route in m.staged]
            s3_parquet.commit_staged(dataset, self.file_prefix, staged, self.schema,
                                     self.storage, self.compression)

    def abort(self, messages: list[RoutedCommit | None]) -> None:
        for dataset in self.routes.values():
            s3_parquet.clear_staging(dataset, self.file_prefix, self.storage)


class RoutedS3ParquetDataSource(DataSource):
    """Write-only: ``df.write.format(NAME)`` with options route_column, routes, file_prefix."""

    @classmethod
    def name(cls) -> str:
        return NAME

    def writer(self, schema, overwrite: bool) -> RoutedS3ParquetWriter:
        return RoutedS3ParquetWriter(self.options, schema)
