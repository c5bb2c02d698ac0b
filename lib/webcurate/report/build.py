"""``build_report``: the run's ``report/index.html`` (and ``report/report.json``) from the stages'
outputs. With a Spark session it also measures each kept dataset (documents, characters,
languages: one aggregation each) and samples documents per reason; without one it shows what
the stats files hold."""

from __future__ import annotations

import json

from webcurate.io import storage as st
from webcurate.io.inputs import InputError
from webcurate.report import page, sections
from webcurate.report import samples as sampling
from webcurate.report.stages import StageOutput, funnel_rows, load_stage
from webcurate.stages import pipeline_stages

REPORT_DIR = "report"
TITLE = "webcurate report"


def load_stages(prefixes: dict[str, str], storage: st.StorageConfig) -> list[StageOutput]:
    """``{stage: output prefix}`` -> the stages in pipeline order, each read from its prefix."""
    known = pipeline_stages()
    unknown = sorted(set(prefixes) - set(known))
    if unknown:
        raise ValueError(f"unknown stage {unknown[0]!r}: expected one of {', '.join(known)}")
    return [load_stage(name, prefixes[name], storage) for name in known if name in prefixes]


def _check_stages(stages: list[StageOutput]) -> None:
    names, known = [s.stage for s in stages], pipeline_stages()
    if len(set(names)) != len(names):
        raise ValueError(f"a stage is named twice in {names}")
    if names != sorted(names, key=known.index):
        raise ValueError(f"stages out of pipeline order {', '.join(known)}: {names}")


def _input_characters(spark, stage: StageOutput, storage: st.StorageConfig) -> int | None:
    """Characters of the first stage's input documents (extract reads pages, not text)."""
    from pyspark.sql import functions as F

    from webcurate.documents import read_documents

    spec = stage.input_spec()
    if not stage.definition.reads_documents or not spec:
        return None
    try:
        docs = read_documents(spark, spec, storage)
    except (InputError, OSError):
        return None
    return int(docs.agg(F.coalesce(F.sum(F.length("text")), F.lit(0))).first()[0])


def measure(spark, stages: list[StageOutput], storage: st.StorageConfig) -> dict:
    """Profiles of every kept dataset, and the first stage's input characters."""
    ran = [s for s in stages if s.ran]
    profiles = {s.stage: sampling.profile_dataset(spark, s.kept_uri(), storage) for s in ran}
    return {"profiles": {k: v for k, v in profiles.items() if v is not None},
            "input_characters": _input_characters(spark, ran[0], storage) if ran else None}


def collect_samples(spark, stages: list[StageOutput], storage: st.StorageConfig, n: int,
                    seed: int) -> dict[str, list[dict]]:
    """Sampled removed documents per stage (by reason) and kept documents of the last stage."""
    by_stage = {s.stage: s for s in stages if s.ran}
    found: dict[str, list[dict]] = {}
    for name, stage in by_stage.items():
        reader = stage.definition.report_samples
        if reader is not None:
            found[name] = reader(spark, stage, storage, n, seed)
    if by_stage:
        last = list(by_stage.values())[-1]
        found["kept"] = sampling.kept_samples(spark, last, storage, n, seed)
    return found


def render(stages: list[StageOutput], out_uri: str, measured: dict, samples: dict,
           chars: int = sampling.EXCERPT_CHARS) -> str:
    """The page, from the stages, their measurements and samples (pure)."""
    profiles = measured.get("profiles", {})
    characters = {name: p.get("characters") for name, p in profiles.items()}
    by_stage = {s.stage: s for s in stages}
    ran = [s for s in stages if s.ran]
    parts = [sections.stages_section(stages, out_uri),
             sections.funnel_section(stages, characters, measured.get("input_characters"))]
    parts += [by_stage[name].definition.report_section(by_stage[name])
              for name in pipeline_stages()
              if name in by_stage and by_stage[name].definition.report_section is not None]
    parts.append(sections.languages_section(sections.languages_by_stage(stages, profiles)))
    parts.append(sections.removed_samples_section(stages, samples, chars))
    parts.append(sections.kept_samples_section(ran[-1] if ran else None,
                                               samples.get("kept", []), chars))
    ran_names = ", ".join(s.stage for s in ran) or "none"
    return page.page(TITLE, f"{out_uri} \u2014 stages run: {ran_names}", parts)


def summary(stages: list[StageOutput], measured: dict, samples: dict) -> dict:
    """What the page shows, as data (``report/report.json``): funnel, stages, sampled ids."""
    characters = {n: p.get("characters") for n, p in measured.get("profiles", {}).items()}
    return {"stages": [{"stage": s.stage, "prefix": s.prefix, "ran": s.ran} for s in stages],
            "funnel": funnel_rows(stages, characters, measured.get("input_characters")),
            "profiles": measured.get("profiles", {}),
            "samples": {name: [{k: row.get(k) for k in ("doc_id", "filter", "reason")}
                               for row in rows] for name, rows in samples.items()}}


def build_report(stages: list[StageOutput], out_uri: str, storage: st.StorageConfig,
                 spark=None, sample_per_reason: int = 5, seed: int = 0) -> str:
    """Write ``<out_uri>/report/index.html`` (self-contained: inline CSS, PNG data URIs, no
    script) and ``report.json``; returns the page's URI. ``spark`` enables the character counts,
    languages of every kept dataset and the document samples; ``seed`` picks the samples."""
    _check_stages(stages)
    if sample_per_reason < 0:
        raise ValueError(f"sample_per_reason must be >= 0, not {sample_per_reason}")
    measured, samples = {}, {}
    if spark is not None:
        measured = measure(spark, stages, storage)
        if sample_per_reason:
            samples = collect_samples(spark, stages, storage, sample_per_reason, seed)
    html_text = render(stages, out_uri, measured, samples)
    index = st.join_uri(out_uri, REPORT_DIR, "index.html")
    st.write_bytes(st.join_uri(out_uri, REPORT_DIR, "report.json"),
                   json.dumps(summary(stages, measured, samples), indent=2, default=str,
                              ensure_ascii=False).encode("utf-8"), storage)
    st.write_bytes(index, html_text.encode("utf-8", errors="replace"), storage)
    return index
