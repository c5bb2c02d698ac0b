"""The harness's figure tables (runs, output sets, Spark stages per pipeline stage)."""

from __future__ import annotations

from tools.scale.eventlog import largest_stage, shuffle_by_phase
from tools.scale.report import table
from tools.scale.runs import stage_documents, stage_kept

PHASES = ("extract", "filter", "dedup", "components", "quality", "pipeline", "other")


def _mib(n: int | None) -> float | None:
    return None if n is None else n / 2**20


def runs_table(results: dict) -> str:
    rows = []
    for name, r in results.items():
        kept, peak = stage_kept(r), r["peak_mib"]
        rows.append([name, r["master"], r["exit_code"], r["wall_seconds"], kept["extract"],
                     kept["filter"], kept["dedup"], kept["quality"], peak["driver_python"],
                     peak["driver_jvm"], peak["executor_jvm"], peak["executor_python"],
                     peak["local_workers"], r["peak_total_mib"]])
    return table(["run", "master", "exit", "wall s", "extracted", "filter kept", "dedup kept",
                  "quality kept", "driver py", "driver JVM", "executor JVMs", "executor py",
                  "local py", "total"], rows)


def sets_table(results: dict, names: list[str], reference: str) -> str:
    names = [n for n in names if n in results]
    ref = results[reference]["digests"]
    rows = []
    for stage, sets in ref.items():
        for set_name, ref_digest in sets.items():
            row = [f"{stage}/{set_name}"]
            for name in names:
                d = results[name]["digests"].get(stage, {}).get(set_name, {})
                text = "-" if d.get("rows") is None else f"{d['rows']:,} ({d['distinct']:,})"
                mark = "" if name == reference else (" =" if d == ref_digest else " DIFFERS")
                row.append(text + mark)
            rows.append(row)
    return table(["set", *names], rows)


def phase_table(result: dict) -> str:
    """Per pipeline stage: Spark stages, tasks, input, shuffle, shuffle bytes per document,
    the biggest read of any one-task stage, seconds."""
    from tools.scale.eventlog import phase_windows

    docs = stage_documents(result)
    docs["components"] = docs["dedup"]
    totals = shuffle_by_phase(result["stages"])
    seconds = {p: end - start for p, start, end in phase_windows(result["markers"])}
    rows = []
    for phase in PHASES:
        if phase not in totals:
            continue
        t = totals[phase]
        mine = [r for r in result["stages"] if r["phase"] == phase]
        one_task = [max(r["input"], r["shuffle_read"]) for r in mine if r["tasks"] == 1]
        biggest = largest_stage(mine)
        n = docs.get(phase)
        rows.append([phase, seconds.get(phase), n, t["stages"], t["tasks"], _mib(t["input"]),
                     _mib(t["shuffle_write"]), round(t["shuffle_write"] / n) if n else None,
                     _mib(max(one_task)) if one_task else None,
                     f"{biggest['name']} {_mib(biggest['shuffle_write']):.1f}" if biggest and
                     biggest["shuffle_write"] else "-"])
    return table(["stage", "seconds", "docs in", "spark stages", "tasks", "input MiB",
                  "shuffle w MiB", "shuffle B/doc", "max 1-task read MiB",
                  "largest shuffle (MiB)"], rows)
