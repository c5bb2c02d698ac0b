"""Instruction templates: YAML files of Jinja2 prompt / completion pairs, one list per variant.

A template set (``templates/sni.yaml``, ``templates/flan.yaml``, or any file of that shape)::

    name: sni
    description: one line
    variants:
      zero_shot:                # a list: one template is chosen per item, deterministically
        - name: definition_input
          prompt: "Definition: {{ definition }}\\n\\nInput: {{ input }}\\nOutput:"
          completion: "{{ output }}"
      few_shot: [...]           # may loop over {{ exemplars }} (input, output, rationale)
      cot: [...]                # may use {{ rationale }}
      few_shot_cot: [...]

Every template sees ``task``, ``definition``, ``input``, ``output``, ``rationale`` (or None),
``exemplars`` (a list of ``{input, output, rationale}``), ``categories`` and ``input_language``.
Undefined names are errors (``StrictUndefined``), so a typo fails when the set is loaded and
test-rendered, before any Spark work. Several templates per variant are Flan's device
(Chung et al. 2022 / Longpre et al. 2023: about ten phrasings per task, one drawn per example)
against overfitting to one phrasing; SNI uses one fixed encoding (Definition, Positive Example
i, "Now complete the following example").
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

VARIANTS = ("zero_shot", "few_shot", "cot", "few_shot_cot")
PACKAGED = ("sni", "flan")


class TemplateError(ValueError):
    """A template set that cannot be used (one line)."""


@dataclass(frozen=True)
class Template:
    name: str
    prompt: str
    completion: str


@dataclass(frozen=True)
class TemplateSet:
    name: str
    variants: dict  # variant -> tuple[Template, ...]

    def for_variant(self, variant: str) -> tuple[Template, ...]:
        return self.variants.get(variant, ())


def _environment():
    import jinja2

    return jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True, keep_trailing_newline=False, autoescape=False)


@functools.lru_cache(maxsize=64)
def _compiled(source: str):
    return _environment().from_string(source)


def render(source: str, context: dict) -> str:
    return _compiled(source).render(**context)


def template_text(spec: str) -> tuple[str, str]:
    """``(text, where)`` of a set named ``sni`` / ``flan`` (packaged) or given as a path."""
    if spec in PACKAGED:
        ref = resources.files("webcurate.instructions").joinpath("templates", f"{spec}.yaml")
        return ref.read_text(encoding="utf-8"), f"packaged {spec}.yaml"
    path = Path(spec)
    if not path.is_file():
        raise TemplateError(f"template set {spec!r} is neither {' nor '.join(PACKAGED)} nor a "
                            f"file")
    return path.read_text(encoding="utf-8"), str(path)


def parse_template_set(text: str, where: str) -> TemplateSet:
    raw = yaml.safe_load(text) or {}
    if not isinstance(raw, dict) or not isinstance(raw.get("variants"), dict):
        raise TemplateError(f"{where}: needs a 'variants:' mapping")
    variants = {}
    for variant, items in raw["variants"].items():
        if variant not in VARIANTS:
            raise TemplateError(f"{where}: unknown variant {variant!r} "
                                f"(known: {', '.join(VARIANTS)})")
        if not isinstance(items, list) or not items:
            raise TemplateError(f"{where}: variant {variant!r} needs a list of templates")
        templates = []
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not {"prompt", "completion"} <= set(item):
                raise TemplateError(f"{where}: {variant}[{i}] needs prompt and completion")
            templates.append(Template(name=str(item.get("name") or f"{variant}_{i}"),
                                      prompt=str(item["prompt"]),
                                      completion=str(item["completion"])))
        variants[variant] = tuple(templates)
    return TemplateSet(name=str(raw.get("name") or where), variants=variants)


@functools.lru_cache(maxsize=16)
def load_template_set(spec: str) -> TemplateSet:
    """The set named by ``spec``, parsed once per process."""
    text, where = template_text(spec)
    return parse_template_set(text, where)


SAMPLE_CONTEXT = {
    "task": "task0_check", "definition": "Check.", "input": "in", "output": "out",
    "rationale": "because", "categories": ["Check"], "input_language": "English",
    "exemplars": [{"input": "a", "output": "b", "rationale": "c"}],
}


def check_template_set(spec: str, variants: tuple[str, ...]) -> None:
    """Every configured variant has templates, and each renders (syntax, names): one line."""
    try:
        templates = load_template_set(spec)
    except (OSError, yaml.YAMLError) as err:
        raise TemplateError(f"template set {spec!r}: {err}") from None
    import jinja2

    for variant in variants:
        if not templates.for_variant(variant):
            raise TemplateError(f"template set {spec!r} has no {variant!r} templates")
        for template in templates.for_variant(variant):
            try:
                render(template.prompt, SAMPLE_CONTEXT)
                render(template.completion, SAMPLE_CONTEXT)
            except jinja2.TemplateError as err:
                raise TemplateError(f"template set {spec!r}, {variant} template "
                                    f"{template.name!r}: {err}") from None
