"""The Stage protocol: what every job is, and the one registry the CLI, the pipeline and the
report use.

A :class:`Stage` names its config class (a frozen dataclass: every key checked at start, with
help text), its ``preflight`` (checks that need no Spark, run before the session starts), its
``run(spark, config) -> JobResult``, where its documents for the next stage are
(``output_documents``), the counts a person wants per stage (``headline``) and, optionally, its
own printed summary and report section. A job module defines one ``STAGE`` and registers it in
the ``webcurate.stages`` entry-point group (``setup.py``), so a new job is one module plus one
registration, and a package can add its own (found on the driver, where jobs run). Pipeline
stages run in ``pipeline_order``; a stage without one (the pipeline itself, train-quality)
runs only on its own.

The datatrove equivalent is ``PipelineStep``; here a stage is a whole Spark job over a committed
input, since the unit of resume is the committed output, not the document.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ENTRY_POINT_GROUP = "webcurate.stages"
OWN_DISTRIBUTION = "webcurate"


def imported(target: str) -> Callable:
    """``"module:function"``, imported on its first call: a stage names its report hooks without
    importing the report (and matplotlib) whenever the job module is imported."""
    module, _, name = target.partition(":")

    def call(*args, **kwargs):
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    return call


def _no_checks(config) -> None:
    return None


def _no_headline(stats: dict) -> dict:
    return {}


@dataclass(frozen=True)
class Stage:
    name: str
    summary: str
    config_class: type
    run: Callable[[Any, Any], Any]  # (spark, config) -> JobResult
    preflight: Callable[[Any], None] = _no_checks
    # In a pipeline, a later stage's input does not exist at start: the checks that need no
    # input (lists, models). None: ``preflight`` needs no input either.
    preflight_before_input: Callable[[Any], None] | None = None
    output_documents: Callable[[Any], str] | None = None  # config -> documents for the next
    # stats -> {"documents_in": n, "documents_out": n}: the same two counts for every stage
    headline: Callable[[dict], dict] = _no_headline
    input_label: str = ""  # what documents_in counts, for the report's funnel
    format_summary: Callable[[dict, str], str] | None = None  # (stats, output) -> text
    pipeline_order: int | None = None  # position in a pipeline; None: runs on its own only
    from_recipe: Callable[[str], dict] | None = None  # recipe -> base config (default: section)
    # Where the datasets of a finished run are, from its prefix and stats (dedup: its tag).
    dataset_base: Callable[[str, dict], str] | None = None
    documents_dir: str = "kept"  # the dataset (under dataset_base) the next stage reads
    reads_documents: bool = True  # False: its input is not documents (extract reads WARCs)
    report_section: Callable | None = None  # StageOutput -> (anchor, title, html)
    report_samples: Callable | None = None  # (spark, StageOutput, storage, n, seed) -> rows

    def check_before_input(self, config) -> None:
        (self.preflight_before_input or self.preflight)(config)

    def recipe_base(self, recipe: str) -> dict:
        """This stage's base config from a recipe (its ``<name>:`` section by default)."""
        if self.from_recipe is not None:
            return self.from_recipe(recipe)
        from webcurate.recipes import recipe_section

        return recipe_section(recipe, self.name)

    def __post_init__(self):
        if self.pipeline_order is not None and self.output_documents is None:
            raise ValueError(f"stage {self.name!r}: a pipeline stage needs output_documents")


class StageError(ImportError):
    """A registered stage cannot be loaded or clashes with another one."""


_REGISTRY: dict[str, Stage] = {}


def _discover() -> dict[str, Stage]:
    from importlib.metadata import entry_points

    found: dict[str, Stage] = {}
    points = list(entry_points(group=ENTRY_POINT_GROUP))
    if not any((ep.dist.name if ep.dist else "").lower() == OWN_DISTRIBUTION for ep in points):
        raise StageError(f"no webcurate stages in the '{ENTRY_POINT_GROUP}' entry points: "
                         f"install the package (pip install -e . or the wheel)")
    for ep in sorted(points, key=lambda ep: ep.name):
        try:
            stage = ep.load()
        except Exception as err:
            raise StageError(f"cannot load stage {ep.name} = {ep.value}: "
                             f"{type(err).__name__}: {err}") from err
        if not isinstance(stage, Stage) or stage.name != ep.name:
            raise StageError(f"entry point {ep.name} = {ep.value} is not a Stage named "
                             f"{ep.name!r}")
        if stage.name in found:
            raise StageError(f"stage {stage.name!r} registered twice")
        found[stage.name] = stage
    return found


def all_stages() -> dict[str, Stage]:
    """Every registered stage by name (loaded on first use)."""
    if not _REGISTRY:
        _REGISTRY.update(_discover())
    return _REGISTRY


def get_stage(name: str) -> Stage:
    stages = all_stages()
    if name not in stages:
        raise KeyError(f"unknown job {name!r} (known: {', '.join(sorted(stages))})")
    return stages[name]


def pipeline_stages() -> tuple[str, ...]:
    """The stages a pipeline can run, in pipeline order."""
    ordered = sorted((s for s in all_stages().values() if s.pipeline_order is not None),
                     key=lambda s: (s.pipeline_order, s.name))
    return tuple(s.name for s in ordered)
