"""Recipes: published pipelines as YAML, one section per job (``filter:``, later ``dedup:``...).

``webcurate filter --recipe fineweb`` takes the ``filter:`` section of ``fineweb.yaml`` as the
lowest config layer; ``--conf`` files and ``--set`` values override it. A recipe is named by
its file stem (looked up in ``conf/recipes/`` of the source tree, then in the installed
``<prefix>/share/webcurate/recipes/``) or given as a path.
"""

from __future__ import annotations

import sys
from pathlib import Path

from webcurate.config import ConfigError, load_yaml

SOURCE_RECIPES = Path(__file__).resolve().parents[2] / "conf" / "recipes"
INSTALLED_RECIPES = Path(sys.prefix) / "share" / "webcurate" / "recipes"


def recipe_dirs() -> list[Path]:
    return [d for d in (SOURCE_RECIPES, INSTALLED_RECIPES) if d.is_dir()]


def available_recipes() -> list[str]:
    return sorted({p.stem for d in recipe_dirs() for p in d.glob("*.yaml")})


def find_recipe(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return path
    for directory in recipe_dirs():
        candidate = directory / f"{name_or_path}.yaml"
        if candidate.is_file():
            return candidate
    known = ", ".join(available_recipes()) or "none found"
    raise ConfigError(f"unknown recipe '{name_or_path}' (known: {known})")


def recipe_section(name_or_path: str, job: str) -> dict:
    """The ``job:`` section of a recipe, as a raw config mapping."""
    path = find_recipe(name_or_path)
    recipe = load_yaml(path)
    section = recipe.get(job)
    if not isinstance(section, dict):
        raise ConfigError(f"recipe '{name_or_path}' ({path}) has no '{job}:' section")
    return section


def recipe_pipeline(name_or_path: str, order: tuple[str, ...]) -> dict:
    """A whole recipe as the pipeline's base config: its stage sections, and the stages it
    names in ``pipeline: {stages: [...]}`` or, without that, those of ``order`` (the registered
    pipeline stages) it has sections for, the first always."""
    recipe = load_yaml(find_recipe(name_or_path))
    base = {stage: recipe[stage] for stage in order if isinstance(recipe.get(stage), dict)}
    pipeline = recipe.get("pipeline") or {}
    if not isinstance(pipeline, dict):
        raise ConfigError(f"recipe '{name_or_path}': 'pipeline' must be a mapping")
    stages = pipeline.get("stages") or [order[0], *[s for s in order[1:] if s in base]]
    return {**{k: v for k, v in pipeline.items() if k != "stages"}, **base, "stages": stages}
