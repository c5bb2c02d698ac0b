"""Recipes: published pipelines as YAML, one section per job (``filter:``, later ``dedup:``...).

``webcurate filter --recipe fineweb`` takes the ``filter:`` section of ``fineweb.yaml`` as the
lowest config layer; ``--conf`` files and ``--set`` values override it. A recipe is named by
its file stem (looked up in ``conf/recipes/`` of the source tree, then in the installed
``<prefix>/share/webcurate/recipes/``) or given as a path.

Every recipe also says what it is, for ``webcurate recipes``: ``description:`` (one line) and
``source:`` with ``paper:`` (authors, year, title) and ``code:`` (the reference implementation's
URL), next to the header comment that lists its steps in the paper's order and every deviation.
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


def recipe_summary(path: Path) -> dict:
    """``{name, description, paper, code}`` of one recipe file (empty strings when missing)."""
    recipe = load_yaml(path)
    source = recipe.get("source") if isinstance(recipe.get("source"), dict) else {}
    return {"name": path.stem, "description": str(recipe.get("description") or ""),
            "paper": str(source.get("paper") or ""), "code": str(source.get("code") or "")}


def list_recipes() -> list[dict]:
    """Every recipe (the source tree's first, as ``find_recipe`` looks them up), by name."""
    return [recipe_summary(find_recipe(name)) for name in available_recipes()]


def format_recipes(rows: list[dict]) -> str:
    """``webcurate recipes``: one block per recipe, its description, paper and code."""
    lines = []
    for row in rows:
        lines.append(f"{row['name']:<28}{row['description']}")
        for key in ("paper", "code"):
            if row[key]:
                lines.append(f"{'':<28}{key}: {row[key]}")
    return "\n".join(lines)
