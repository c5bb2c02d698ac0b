"""The Spark side of the filter chain: Arrow batches in, annotated and routed batches out.

Executors receive the chain as plain data (filter names and their settings as JSON) and build
the steps, lists included, once per Python worker. Text, url, language and language_score are the
only columns converted to Python; every other column passes through as Arrow.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa
import pyarrow.compute as pc

from webcurate.config import ConfigError, build
from webcurate.filters.chain import ChainStep, edited_text, redecide, run_chain
from webcurate.filters.registry import Document, get_filter, signal_names
from webcurate.io.storage import StorageConfig

FILTER_COLUMN = "filter"
REASON_COLUMN = "reason"
_ARROW_TYPES = {int: pa.int64(), float: pa.float64()}
_STEPS: dict[str, list[ChainStep]] = {}
#: A folder: each Python worker's task loop is run under cProfile and its stats dumped there as
#: ``filter-<pid>-<ns>.prof`` (read with ``python -m pstats``): where the workers' CPU goes.
PROFILE_ENV = "WEBCURATE_PROFILE_DIR"


def steps_for(plan_json: str, storage: StorageConfig) -> list[ChainStep]:
    """The chain's steps, lists loaded, built once per process for one plan."""
    steps = _STEPS.get(plan_json)
    if steps is None:
        steps = []
        for name, raw in json.loads(plan_json):
            entry = get_filter(name)
            config = build(entry.config_class, raw, prefix=f"settings.{name}.")
            resources = entry.load_resources(config, storage) if entry.load_resources else None
            steps.append(ChainStep(entry, config, resources))
        _STEPS[plan_json] = steps
    return steps


def _optional(batch: pa.RecordBatch, name: str) -> list:
    if name in batch.schema.names:
        return batch.column(name).to_pylist()
    return [None] * batch.num_rows


def _documents(batch: pa.RecordBatch, texts: list | None = None) -> list[Document]:
    texts = _optional(batch, "text") if texts is None else texts
    return [Document(text or "", url, language, score) for text, url, language, score in zip(
        texts, _optional(batch, "url"), _optional(batch, "language"),
        _optional(batch, "language_score"), strict=True)]


def _signal_arrays(signals: list[dict], steps: list[ChainStep]) -> list[pa.Array]:
    arrays = []
    for step in steps:
        for name, kind in step.entry.signals:
            values = [s.get(name) for s in signals]
            arrays.append(pa.array([None if v is None else kind(v) for v in values],
                                   _ARROW_TYPES[kind]))
    return arrays


def _with_edits(column: pa.Array, texts: list, originals: list, string) -> pa.Array:
    """``column`` with the rows whose text the chain edited replaced: only the edited texts go
    back from Python to Arrow (most rows are rejected or unedited and keep their Arrow value)."""
    changed = [t is not o for t, o in zip(texts, originals, strict=True)]
    if not any(changed):
        return column
    edited = pa.array([t for t, c in zip(texts, changed, strict=True) if c], string)
    return pc.replace_with_mask(column, pa.array(changed, pa.bool_()), edited)


def _routes(filters: list[str | None], steps: list[ChainStep]) -> pa.Array:
    index = {step.entry.name: i for i, step in enumerate(steps, start=1)}
    return pa.array([0 if f is None else index[f] for f in filters], pa.int32())


@contextmanager
def _profiled():
    folder = os.environ.get(PROFILE_ENV)
    if not folder:
        yield
        return
    import cProfile
    import time

    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        os.makedirs(folder, exist_ok=True)
        profile.dump_stats(os.path.join(folder, f"filter-{os.getpid()}-{time.time_ns()}.prof"))


def annotate_batches(batches: Iterator[pa.RecordBatch], plan_json: str,
                     measure_after_reject: bool, storage: StorageConfig,
                     ) -> Iterator[pa.RecordBatch]:
    """Run the chain on every row: kept rows carry the edited text, rejected rows the original."""
    with _profiled():
        yield from _annotate(batches, plan_json, measure_after_reject, storage)


def _annotate(batches: Iterator[pa.RecordBatch], plan_json: str, measure_after_reject: bool,
              storage: StorageConfig) -> Iterator[pa.RecordBatch]:
    steps = steps_for(plan_json, storage)
    for batch in batches:
        originals = _optional(batch, "text")
        outcomes = [run_chain(doc, steps, measure_after_reject)
                    for doc in _documents(batch, originals)]
        texts = [o.text if o.filter is None else original
                 for o, original in zip(outcomes, originals, strict=True)]
        string = batch.schema.field("text").type
        columns = [_with_edits(batch.column(name), texts, originals, string)
                   if name == "text" else batch.column(name) for name in batch.schema.names]
        filters = [o.filter for o in outcomes]
        columns += _signal_arrays([o.signals for o in outcomes], steps)
        columns += [pa.array(filters, string), pa.array([o.reason for o in outcomes], string),
                    _routes(filters, steps)]
        yield pa.RecordBatch.from_arrays(columns, names=[
            *batch.schema.names, *signal_names([s.entry.name for s in steps]),
            FILTER_COLUMN, REASON_COLUMN, "_route"])


def redecide_batches(batches: Iterator[pa.RecordBatch], plan_json: str,
                     storage: StorageConfig) -> Iterator[pa.RecordBatch]:
    """Decide again from the stored signals; re-edit the text of rows that are kept now but
    were rejected before (their stored text is the original)."""
    steps = steps_for(plan_json, storage)
    names = signal_names([s.entry.name for s in steps])
    for batch in batches:
        stored = {name: batch.column(name).to_pylist() for name in names}
        old_reasons = batch.column(REASON_COLUMN).to_pylist()
        decisions = [redecide({name: stored[name][i] for name in names}, steps)
                     for i in range(batch.num_rows)]
        texts = batch.column("text").to_pylist()
        docs = _documents(batch, texts)  # built now: later edits of texts do not reach them
        for i, ((new_filter, _), old_reason) in enumerate(zip(decisions, old_reasons, strict=True)):
            if new_filter is None and old_reason is not None:
                texts[i] = edited_text(docs[i], steps)
        string = batch.schema.field("text").type
        replaced = {"text": pa.array(texts, string),
                    FILTER_COLUMN: pa.array([d[0] for d in decisions], string),
                    REASON_COLUMN: pa.array([d[1] for d in decisions], string)}
        columns = [replaced.get(name, batch.column(name)) for name in batch.schema.names]
        columns.append(_routes([d[0] for d in decisions], steps))
        yield pa.RecordBatch.from_arrays(columns, names=[*batch.schema.names, "_route"])


def _output_schema(df, extra: list[tuple[str, str]]):
    from pyspark.sql.types import StructField, StructType, _parse_datatype_string

    fields = list(df.schema.fields)
    fields += [StructField(name, _parse_datatype_string(kind), True) for name, kind in extra]
    return StructType(fields)


def annotate_frame(df, plan: list[tuple[str, dict]], measure_after_reject: bool,
                   route_column: str, storage: StorageConfig):
    """``df`` with the chain's signal columns, ``filter``, ``reason`` and the route column."""
    names = [name for name, _ in plan]
    produced = {*signal_names(names), FILTER_COLUMN, REASON_COLUMN, route_column}
    df = df.drop(*[c for c in df.columns if c in produced])
    kinds = {int: "bigint", float: "double"}
    extra = [(name, kinds[kind]) for n in names for name, kind in get_filter(n).signals]
    extra += [(FILTER_COLUMN, "string"), (REASON_COLUMN, "string"), (route_column, "int")]
    plan_json = json.dumps(plan, sort_keys=True)
    return df.mapInArrow(
        lambda batches: annotate_batches(batches, plan_json, measure_after_reject, storage),
        _output_schema(df, extra))


def check_annotated(columns: list[str], filters: list[str]) -> None:
    """An annotated input must hold every signal of the chain, and filter/reason columns."""
    missing = [c for c in [*signal_names(filters), FILTER_COLUMN, REASON_COLUMN]
               if c not in columns]
    if missing:
        raise ConfigError(f"config key 'annotated': the input lacks the columns {missing[:5]}"
                          f"{' ...' if len(missing) > 5 else ''}; was it filtered with this chain?")


def redecide_frame(df, plan: list[tuple[str, dict]], route_column: str, storage: StorageConfig):
    """``df`` (an earlier run's output) with new ``filter``/``reason`` and the route column."""
    df = df.drop(route_column) if route_column in df.columns else df
    plan_json = json.dumps(plan, sort_keys=True)
    return df.mapInArrow(lambda batches: redecide_batches(batches, plan_json, storage),
                         _output_schema(df, [(route_column, "int")]))
