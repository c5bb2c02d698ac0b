"""One table of every stage's benchmark: ``python -m tests.bench.summary`` (``make bench`` ends
with it; ``make bench-summary`` prints it alone).

It reads every ``.bench/**/*results*.json``. The common shape, which a new bench writes at the top
level of its results JSON, is a ``summary`` list with one row per measured side::

    {"summary": [{"stage": "filter", "side": "spark", "docs": 20000,
                  "docs_per_s_per_core": 190.2, "reference": "datatrove",
                  "x_reference": 3.1, "cpu_seconds": 80.7, "peak_mib": 1752.7,
                  "load": 3.4, "note": "all decisions agree"}, ...]}

``stage`` and ``side`` are required; every other field may be ``null`` (printed as ``-``).
``x_reference`` is ``docs_per_s_per_core`` over the reference side's in the same run; ``load`` is
the 1-minute load average before the side ran; ``note`` a short free text (fidelity,
precision / recall) printed after the figures. Files written before this shape existed are read
through the adapters below (extract and filter ``sides`` lists, dedup's per-size list, quality's
``sides`` dict). Figures from different files are from different runs: compare ratios within a
stage, and mind the load column.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / ".bench"
FIELDS = ("stage", "side", "docs", "docs_per_s_per_core", "reference", "x_reference",
          "cpu_seconds", "peak_mib", "load", "note")


def _row(**values) -> dict:
    return {field: values.get(field) for field in FIELDS}


def _from_sides_list(stage: str, data: dict) -> list[dict]:
    """extract-results.json / filter/results.json: ``{"meta", "sides": [...]}``."""
    sides = data["sides"]
    reference = next((s for s in sides if s.get("side") == "datatrove"), None)
    return [_row(stage=stage, side=s.get("side"), docs=s.get("docs_in"),
                 docs_per_s_per_core=s.get("docs_per_s_per_core"),
                 reference="datatrove" if reference else None,
                 x_reference=s.get("ratio_vs_datatrove"), cpu_seconds=s.get("cpu_seconds"),
                 peak_mib=s.get("peak_pss_mib"), load=s.get("load_1min_before"))
            for s in sides]


def _from_dedup(data: list) -> list[dict]:
    """dedup-results.json: one entry per size with spark / core / datasketch sides."""
    rows = []
    for entry in data:
        size = entry["size"]
        ref = entry.get("datasketch")
        ref_rate = size / ref["wall_seconds"] if ref and ref.get("wall_seconds") else None
        for side, cores in (("spark", 2), ("core", 1), ("datasketch", 1)):
            measured = entry.get(side)
            if not measured or not measured.get("wall_seconds"):
                continue
            rate = size / measured["wall_seconds"] / cores
            rows.append(_row(stage=f"dedup {size:,}", side=side, docs=size,
                             docs_per_s_per_core=round(rate, 1),
                             reference="datasketch" if ref_rate else None,
                             x_reference=round(rate / ref_rate, 2) if ref_rate else None,
                             peak_mib=(measured.get("peak_mib") or {}).get("total"),
                             load=entry.get("load_before")))
    return rows


def _from_quality(data: dict) -> list[dict]:
    """quality/results.json: ``{"docs", "sides": {name: {...}}}``; reference: bare predict."""
    sides = data["sides"]
    ref = (sides.get("predict") or {}).get("docs_per_s_per_core")
    return [_row(stage="quality", side=name, docs=data.get("docs"),
                 docs_per_s_per_core=side.get("docs_per_s_per_core"),
                 reference="fastText predict" if ref else None,
                 x_reference=round(side["docs_per_s_per_core"] / ref, 2) if ref else None,
                 cpu_seconds=side.get("cpu_seconds"), load=data.get("load_before"))
            for name, side in sides.items()]


def rows_of(path: Path) -> list[dict]:
    """The summary rows one results file holds (common shape first, then the adapters)."""
    data = json.loads(path.read_text())
    relative = path.relative_to(BENCH_DIR)
    if isinstance(data, dict) and isinstance(data.get("summary"), list):
        return [_row(**row) for row in data["summary"]]
    if isinstance(data, list) and data and isinstance(data[0], dict) and "size" in data[0]:
        return _from_dedup(data)
    if isinstance(data, dict) and isinstance(data.get("sides"), list):
        stage = relative.parts[0] if len(relative.parts) > 1 else path.stem.split("-")[0]
        return _from_sides_list(stage, data)
    if isinstance(data, dict) and isinstance(data.get("sides"), dict):
        return _from_quality(data)
    return []


def _cell(value, width: int, digits: int = 1) -> str:
    if value is None:
        return f"{'-':>{width}}"
    if isinstance(value, float):
        return f"{value:>{width},.{digits}f}"
    if isinstance(value, int):
        return f"{value:>{width},}"
    return f"{value!s:>{width}}"


def format_summary(found: list[tuple[Path, list[dict]]]) -> str:
    header = (f"{'stage':<26}{'side':<24}{'docs':>10}{'docs/s/core':>13}{'x ref':>8}  "
              f"{'reference':<17}{'CPU-s':>9}{'peak MiB':>10}{'load':>6}")
    lines = [header, "-" * len(header)]
    for path, rows in found:
        for row in rows:
            ratio = None if row["x_reference"] is None else float(row["x_reference"])
            lines.append(
                f"{str(row['stage'])[:25]:<26}{str(row['side'])[:23]:<24}"
                f"{_cell(row['docs'], 10)}{_cell(row['docs_per_s_per_core'], 13)}"
                f"{_cell(ratio, 7, 2) + 'x' if ratio is not None else _cell(None, 8)}  "
                f"{str(row['reference'] or '-')[:16]:<17}"
                f"{_cell(row['cpu_seconds'], 9)}{_cell(row['peak_mib'], 10, 0)}"
                f"{_cell(row['load'], 6)}  {row['note'] or ''}".rstrip())
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(path.stat().st_mtime))
        lines.append(f"{'':<26}({path.relative_to(ROOT)}, {when})")
    return "\n".join(lines)


def main() -> int:
    found = []
    for path in sorted(BENCH_DIR.glob("**/*results*.json")):
        try:
            rows = rows_of(path)
        except (ValueError, KeyError, TypeError, ZeroDivisionError) as err:
            print(f"[bench] note: {path.relative_to(ROOT)} not summarised: {err}",
                  file=sys.stderr)
            continue
        if rows:
            found.append((path, rows))
    if not found:
        print("no .bench/**/*results*.json yet: run make bench (or one bench-<stage>)")
        return 0
    print(format_summary(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
