"""JSON-lines documents read by one Python task per file, with each row's position and a marker
for rows that could not be read as they are (never dropped). See :func:`read_jsonl`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import islice

import pyarrow as pa

from webcurate.io import storage as st
from webcurate.io.inputs import InputError, is_bad_file_error, iter_lines, one_line, resolve_inputs

#: Lines read from the start of every file to infer a schema (by the executors).
JSONL_INFER_LINES = 1000
JSONL_BATCH_ROWS = 1024


SOURCE_FILE_COLUMN = "_source_file"
SOURCE_ROW_COLUMN = "_source_row"
MALFORMED_COLUMN = "_malformed"
INVALID_JSON = "invalid_json"
UNFIT_FIELDS = "unfit_fields"
UNREADABLE_FILE = "unreadable_file"
_CONVERSION_ERRORS = (pa.ArrowException, TypeError, ValueError, OverflowError)


def read_jsonl(spark, uri_or_files: str | list[str], storage: st.StorageConfig, schema=None):
    """JSON-lines documents (``.jsonl``/``.json``/``.ndjson``: plain, gzip or zstd) as a
    DataFrame of ``schema``'s columns and three bookkeeping ones:

    - ``_source_file`` (the URI as resolved: an absolute local path, ``s3://bucket/key``) and
      ``_source_row`` (0-based line number in the decompressed file): where the row came from,
      so that :mod:`webcurate.documents` can give every row its own id;
    - ``_malformed``: null, or ``(reason, detail, source_file, source_row)`` for a row that
      could not be read as it is: ``invalid_json`` (the line is not a JSON object; all columns
      null), ``unfit_fields`` (values that do not fit the schema are null and keys it lacks are
      left out; the rest of the row is kept) or ``unreadable_file`` (one row for a file that is
      gone or ends in a truncated or corrupt stream; its lines before that are kept). Nothing is
      dropped: callers count these rows with an aggregation and decide (Spark's PERMISSIVE mode).

    Every file is read whole by one Python task, local or remote, because (1) only a reader that
    sees the whole file knows line numbers, and ids must not depend on how Spark splits files;
    (2) Spark needs a Hadoop codec for zstd, and gzip does not split anyway; (3) the pyspark
    wheel has no Hadoop S3 filesystem, and one reader means one behaviour for malformed lines
    everywhere. The cost: a large uncompressed file is not split. ``schema`` (StructType or DDL
    string) skips inference, else :func:`infer_jsonl_schema`. Values are converted with Arrow:
    read timestamps as strings. Invalid UTF-8 becomes U+FFFD, as in Spark's reader."""
    files = resolve_inputs(uri_or_files, storage)
    schema = (_as_struct(spark, schema) if schema is not None
              else infer_jsonl_schema(spark, files, storage))
    one_per_task = spark.sparkContext.parallelize([(f,) for f in files], numSlices=len(files))
    names = spark.createDataFrame(one_per_task, "source_file string")
    return names.mapInArrow(lambda batches: jsonl_batches(batches, schema, storage),
                            jsonl_output_schema(schema))


def _as_struct(spark, schema):
    if isinstance(schema, str):
        return spark.createDataFrame([], schema).schema
    return schema


def jsonl_output_schema(schema):
    """``schema`` followed by the position and ``_malformed`` columns of :func:`read_jsonl`."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    marker = StructType([StructField("reason", StringType()), StructField("detail", StringType()),
                         StructField("source_file", StringType()),
                         StructField("source_row", LongType())])
    return StructType([*schema.fields, StructField(SOURCE_FILE_COLUMN, StringType()),
                       StructField(SOURCE_ROW_COLUMN, LongType()),
                       StructField(MALFORMED_COLUMN, marker)])


def infer_jsonl_schema(spark, files: list[str], storage: st.StorageConfig,
                       lines_per_file: int = JSONL_INFER_LINES):
    """Spark's own JSON inference over the first ``lines_per_file`` lines of *every* file, read
    by the executors (only the schema reaches the driver): a column or type that appears only
    in a later file is still in the schema. A key that appears only further down a file is not;
    such rows are marked ``unfit_fields`` by :func:`read_jsonl`."""
    sample = (spark.sparkContext.parallelize(files, numSlices=len(files))
              .flatMap(lambda uri: head_objects(uri, storage, lines_per_file)))
    schema = spark.read.json(sample, mode="DROPMALFORMED").schema
    if not schema.fields:
        raise InputError(f"cannot infer a schema: no JSON object in the first {lines_per_file} "
                         f"lines of any of {len(files)} files ({st.redact(files[0])}, ...)")
    return schema


def head_objects(uri: str, storage: st.StorageConfig, count: int) -> list[str]:
    """Lines among the first ``count`` of a file that look like JSON objects; a bad file gives
    what could be read (:func:`read_jsonl` records it)."""
    found = []
    lines = iter_lines(uri, storage, errors="replace")
    try:
        for line in islice(lines, count):
            if line.lstrip().startswith("{"):
                found.append(line)
    except Exception as err:
        if not is_bad_file_error(err):
            raise
    finally:
        lines.close()
    return found


def jsonl_batches(batches: Iterator[pa.RecordBatch], schema,
                  storage: st.StorageConfig) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: input rows name files; output batches have ``schema``'s columns with
    exactly its types, then the columns of :func:`jsonl_output_schema`."""
    from pyspark.sql.pandas.types import to_arrow_schema

    target = to_arrow_schema(schema, timezone="UTC")
    output = to_arrow_schema(jsonl_output_schema(schema), timezone="UTC")
    for batch in batches:
        for uri in batch.column("source_file").to_pylist():
            yield from file_batches(uri, target, output, storage)


def numbered_lines(uri: str, storage: st.StorageConfig) -> Iterator[tuple[int, str | None, str]]:
    """``(line number, line, "")``; a bad file ends with ``(n, None, error)`` instead of raising,
    while other errors (network, access) raise so that Spark retries the task."""
    count = 0
    lines = iter_lines(uri, storage, errors="replace")
    try:
        for line in lines:
            yield count, line, ""
            count += 1
    except Exception as err:
        if not is_bad_file_error(err):
            raise
        yield count, None, one_line(err)
    finally:
        lines.close()


def file_batches(uri: str, target: pa.Schema, output: pa.Schema, storage: st.StorageConfig,
                 batch_rows: int = JSONL_BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """One file's non-blank lines as batches of ``output`` (see :func:`read_jsonl`)."""
    rows, marks, positions = [], [], []
    for position, line, error in numbered_lines(uri, storage):
        if line is None:
            row, mark = {}, (UNREADABLE_FILE, error)
        elif not line.strip():
            continue
        else:
            row, mark = parse_line(line)
        rows.append(row)
        marks.append(mark)
        positions.append(position)
        if len(rows) >= batch_rows:
            yield rows_to_batch(rows, marks, positions, uri, target, output)
            rows, marks, positions = [], [], []
    if rows:
        yield rows_to_batch(rows, marks, positions, uri, target, output)


def parse_line(line: str) -> tuple[dict, tuple[str, str] | None]:
    """``(row, None)``, or ``({}, (invalid_json, why))`` for a line that is no JSON object."""
    try:
        row = json.loads(line)
    except ValueError as err:
        return {}, (INVALID_JSON, str(err)[:200])
    if not isinstance(row, dict):
        return {}, (INVALID_JSON, f"a JSON {type(row).__name__}, not an object")
    return row, None


def rows_to_batch(rows: list[dict], marks: list, positions: list[int], uri: str,
                  target: pa.Schema, output: pa.Schema) -> pa.RecordBatch:
    """Rows as one batch of ``output``: the data columns of ``target``, values that do not fit
    it null and marked ``unfit_fields`` (never dropped), then position and marker columns.
    A number, boolean or object in a string column becomes its JSON text, as in Spark."""
    names = set(target.names)
    text_columns = [f.name for f in target
                    if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    for i, row in enumerate(rows):
        extra = row.keys() - names
        if extra:
            marks[i] = marks[i] or (UNFIT_FIELDS, "not in the schema: "
                                    + ", ".join(sorted(extra)[:5]))
        for name in text_columns:
            value = row.get(name)
            if value is not None and not isinstance(value, str):
                row[name] = json.dumps(value, ensure_ascii=False)
    try:
        data = pa.RecordBatch.from_pylist(rows, schema=target)
    except _CONVERSION_ERRORS:
        fitted = []
        for i, row in enumerate(rows):
            kept, unfit = fit_row(row, target)
            if unfit:
                marks[i] = (UNFIT_FIELDS, "do not fit the schema: " + ", ".join(unfit[:5]))
            fitted.append(kept)
        data = pa.RecordBatch.from_pylist(fitted, schema=target)
    marker_type = output.field(MALFORMED_COLUMN).type
    marker = pa.StructArray.from_arrays(
        [pa.array([m[0] if m else None for m in marks], pa.string()),
         pa.array([m[1] if m else None for m in marks], pa.string()),
         pa.array([uri if m else None for m in marks], pa.string()),
         pa.array([p if m else None for m, p in zip(marks, positions, strict=True)], pa.int64())],
        fields=list(marker_type), mask=pa.array([m is None for m in marks]))
    return pa.RecordBatch.from_arrays(
        [*data.columns, pa.array([uri] * len(rows), pa.string()),
         pa.array(positions, pa.int64()), marker], schema=output)


def fit_row(row: dict, target: pa.Schema) -> tuple[dict, list[str]]:
    """``row`` with each value that does not convert to its column's type set to null, and the
    names of those columns."""
    try:
        pa.RecordBatch.from_pylist([row], schema=target)
        return row, []
    except _CONVERSION_ERRORS:
        pass
    fitted, unfit = {}, []
    for field in target:
        try:
            pa.array([row.get(field.name)], type=field.type)
            fitted[field.name] = row.get(field.name)
        except _CONVERSION_ERRORS:
            unfit.append(field.name)
    return fitted, unfit
