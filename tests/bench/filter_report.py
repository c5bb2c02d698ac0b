"""The filter benchmark's printed report: speed table, removals per filter, agreement of sides.

Decisions are ``{doc id: (filter, reason)}`` per side, ``(None, None)`` for a kept document.
"""

from __future__ import annotations

from collections import Counter

from tests.bench.bench_extract import side_table
from tests.bench.filter_corpus import base_id

GOAL_RATIO = 5.0
REFERENCE = "datatrove"
SHOWN_DISAGREEMENTS = 10

COLUMNS = (  # header, key, width, format
    ("side", "side", 18, "{}"),
    ("docs", "docs_in", 6, "{}"),
    ("kept", "docs_out", 6, "{}"),
    ("wall s", "wall_seconds", 7, "{:.1f}"),
    ("work s", "work_seconds", 7, "{:.1f}"),
    ("cpu s", "cpu_seconds", 7, "{:.1f}"),
    ("cores", "cores", 5, "{}"),
    ("docs/s/core", "docs_per_s_per_core", 11, "{:.1f}"),
    ("(work)", "work_docs_per_s_per_core", 8, "{:.1f}"),
    ("docs/cpu-s", "docs_per_cpu_second", 10, "{:.1f}"),
    ("peak MiB", "peak_pss_mib", 8, "{:.0f}"),
    ("x datatrove", "ratio_vs_datatrove", 11, "{:.1f}x"),
)


def removed_by_filter(decisions: dict[str, dict], filters: list[str]) -> dict[str, dict]:
    """Per side: documents kept and documents removed by each filter (the first that rejects)."""
    result = {}
    for side, by_id in decisions.items():
        counts = Counter(name for name, _ in by_id.values())
        result[side] = {"kept": counts.pop(None, 0), **{name: counts.get(name, 0)
                                                        for name in filters}}
    return result


def compare(ours: dict, theirs: dict) -> dict:
    """Keep agreement and first-rejecting-filter agreement of two sides, with examples."""
    ids = sorted(set(ours) | set(theirs))
    keep_differs = [i for i in ids if (ours.get(i, ("missing",))[0] is None)
                    != (theirs.get(i, ("missing",))[0] is None)]
    filter_differs = [i for i in ids if ours.get(i, ("missing",))[0]
                      != theirs.get(i, ("missing",))[0]]
    examples: dict[str, dict] = {}
    for doc_id in filter_differs:
        example = examples.setdefault(base_id(doc_id), {
            "doc": base_id(doc_id), "copies": 0, "ours": list(ours.get(doc_id, ("missing",))),
            "theirs": list(theirs.get(doc_id, ("missing",)))})
        example["copies"] += 1
    return {"docs": len(ids), "missing": len(set(ours) ^ set(theirs)),
            "keep_disagreements": len(keep_differs),
            "keep_disagreement_base_docs": len({base_id(i) for i in keep_differs}),
            "filter_disagreements": len(filter_differs), "examples": list(examples.values())}


def agreement(decisions: dict[str, dict]) -> dict[str, dict]:
    """Every webcurate side against datatrove, and each other side against ``chain``."""
    pairs = [(side, REFERENCE) for side in decisions if side != REFERENCE]
    pairs += [(side, "chain") for side in decisions if side not in (REFERENCE, "chain")]
    return {f"{a} vs {b}": compare(decisions[a], decisions[b]) for a, b in pairs
            if a in decisions and b in decisions}


def _by_filter_table(title: str, by_side: dict[str, dict], rows: list[str], cell) -> list[str]:
    """One column per side, one row per filter; ``cell(value or None)`` formats an entry."""
    sides = list(by_side)
    lines = [title, "  " + "filter".ljust(20) + "".join(side.rjust(20) for side in sides)]
    for row in rows:
        lines.append("  " + row.ljust(20) + "".join(cell(by_side[s].get(row)).rjust(20)
                                                    for s in sides))
    return lines


def _removals_table(meta: dict) -> list[str]:
    return _by_filter_table("documents kept / removed by the first rejecting filter:",
                            meta["removed_by_filter"], ["kept", *meta["filters"]], str)


def step_seconds(sides: list[dict], filters: list[str]) -> dict[str, dict]:
    """Per side, seconds spent in each filter: webcurate's chain sides time each step's
    ``measure``; datatrove reports each step's time (its filter steps, in chain order)."""
    result = {}
    for side in sides:
        reported = side["reported"]
        if "step_seconds" in reported:
            result[side["side"]] = reported["step_seconds"]
        elif "steps" in reported:
            timed = [v["seconds"] for k, v in reported["steps"].items() if "FILTER" in k]
            result[side["side"]] = dict(zip(filters, timed, strict=True))
    return result


def _seconds_table(meta: dict) -> list[str]:
    seconds = meta.get("step_seconds") or {}
    if not seconds:
        return []
    return _by_filter_table(
        "seconds inside each filter (datatrove: documents that reached it; chain: all):",
        seconds, meta["filters"], lambda value: f"{value or 0.0:.1f}")


def _agreement_lines(meta: dict) -> list[str]:
    lines = ["agreement of decisions, document by document:"]
    for pair, result in meta["agreement"].items():
        lines.append(
            f"  {pair}: {result['keep_disagreements']} of {result['docs']} docs kept by one "
            f"side only ({result['keep_disagreement_base_docs']} distinct real documents); first "
            f"rejecting filter differs on {result['filter_disagreements']}; "
            f"missing on one side: {result['missing']}")
        for example in result["examples"][:SHOWN_DISAGREEMENTS]:
            lines.append(f"    {example['doc']} (x{example['copies']}): "
                         f"{pair.split(' vs ')[0]} {example['ours']}, "
                         f"{pair.split(' vs ')[1]} {example['theirs']}")
    return lines


def _notes(meta: dict) -> list[str]:
    corpus = meta["corpus"]
    language = ("datatrove's own LanguageFilter (fastText on the whole text, every label) with "
                f"the same model file, {meta['lid_model']}"
                if meta["datatrove_language"] == "model" else
                "a datatrove LambdaFilter on the stored labels")
    notes = [
        f"corpus: {corpus['docs']} documents cycled from {corpus['base_docs']} real ones (the "
        f"non-empty parity documents: CC-MAIN-2019-30 + scrapinghub pages), mean "
        f"{corpus['mean_chars']:.0f} chars/doc (median {corpus['median_chars']}), "
        f"{corpus['english_above_065']} English with score > 0.65.",
        "docs/s/core = documents / wall seconds of the whole process (interpreter or JVM start, "
        "imports, list loading,",
        "  reading and writing included) / cores; (work) uses each side's own seconds: the "
        "run_chain loop (chain: lists",
        "  loaded before it, load_seconds in the JSON), executor.run() (datatrove: its URL "
        "filter loads its lists inside),",
        "  the job's run seconds from stats.json (spark: Spark session start excluded). "
        "docs/cpu-s = documents / CPU",
        "  seconds of the process tree. peak MiB = highest sampled PSS sum of the tree.",
        "chain sides write nothing; datatrove writes kept JSONL.gz and each filter's rejects (as "
        "FineWeb's script); spark writes kept/ and rejected/ Parquet.",
        "chain measures every filter's signals on every document; chain-first-reject and spark "
        "(the job's default) stop at the first reject, as datatrove does.",
    ]
    if "language" in meta["filters"]:
        notes.append("language: labels from webcurate's extract-time language ID (lid.176.ftz, "
                     "first 20,000 chars) are stored in the corpus; webcurate's language filter "
                     f"reads them; datatrove runs {language}.")
    if "url_blocklist" in meta["filters"]:
        notes.append("urls: the WARC target URIs (CC documents) and the pages' urls; both sides "
                     "use FineWeb's packaged UT1 lists and tldextract's bundled suffix list.")
    notes += [f"note: {text}" for text in ([meta["note"]] if meta["note"] else [])]
    notes += [f"note: {text}" for text in meta["settings_notes"]]
    notes.append(f"goal: webcurate >= {GOAL_RATIO:g}x datatrove per core (measured, not "
                 "asserted).")
    return notes


def format_table(meta: dict, sides: list[dict]) -> str:
    lines = [
        f"filter benchmark: chain {' -> '.join(meta['filters'])}; {meta['corpus']['docs']} docs, "
        f"mean {meta['corpus']['mean_chars']:.0f} chars/doc; {meta['nproc']} cores, load "
        f"{meta['load_before']} before / {meta['load_after']} after",
        *side_table(sides, COLUMNS),
    ]
    return "\n".join([*lines, *_removals_table(meta), *_seconds_table(meta),
                      *_agreement_lines(meta), *_notes(meta)])
