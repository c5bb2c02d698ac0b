"""Evaluation sets as files: which files, which fields form an item's text, and reading them.

A benchmark is named in the config with its files (JSONL, JSONL.gz/.zst or Parquet; a
directory or glob is listed and its other files skipped) and the fields whose values, joined
by a newline, are one item's text: GSM8K ``question`` + ``answer``, HumanEval ``prompt`` +
``canonical_solution``, PIQA ``goal`` + ``sol1`` + ``sol2``. A field holding a list (e.g. a
list of choices) contributes its elements, each on its own line; numbers are written out.
``id_field`` names the field that identifies an item in reports (else its file and row).

:func:`check_benchmark` runs before any Spark work: every file must exist and carry every
field (its first JSON row, or its Parquet schema), else one line names the file and the field.
A later row without a field, or a line that is not JSON, is counted (``rows_missing_fields``,
``malformed_rows``), never fatal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from webcurate.config import ConfigError, option
from webcurate.io import storage as st
from webcurate.io.inputs import InputError, iter_lines, resolve_inputs

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".json", ".json.gz", ".ndjson")
PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass(frozen=True)
class BenchmarkSpec:
    """One evaluation set: ``{name: gsm8k, paths: [...], fields: [question, answer]}``."""

    name: str = option(help="the benchmark's name in stats and reports")
    paths: list[str] = option(help="its files: JSONL(.gz/.zst) or Parquet; a directory or glob")
    fields: list[str] = option(help="the fields whose values, joined by newlines, are an "
                                    "item's text (e.g. question, answer)")
    id_field: str | None = option(None, help="the field identifying an item in reports "
                                             "(default: file name and row number)")

    def __post_init__(self):
        if not self.name or not self.name.strip():
            raise ValueError("config key 'name': a benchmark needs a name")
        if not self.fields:
            raise ValueError(f"config key 'fields': benchmark {self.name!r} names no field")
        if not self.paths:
            raise ValueError(f"config key 'paths': benchmark {self.name!r} names no file")


def file_format(uri: str) -> str | None:
    name = uri.lower()
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return None


def benchmark_files(spec: BenchmarkSpec, storage: st.StorageConfig) -> list[str]:
    """Every JSONL / Parquet file of a benchmark, sorted; a file named explicitly in another
    format, or paths that hold none, are a ConfigError."""
    found: set[str] = set()
    for path in spec.paths:
        try:
            files = resolve_inputs([path], storage)
        except InputError as err:
            raise ConfigError(f"benchmark '{spec.name}': {err}") from None
        readable = [f for f in files if file_format(f)]
        if not readable:
            raise ConfigError(f"benchmark '{spec.name}': {path} holds no JSONL or Parquet file "
                              f"(found: {', '.join(f.rsplit('/', 1)[-1] for f in files[:3])})")
        found.update(readable)
    return sorted(found)


def _first_row(uri: str, storage: st.StorageConfig) -> dict | None:
    for line in iter_lines(uri, storage, errors="replace"):
        if line.strip():
            try:
                row = json.loads(line)
            except ValueError:
                raise ConfigError(f"benchmark file {uri}: its first line is not JSON") from None
            if not isinstance(row, dict):
                raise ConfigError(f"benchmark file {uri}: its first line is not a JSON object")
            return row
    return None


def file_fields(uri: str, storage: st.StorageConfig) -> list[str] | None:
    """The fields a benchmark file has (JSONL: its first row's keys; Parquet: its schema);
    None for an empty JSONL file."""
    if file_format(uri) == "parquet":
        import pyarrow.parquet as pq

        fs, path = st.arrow_filesystem(uri, storage)
        with fs.open_input_file(path) as handle:
            return list(pq.read_schema(handle).names)
    row = _first_row(uri, storage)
    return None if row is None else list(row)


def check_benchmark(spec: BenchmarkSpec, storage: st.StorageConfig) -> list[str]:
    """Its files, each checked for every field (one ConfigError line naming file and field)."""
    files = benchmark_files(spec, storage)
    for uri in files:
        try:
            present = file_fields(uri, storage)
        except (OSError, EOFError) as err:
            raise ConfigError(f"benchmark '{spec.name}': cannot read {uri}: "
                              f"{type(err).__name__}: {err}") from None
        if present is None:
            continue
        wanted = [*spec.fields, *([spec.id_field] if spec.id_field else [])]
        for name in wanted:
            if name not in present:
                raise ConfigError(f"benchmark '{spec.name}': file {uri} has no field '{name}' "
                                  f"(its fields: {', '.join(present[:12])})")
    return files


def _text_of(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        parts = [_text_of(v) for v in value]
        return "\n".join(p for p in parts if p)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@dataclass
class ItemCounts:
    """What reading a benchmark file met besides items."""

    items: int = 0
    malformed_rows: int = 0
    rows_missing_fields: int = 0
    examples: list[str] = field(default_factory=list)  # the first few problems, one line each

    def note(self, text: str) -> None:
        if len(self.examples) < 3:
            self.examples.append(text)


def item_text(row: dict, fields: tuple[str, ...] | list[str]) -> tuple[str, bool]:
    """``(text, complete)``: the fields' values joined by newlines; ``complete`` is False when
    a field is absent or null (its part is then empty)."""
    parts, complete = [], True
    for name in fields:
        value = _text_of(row.get(name))
        if value is None:
            complete = False
            continue
        parts.append(value)
    return "\n".join(parts), complete


def _rows(uri: str, storage: st.StorageConfig, counts: ItemCounts) -> Iterator[tuple[int, dict]]:
    if file_format(uri) == "parquet":
        import pyarrow.parquet as pq

        fs, path = st.arrow_filesystem(uri, storage)
        with fs.open_input_file(path) as handle:
            number = 0
            for batch in pq.ParquetFile(handle).iter_batches(batch_size=4096):
                for row in batch.to_pylist():
                    yield number, row
                    number += 1
        return
    for number, line in enumerate(iter_lines(uri, storage, errors="replace")):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            row = None
        if not isinstance(row, dict):
            counts.malformed_rows += 1
            counts.note(f"{uri} line {number + 1}: not a JSON object")
            continue
        yield number, row


def iter_items(uri: str, spec_fields: tuple[str, ...] | list[str], id_field: str | None,
               storage: st.StorageConfig, counts: ItemCounts) -> Iterator[tuple[str, str]]:
    """``(item id, text)`` for every row of one benchmark file. The id is the ``id_field``
    value, else ``<file name>:<row>`` (row 0-based: line number - 1 in JSONL)."""
    name = uri.rsplit("/", 1)[-1]
    for number, row in _rows(uri, storage, counts):
        text, complete = item_text(row, spec_fields)
        if not complete:
            counts.rows_missing_fields += 1
            counts.note(f"{uri} row {number}: missing or null field among "
                        f"{', '.join(spec_fields)}")
        item = row.get(id_field) if id_field else None
        counts.items += 1
        yield (str(item) if item is not None else f"{name}:{number}"), text


#: The three test sets in ../shared/data/benchmarks (README there), as a config would name them.
def shared_benchmarks(root: str) -> list[dict]:
    """Config entries for GSM8K, HumanEval and PIQA under ``root`` (``.../benchmarks``)."""
    return [
        {"name": "gsm8k", "paths": [f"{root}/gsm8k/test.jsonl"], "fields": ["question", "answer"]},
        {"name": "humaneval", "paths": [f"{root}/humaneval/HumanEval.jsonl.gz"],
         "fields": ["prompt", "canonical_solution"], "id_field": "task_id"},
        {"name": "piqa", "paths": [f"{root}/piqa/valid.jsonl", f"{root}/piqa/tests.jsonl"],
         "fields": ["goal", "sol1", "sol2"]},
    ]
