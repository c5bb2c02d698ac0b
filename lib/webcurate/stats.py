"""Job statistics from exact per-input summaries (never from accumulators, which Spark may
apply twice under task retries)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

_SUMMED = ("records", "html_responses", "docs", "record_errors", "record_warnings",
           "error_rows_not_recorded",
           "payload_truncated", "text_truncated", "records_recovered")
_COUNTED = ("records_by_type", "skipped_by_reason", "languages")


def merge_file_summaries(summaries: Iterable[dict]) -> dict:
    """Totals over per-file summaries as written by the extract tasks."""
    totals = {key: 0 for key in _SUMMED}
    counters = {key: Counter() for key in _COUNTED}
    files = files_with_errors = files_failed = 0
    failed_examples = []
    for summary in summaries:
        files += 1
        for key in _SUMMED:
            totals[key] += int(summary.get(key) or 0)
        for key in _COUNTED:
            counters[key].update(summary.get(key) or {})
        if summary.get("file_error"):
            files_with_errors += 1
            if not summary.get("docs"):
                files_failed += 1
            if len(failed_examples) < 20:
                failed_examples.append(
                    {"source_file": summary["source_file"], "error": summary["file_error"]})
    return {
        "files": files,
        "files_with_errors": files_with_errors,
        "files_failed": files_failed,
        **totals,
        **{key: dict(counter.most_common()) for key, counter in counters.items()},
        "file_errors": failed_examples,
    }


def format_summary(job: str, stats: dict, output: str) -> str:
    """The human summary printed at the end of a job."""
    lines = [f"webcurate {job}: done -> {output}"]
    for key, value in stats.items():
        if isinstance(value, dict):
            shown = ", ".join(f"{k}={v}" for k, v in list(value.items())[:12])
            more = f", ... ({len(value)} in all)" if len(value) > 12 else ""
            lines.append(f"  {key:<22} {shown}{more}")
        elif isinstance(value, list):
            lines.append(f"  {key:<22} {len(value)} listed in stats.json")
        else:
            lines.append(f"  {key:<22} {value}")
    return "\n".join(lines)
