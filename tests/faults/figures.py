"""Figures the fault suite leaves for ``make faults``: one JSON line per scenario.

Written only when ``WEBCURATE_FAULT_FIGURES`` names a file (``make faults`` sets it), so the
default test run writes nothing outside its temp dirs. ``python -m faults.figures FILE`` (from
``tests/``) prints them as one table.
"""

from __future__ import annotations

import json
import os
import sys

ENV = "WEBCURATE_FAULT_FIGURES"
COLUMNS = (("scenario", 44), ("job", 8), ("faults_injected", 8), ("finished", 8),
           ("docs_lost", 9), ("docs_duplicated", 10), ("peak_mib", 9))


def record_figure(**row) -> None:
    path = os.environ.get(ENV)
    if path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")


def format_table(rows: list[dict]) -> str:
    head = "  ".join(name.ljust(width) for name, width in COLUMNS)
    lines = [head, "-" * len(head)]
    for row in rows:
        cells = []
        for name, width in COLUMNS:
            value = row.get(name)
            cells.append(("" if value is None else str(value))[:width].ljust(width))
        lines.append("  ".join(cells))
    lost = sum(int(r.get("docs_lost") or 0) for r in rows)
    duplicated = sum(int(r.get("docs_duplicated") or 0) for r in rows)
    finished = sum(1 for r in rows if r.get("finished") == "yes")
    lines.append(f"{len(rows)} scenarios, {finished} jobs finished, documents lost {lost} "
                 f"(must be 0), documents duplicated {duplicated} (must be 0)")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    with open(argv[0], encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
