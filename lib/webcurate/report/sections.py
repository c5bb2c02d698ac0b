"""The report's sections, each ``(anchor, heading, inner HTML)``, from stage outputs and the
optional Spark measurements (profiles, samples). Pure: numbers in, escaped HTML out."""

from __future__ import annotations

from itertools import pairwise

from webcurate.report import page, plots
from webcurate.report.stages import (
    StageOutput,
    chain_notes,
    cluster_sizes,
    dedup_removals,
    documents_in,
    documents_out,
    filter_removals,
    funnel_rows,
    quality_thresholds,
    score_histogram,
    stats_languages,
)

NOT_RUN = "not run: no stats.json under this prefix"


def _share(part, whole) -> str:
    if not isinstance(part, int) or not isinstance(whole, int) or whole <= 0:
        return ""
    return f"{100 * part / whole:.1f}%"


def _seconds(stage: StageOutput):
    run = (stage.stats or {}).get("run")
    seconds = run.get("seconds") if isinstance(run, dict) else None
    return seconds if isinstance(seconds, (int, float)) else None


def _figure(drawn: tuple[bytes, int, int], alt: str, caption: str = "") -> str:
    png, width, height = drawn
    return page.figure(png, width, height, alt, caption)


def stages_section(stages: list[StageOutput], out_uri: str) -> tuple[str, str, str]:
    rows = [[s.stage, "ran" if s.ran else NOT_RUN, s.prefix, documents_in(s), documents_out(s),
             _share(documents_out(s), documents_in(s)), _seconds(s)] for s in stages]
    inner = (page.paragraph(f"report of the run under {out_uri}")
             + page.table(["stage", "status", "output", "documents in", "documents out", "kept",
                           "seconds"], rows, numeric={3, 4, 6})
             + page.notes(chain_notes(stages)))
    return "stages", "Stages", inner


def funnel_section(stages: list[StageOutput], characters: dict[str, int | None],
                   input_characters: int | None) -> tuple[str, str, str]:
    rows = funnel_rows(stages, characters, input_characters)
    if not rows:
        return "funnel", "Funnel", page.paragraph("no stage has run yet", "muted")
    with_chars = sum(r["characters"] is not None for r in rows) >= 2
    caption = ("documents and characters (Unicode code points of text) kept after each stage; "
               "n/a: not measured (extract reads HTML pages, not text)" if with_chars else
               "documents kept after each stage (characters not measured: the report was built "
               "without Spark or the datasets are gone)")
    first = rows[0]["documents"]
    table_rows = [[r["label"], r["documents"], _share(r["documents"], first), r["characters"]]
                  for r in rows]
    headers, numeric = ["step", "documents", "of input", "characters"], {1, 3}
    if any(r.get("tokens") is not None for r in rows):  # a stage counted tokens (tokenize)
        table_rows = [[*row, r.get("tokens")] for row, r in zip(table_rows, rows, strict=True)]
        headers, numeric = [*headers, "tokens"], {1, 3, 4}
    inner = (_figure(plots.funnel_plot(rows), "funnel: documents kept after each stage", caption)
             + page.table(headers, table_rows, numeric=numeric))
    return "funnel", "Funnel", inner


def extract_section(stage: StageOutput) -> tuple[str, str, str]:
    if not stage.ran:
        return "extract", "Extract", page.paragraph(NOT_RUN, "muted")
    stats = stage.stats
    totals = [[key, stats.get(key)] for key in ("files", "files_with_errors", "files_failed",
                                                "records", "html_responses", "docs",
                                                "record_errors") if key in stats]
    inner = page.table(["count", "value"], totals, numeric={1})
    for key, title in (("records_by_type", "records by WARC type"),
                       ("skipped_by_reason", "records skipped, by reason")):
        counts = stats.get(key) if isinstance(stats.get(key), dict) else {}
        inner += f"<h3>{page.esc(title)}</h3>" + (
            page.table(["name", "records"], [[k, v] for k, v in counts.items()], numeric={1})
            if counts else page.paragraph("none", "muted"))
    failures = [e for e in stats.get("file_errors") or [] if isinstance(e, dict)]
    if failures:
        inner += "<h3>files that failed to read (first 20)</h3>" + page.table(
            ["file", "error"], [[e.get("source_file"), e.get("error")] for e in failures])
    return "extract", "Extract", inner


def filter_section(stage: StageOutput) -> tuple[str, str, str]:
    if not stage.ran:
        return "filter", "Filter", page.paragraph(NOT_RUN, "muted")
    by_filter, by_reason = filter_removals(stage)
    total = documents_in(stage)
    rows = []
    for name, removed in by_filter.items():
        rows.append([name, "(all reasons)", removed, _share(removed, total)])
        rows += [[name, reason, n, _share(n, total)] for reason, n in
                 sorted(by_reason.get(name, {}).items(), key=lambda item: (-item[1], item[0]))]
    inner = page.paragraph(f"{total if total is not None else '?'} documents in, "
                           f"{documents_out(stage)} kept")
    if by_filter:
        inner += _figure(plots.removed_plot(by_filter, by_reason),
                         "documents removed per filter and per reason",
                         "each document is removed by the first filter of the chain that "
                         "rejects it")
    inner += page.table(["filter", "reason", "documents removed", "of input"], rows,
                        numeric={2})
    return "filter", "Filter", inner


def dedup_section(stage: StageOutput) -> tuple[str, str, str]:
    if not stage.ran:
        return "dedup", "Dedup", page.paragraph(NOT_RUN, "muted")
    kinds, sizes = dedup_removals(stage), cluster_sizes(stage)
    stats = stage.stats
    facts = [[key, stats.get(key)] for key in ("mode", "documents_in", "documents_kept",
                                               "clusters", "largest_cluster") if key in stats]
    inner = page.table(["", "value"], facts, numeric={1})
    if kinds:
        inner += _figure(plots.dedup_plot(kinds, sizes), "duplicates per kind and cluster sizes",
                         "a cluster is a kept document and the duplicates removed in its favour")
    inner += page.table(["cluster size (documents)", "clusters"], [list(s) for s in sizes],
                        numeric={1}) if sizes else ""
    return "dedup", "Dedup", inner


def quality_section(stage: StageOutput) -> tuple[str, str, str]:
    if not stage.ran:
        return "quality", "Quality", page.paragraph(NOT_RUN, "muted")
    stats = stage.stats
    thresholds = quality_thresholds(stage)
    facts = [[key, stats.get(key)] for key in ("decision", "docs", "docs_kept", "docs_rejected",
                                               "docs_without_score") if key in stats]
    inner = page.table(["", "value"], facts, numeric={1})
    histogram = score_histogram(stage)
    if histogram:
        inner += _figure(plots.quality_plot(*histogram, thresholds),
                         "quality-score histogram with thresholds",
                         "quality_score = the classifier's probability of the positive label")
    if thresholds:
        inner += page.table(["threshold", "score"], [list(t) for t in thresholds], numeric={1})
    buckets = stats.get("buckets")
    if isinstance(buckets, dict) and buckets:
        inner += page.table(["bucket", "documents"], [[k, v] for k, v in buckets.items()],
                            numeric={1})
    return "quality", "Quality", inner


def languages_by_stage(stages: list[StageOutput], profiles: dict[str, dict]) -> dict:
    """``{"after <stage>": {language: documents}}`` for the stages whose languages are known:
    from a profile of the kept dataset when it has languages, else from the stage's stats."""
    found = {}
    for stage in (s for s in stages if s.ran):
        languages = (profiles.get(stage.stage) or {}).get("languages") or {}
        if not set(languages) - {""}:
            languages = stats_languages(stage)
        if set(languages) - {""}:
            found[f"after {stage.stage}"] = languages
    return found


def languages_section(per_stage: dict[str, dict[str, int]]) -> tuple[str, str, str]:
    if not per_stage:
        return "languages", "Languages", page.paragraph(
            "no stage recorded languages (extract, or quality with lid.enabled, do)", "muted")
    first_label, first = next(iter(per_stage.items()))
    ranked = sorted(first.items(), key=lambda item: (-item[1], item[0]))[:30]
    removed = removed_by_language(per_stage)
    rows = [[lang or "unknown", *[counts.get(lang, 0) for counts in per_stage.values()],
             *[counts.get(lang, 0) for counts in removed.values()]] for lang, _ in ranked]
    columns = [*per_stage, *removed]
    inner = (_figure(plots.languages_plot(per_stage), "documents per language after each stage",
                     f"languages ranked by documents {first_label}")
             + page.table(["language", *columns], rows,
                          numeric=set(range(1, 1 + len(columns)))))
    return "languages", "Languages", inner


def removed_by_language(per_stage: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """``{"removed by <stage>": {language: documents}}``: each stage's kept documents per
    language subtracted from the previous stage's (FineWeb-2 judges every language by its own
    settings: this shows what each language lost where)."""
    return {f"removed by {later.removeprefix('after ')}": {
        lang: n - per_stage[later].get(lang, 0) for lang, n in per_stage[earlier].items()}
        for earlier, later in pairwise(per_stage)}


def _grouped(rows: list[dict], keys: tuple[str, ...]) -> dict[tuple, list[dict]]:
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row.get(k) for k in keys), []).append(row)
    return groups


def removed_samples_section(stages: list[StageOutput], samples: dict[str, list[dict]],
                            chars: int) -> tuple[str, str, str]:
    """Sampled removed documents per stage and reason, with each reason's total."""
    by_stage = {s.stage: s for s in stages if s.ran}
    inner = ""
    if "filter" in by_stage:
        by_filter, by_reason = filter_removals(by_stage["filter"])
        groups = _grouped(samples.get("filter", []), ("filter", "reason"))
        inner += "<h3>filter</h3>"
        for name in by_filter:
            for reason, n in sorted(by_reason.get(name, {}).items(),
                                    key=lambda item: (-item[1], item[0])):
                inner += page.sample_group(f"{name}: {reason}", n,
                                           groups.get((name, reason), []), chars)
    if "dedup" in by_stage:
        groups = _grouped(samples.get("dedup", []), ("reason",))
        inner += "<h3>dedup</h3>"
        for kind, n in dedup_removals(by_stage["dedup"]).items():
            if n:
                inner += page.sample_group(f"{kind} duplicates", n, groups.get((kind,), []),
                                           chars)
    if samples.get("quality"):
        quality = by_stage["quality"].stats
        inner += "<h3>quality</h3>" + page.sample_group(
            f"rejected by the quality decision ({quality.get('decision')})",
            quality.get("docs_rejected"), samples["quality"], chars)
    if not inner:
        inner = page.paragraph("no removed documents to show (no stage that removes documents "
                               "ran, or the report was built without Spark)", "muted")
    intro = page.paragraph("a deterministic sample of the documents each rule removed (same "
                           "outputs and seed, same documents); excerpts are the first "
                           f"{chars} characters", "muted")
    return "removed", "Removed documents", intro + inner


def kept_samples_section(stage: StageOutput | None, rows: list[dict],
                         chars: int) -> tuple[str, str, str]:
    if stage is None or not rows:
        return "kept", "Kept documents", page.paragraph("no kept documents sampled", "muted")
    return "kept", "Kept documents", page.sample_group(
        f"kept after {stage.stage}", documents_out(stage), rows, chars, opened=True)
