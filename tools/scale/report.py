"""The harness's checks and its printed tables: pure functions of the figures it collected."""

from __future__ import annotations

from dataclasses import dataclass

#: Driver memory is "flat" when the bigger run's peak is at most this factor of the smaller
#: run's plus this slack (JVM heaps grow in steps; a few MiB of task bookkeeping is not growth).
FLAT_RATIO = 1.25
FLAT_SLACK_MIB = 64.0


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # PASS, FAIL, INFO
    detail: str


def table(headers: list[str], rows: list[list]) -> str:
    """A plain aligned table: numbers right-aligned, text left-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(headers)]
    numeric = [all(_is_number(row[i]) for row in rows) and rows for i in range(len(headers))]

    def line(values):
        return "  ".join(v.rjust(w) if n else v.ljust(w)
                         for v, w, n in zip(values, widths, numeric, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, cells)])


def _is_number(value) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)) or value is None


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def equality_check(name: str, reference: dict, other: dict) -> Check:
    """Every stage's sets (ids and kept sets) equal; a set with duplicated rows fails too."""
    differ = [f"{s}/{n}" for s in reference for n in reference[s]
              if reference[s][n] != other.get(s, {}).get(n)]
    duplicated = [f"{s}/{n}" for s in other for n, d in other[s].items()
                  if d["rows"] is not None and d["rows"] != d["distinct"]]
    missing = [f"{s}/{n}" for s in reference for n, d in reference[s].items()
               if s != "quality" and d["rows"] is None]
    problems = ([f"differ: {', '.join(differ)}"] if differ else []) + \
               ([f"duplicated rows: {', '.join(duplicated)}"] if duplicated else []) + \
               ([f"missing: {', '.join(missing)}"] if missing else [])
    compared = sum(len(v) for v in reference.values())
    return Check(name, "FAIL" if problems else "PASS",
                 "; ".join(problems) or f"{compared} sets equal (ids, kept sets, reasons)")


def kill_check(name: str, kills: list[dict], windows: list[tuple[str, float, float]],
               executors: list[dict]) -> Check:
    """Every planned kill happened while its phase ran, and the cluster added an executor
    after it, before the last phase ended (the event log's ExecutorAdded; at shutdown a
    local-cluster's master keeps relaunching executors, which says nothing)."""
    problems, notes = [], []
    last_end = max((end for _, _, end in windows), default=0.0)
    for kill in kills:
        window = next(((s, e) for p, s, e in windows if p == kill["phase"]), None)
        if kill["killed_at"] is None:
            problems.append(f"no executor killed in {kill['phase']}")
        elif window is None:
            problems.append(f"{kill['phase']} never finished after the kill")
        elif not window[0] <= kill["killed_at"] <= window[1]:
            problems.append(f"kill missed {kill['phase']} ({kill['killed_at'] - window[0]:.1f} s "
                            f"after its start; it lasted {window[1] - window[0]:.1f} s)")
        else:
            into, lasted = kill["killed_at"] - window[0], window[1] - window[0]
            notes.append(f"{kill['phase']}: pid {kill['pid']} killed {into:.1f} s into "
                         f"{lasted:.1f} s")
        if kill["killed_at"] is not None and not any(
                e["event"] == "added" and kill["killed_at"] < e["t"] <= last_end
                for e in executors):
            problems.append(f"no executor added after the kill in {kill['phase']}")
    added = [e for e in executors if e["event"] == "added" and e["t"] <= last_end]
    notes.append(f"{len(added)} executors added while the stages ran")
    return Check(name, "FAIL" if problems else "PASS", "; ".join(problems + notes))


def flat_check(name: str, small: float, big: float, factor: int) -> Check:
    limit = small * FLAT_RATIO + FLAT_SLACK_MIB
    ok = big <= limit
    return Check(name, "PASS" if ok else "FAIL",
                 f"{small:,.0f} MiB at 1x, {big:,.0f} MiB at {factor}x "
                 f"(limit {limit:,.0f} = 1x * {FLAT_RATIO} + {FLAT_SLACK_MIB:.0f})")


def single_task_check(name: str, flagged: list[dict], threshold_bytes: int) -> Check:
    if not flagged:
        return Check(name, "PASS", f"no one-task stage read >= {threshold_bytes / 2**20:.0f} MiB")
    stages = ", ".join(f"{r['phase']}: stage {r['stage']} {r['name']} at {r.get('site') or '?'} "
                       f"({max(r['input'], r['shuffle_read']) / 2**20:.1f} MiB)" for r in flagged)
    return Check(name, "FAIL", f"{len(flagged)} one-task stage(s) on data: {stages}")


def ratio_check(name: str, small_s: float, big_s: float, factor: float, goal: float) -> Check:
    ratio = big_s / small_s if small_s else float("inf")
    return Check(name, "PASS" if ratio <= goal else "FAIL",
                 f"{big_s:,.0f} s / {small_s:,.0f} s = {ratio:.1f}x for {factor:g}x the "
                 f"documents (goal <= {goal:g}x)")


def checks_table(checks: list[Check]) -> str:
    return table(["check", "result", "detail"], [[c.name, c.status, c.detail] for c in checks])


def exit_code(checks: list[Check]) -> int:
    return 1 if any(c.status == "FAIL" for c in checks) else 0
