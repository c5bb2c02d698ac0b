"""What each pipeline stage left under its output prefix, as plain numbers for the report.

Every job writes ``stats.json`` and its resolved ``config.yaml`` beside its datasets
(:func:`webcurate.cli.run_job`). This module reads them tolerantly: a stage without
``stats.json`` is shown as not run, and keys it does not know are ignored, so a report can be
made from any subset of extract -> filter -> dedup -> quality. Pure: no Spark here.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass

import yaml

from webcurate.io import storage as st
from webcurate.stages import Stage, get_stage, pipeline_stages

DEDUP_KINDS = ("url", "exact", "near", "too_short_after_lines")


@dataclass(frozen=True)
class StageOutput:
    """One stage of a run: its name, its output prefix, its ``stats.json`` (None: not run) and
    its resolved ``config.yaml`` (None when absent)."""

    stage: str
    prefix: str
    stats: dict | None = None
    config: dict | None = None

    def __post_init__(self):
        known = pipeline_stages()
        if self.stage not in known:
            raise ValueError(f"unknown stage '{self.stage}': expected one of {', '.join(known)}")

    @property
    def definition(self) -> Stage:
        return get_stage(self.stage)

    @property
    def ran(self) -> bool:
        return isinstance(self.stats, dict)

    def dataset_base(self) -> str:
        """Where the datasets are: the stage's own rule (dedup's tag directory), else its
        prefix."""
        base = self.definition.dataset_base
        return base(self.prefix, self.stats) if base is not None and self.ran else self.prefix

    def kept_uri(self) -> str:
        """The documents this stage passes on (extract's ``docs/``, the others' ``kept/``)."""
        return st.join_uri(self.dataset_base(), self.definition.documents_dir)

    def input_spec(self) -> list[str] | None:
        """The documents this stage read (from its ``config.yaml``), if known."""
        value = (self.config or {}).get("input")
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value) and value:
            return value
        return None


def load_stage(stage: str, prefix: str, storage: st.StorageConfig) -> StageOutput:
    """Read ``<prefix>/stats.json`` and ``<prefix>/config.yaml``; a missing stats file means
    the stage did not run (or has not finished). A file that is not JSON / YAML is an error."""
    stats_uri = st.join_uri(prefix, "stats.json")
    if not st.exists(stats_uri, storage):
        return StageOutput(stage, prefix)
    try:
        stats = json.loads(st.read_bytes(stats_uri, storage))
    except ValueError as err:
        raise ValueError(f"{stats_uri}: not valid JSON: {err}") from None
    config_uri = st.join_uri(prefix, "config.yaml")
    config = None
    if st.exists(config_uri, storage):
        try:
            config = yaml.safe_load(st.read_bytes(config_uri, storage))
        except yaml.YAMLError as err:
            raise ValueError(f"{config_uri}: not valid YAML: {err}") from None
    return StageOutput(stage, prefix, stats if isinstance(stats, dict) else None,
                       config if isinstance(config, dict) else None)


# --- numbers from stats --------------------------------------------------------------------------

def _count(stats: dict, key: str) -> int | None:
    value = stats.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _counts(value) -> dict[str, int]:
    """A ``{name: count}`` mapping with every non-count entry left out."""
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, int) and not isinstance(v, bool)}


def documents_in(stage: StageOutput) -> int | None:
    value = stage.definition.headline(stage.stats).get("documents_in") if stage.ran else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def documents_out(stage: StageOutput) -> int | None:
    value = stage.definition.headline(stage.stats).get("documents_out") if stage.ran else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def tokens_out(stage: StageOutput) -> int | None:
    """Tokens a stage kept, when it counted them (its headline's ``tokens_out``: tokenize,
    mix; else a ``tokens`` count in its stats)."""
    if not stage.ran:
        return None
    value = stage.definition.headline(stage.stats).get("tokens_out", stage.stats.get("tokens"))
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def funnel_rows(stages: list[StageOutput], characters: dict[str, int | None],
                input_characters: int | None = None) -> list[dict]:
    """The funnel: the first stage's input, then what each stage that ran kept (documents and,
    when measured, characters of its kept dataset)."""
    ran = [s for s in stages if s.ran]
    if not ran:
        return []
    first = ran[0]
    label = first.definition.input_label or f"{first.stage} input"
    rows = [{"label": label, "stage": first.stage, "documents": documents_in(first),
             "characters": input_characters, "tokens": None}]
    for stage in ran:
        rows.append({"label": f"after {stage.stage}", "stage": stage.stage,
                     "documents": documents_out(stage), "characters": characters.get(stage.stage),
                     "tokens": tokens_out(stage)})
    return rows


def chain_notes(stages: list[StageOutput]) -> list[str]:
    """Where a stage did not read what the previous stage kept (e.g. outputs of separate runs)."""
    ran = [s for s in stages if s.ran]
    notes = []
    for before, after in itertools.pairwise(ran):
        kept, read = documents_out(before), documents_in(after)
        if kept is not None and read is not None and kept != read:
            notes.append(f"{after.stage} read {read:,} documents but {before.stage} kept "
                         f"{kept:,}: these outputs are not one chained run on the same data")
    return notes


def filter_removals(stage: StageOutput) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """``(removed per filter in chain order, {filter: {reason: documents}})``."""
    stats = stage.stats or {}
    by_filter = _counts(stats.get("removed_by_filter"))
    reasons = stats.get("reasons_by_filter")
    by_reason = {name: _counts(value) for name, value in reasons.items()} \
        if isinstance(reasons, dict) else {}
    for name in by_reason:
        by_filter.setdefault(name, sum(by_reason[name].values()))
    return by_filter, by_reason


def dedup_removals(stage: StageOutput) -> dict[str, int]:
    """Documents removed per dedup kind (url, exact, near, too short after line dedup)."""
    stats = stage.stats or {}
    found = {kind: _count(stats, f"{kind}_duplicates" if kind != DEDUP_KINDS[-1] else kind)
             for kind in DEDUP_KINDS}
    return {kind: n for kind, n in found.items() if n is not None}


def _lower_bound(label: str) -> int:
    match = re.match(r"\d+", label)
    return int(match.group()) if match else 0


def cluster_sizes(stage: StageOutput) -> list[tuple[str, int]]:
    """The duplicate-cluster size histogram (``"2"``, ``"3-4"``, ``"5-8"``...), smallest first."""
    histogram = _counts((stage.stats or {}).get("cluster_size_histogram"))
    return sorted(histogram.items(), key=lambda item: _lower_bound(item[0]))


def score_histogram(stage: StageOutput) -> tuple[list[float], list[int]] | None:
    """``(bin edges, counts)`` of the quality score, or None when absent or malformed."""
    histogram = (stage.stats or {}).get("score_histogram")
    if not isinstance(histogram, dict):
        return None
    edges, counts = histogram.get("bin_edges"), histogram.get("counts")
    if not isinstance(edges, list) or not isinstance(counts, list) \
            or len(edges) != len(counts) + 1 or not counts:
        return None
    return [float(e) for e in edges], [int(c) for c in counts]


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def quality_thresholds(stage: StageOutput) -> list[tuple[str, float]]:
    """The score thresholds the decision used: the global keep percentile, the bucket cut-offs,
    or ``decision.min_score`` from the config in mode ``threshold``."""
    stats = stage.stats or {}
    found = []
    thresholds = stats.get("thresholds") if isinstance(stats.get("thresholds"), dict) else {}
    for section in ("keep", "buckets"):
        values = (thresholds.get(section) or {}).get("global") if isinstance(
            thresholds.get(section), dict) else None
        for name, value in (values or {}).items():
            if _number(value) is not None:
                found.append((name, _number(value)))
    decision = (stage.config or {}).get("decision")
    if stats.get("decision") == "threshold" and isinstance(decision, dict):
        if _number(decision.get("min_score")) is not None:
            found.append(("min_score", _number(decision["min_score"])))
    return found


def stats_languages(stage: StageOutput) -> dict[str, int]:
    """Documents per language that a stage kept, as far as its stats tell (its headline's
    ``languages``: extract, quality)."""
    if not stage.ran:
        return {}
    return _counts(stage.definition.headline(stage.stats).get("languages"))
