"""The per-input summary of the extract job: exact counts for one archive file.

One summary per input file travels to the driver and into the batch's commit marker, so its size
must not grow with the file's content: it holds counts only (never error rows, which go to
``errors/`` from the executors), and every counter keyed by values read from the input (WARC
types, languages, error types) keeps at most :data:`MAX_COUNTER_KEYS` keys, the rest summed under
:data:`OTHER_KEY`. Counts are local to one call, never Spark accumulators, so a retried task
reports the same numbers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields

#: Keys kept per counter in a summary: lid.176 has 176 labels, so languages are never cut.
MAX_COUNTER_KEYS = 200
MAX_KEY_CHARS = 100
OTHER_KEY = "other"


def error_key(row: dict) -> str:
    """``'level:error_type'``, the key an error row is counted under (``'record:ValueError'``).

    The level is part of it because the same exception name can end a file or one record."""
    return f"{row['level']}:{row['error_type']}"


def bounded(counter: Counter) -> dict:
    """``counter`` as a plain dict of at most :data:`MAX_COUNTER_KEYS` keys (largest first),
    keys cut to :data:`MAX_KEY_CHARS`; what does not fit is summed under :data:`OTHER_KEY`."""
    merged: Counter = Counter()
    for key, count in counter.items():
        merged[str(key)[:MAX_KEY_CHARS]] += count
    if len(merged) <= MAX_COUNTER_KEYS:
        return dict(merged)
    kept = dict(merged.most_common(MAX_COUNTER_KEYS - 1))
    rest = sum(count for key, count in merged.items() if key not in kept)
    kept[OTHER_KEY] = kept.get(OTHER_KEY, 0) + rest
    return kept


@dataclass
class FileTally:
    """Counts for one file; all but ``next_offset`` become the ``("file", summary)`` row."""

    source_file: str
    records: int = 0
    records_by_type: Counter = field(default_factory=Counter)
    html_responses: int = 0
    docs: int = 0
    skipped_by_reason: Counter = field(default_factory=Counter)
    record_errors: int = 0
    record_warnings: int = 0  # hostile input the job coped with (level "warning" in errors/)
    file_error: str | None = None
    languages: Counter = field(default_factory=Counter)
    payload_truncated: int = 0
    text_truncated: int = 0
    records_recovered: int = 0  # found by the boundary scan after a break (see resync)
    error_rows: int = 0  # rows this file put in errors/, by error_key in error_rows_by_type
    error_rows_by_type: Counter = field(default_factory=Counter)
    next_offset: int | None = 0  # where the record after the last one read starts

    def count_error_row(self, row: dict) -> None:
        self.error_rows += 1
        self.error_rows_by_type[error_key(row)] += 1

    def summary(self) -> dict:
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "next_offset"}
        return {k: bounded(v) if isinstance(v, Counter) else v for k, v in values.items()}


def empty_file_summary(source_file: str, file_error: str | None = None,
                       error_rows: list[dict] = ()) -> dict:
    """The ``("file", summary)`` of a file no record was read from (e.g. it could not be opened),
    counting the ``error_rows`` recorded for it."""
    tally = FileTally(source_file, file_error=file_error)
    for row in error_rows:
        tally.count_error_row(row)
    return tally.summary()


def merge_error_counts(summaries) -> dict:
    """``error_rows_by_type`` summed over per-input summaries, largest first (run stats)."""
    total: Counter = Counter()
    for summary in summaries:
        total.update(summary.get("error_rows_by_type") or {})
    return dict(total.most_common())
