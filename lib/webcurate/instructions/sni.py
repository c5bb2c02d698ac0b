"""Super-NaturalInstructions task files as plain values (pure Python, no Spark).

A task file of allenai/natural-instructions (``tasks/taskNNN_name.json``; Wang et al. 2022,
"Super-NaturalInstructions: Generalization via Declarative Instructions on 1600+ NLP Tasks")
holds the task's ``Definition`` (a list of strings, usually one), ``Positive Examples`` and
``Negative Examples`` (``{input, output, explanation}``), ``Instances`` (``{id, input,
output: [acceptable outputs]}``) and metadata (``Categories``, ``Domains``, ``Input_language``,
...). :func:`parse_task` turns one file into a :class:`Task`; a file that is not such a task is
a :class:`TaskError` with one line (the Spark adapter counts it and goes on).

Flan 2022 (Longpre et al. 2023, "The Flan Collection") folds SNI in as one of its submixtures
with the same fields, so one reader serves both. Instances may also carry a rationale
(``explanation`` / ``rationale``, as Flan's chain-of-thought sets do): those get the
chain-of-thought variants.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


class TaskError(ValueError):
    """The file is not a readable SNI-style task (one line, says why)."""


@dataclass(frozen=True)
class Example:
    """A demonstration or an instance: ``outputs`` holds every acceptable output."""

    id: str
    input: str
    outputs: tuple[str, ...]
    rationale: str | None = None


@dataclass(frozen=True)
class Task:
    name: str
    definition: str
    positive_examples: tuple[Example, ...]
    instances: tuple[Example, ...]
    categories: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    input_language: str | None = None
    output_language: str | None = None
    source: str | None = None


def task_name_from_uri(uri: str) -> str:
    """``.../task833_poem_sentiment_classification.json`` -> ``task833_poem_...``."""
    name = uri.rstrip("/").rsplit("/", 1)[-1]
    return name[:-5] if name.endswith(".json") else name


def _text(value, field: str) -> str:
    if isinstance(value, list):
        value = "\n".join(str(v) for v in value)
    if not isinstance(value, str):
        raise TaskError(f"field {field!r} is {type(value).__name__}, not text")
    return value


def _outputs(value, field: str) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    outputs = tuple(v for v in values if isinstance(v, str) and v.strip())
    if not outputs:
        raise TaskError(f"field {field!r} holds no output text")
    return outputs


def _rationale(item: dict) -> str | None:
    for key in ("explanation", "rationale", "cot"):
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _first(value) -> str | None:
    if isinstance(value, list):
        return str(value[0]) if value else None
    return str(value) if value is not None else None


def parse_task(data: bytes | str, name: str) -> Task:
    """One task file's bytes -> :class:`Task` (``name`` from the file name)."""
    try:
        raw = json.loads(data)
    except ValueError as err:
        raise TaskError(f"not JSON: {str(err)[:120]}") from None
    if not isinstance(raw, dict):
        raise TaskError(f"a JSON {type(raw).__name__}, not a task object")
    for key in ("Definition", "Instances"):
        if key not in raw:
            raise TaskError(f"no {key!r} field")
    definition = _text(raw["Definition"], "Definition").strip()
    positives = []
    for i, item in enumerate(raw.get("Positive Examples") or []):
        if not isinstance(item, dict) or not isinstance(item.get("input"), str):
            raise TaskError(f"Positive Examples[{i}] has no input text")
        positives.append(Example(id=f"{name}-pos{i}", input=item["input"],
                                 outputs=_outputs(item.get("output"),
                                                  f"Positive Examples[{i}].output"),
                                 rationale=_rationale(item)))
    instances = []
    for i, item in enumerate(raw["Instances"]):
        if not isinstance(item, dict) or not isinstance(item.get("input"), str):
            raise TaskError(f"Instances[{i}] has no input text")
        instances.append(Example(id=str(item.get("id") or f"{name}-{i}"), input=item["input"],
                                 outputs=_outputs(item.get("output"), f"Instances[{i}].output"),
                                 rationale=_rationale(item)))
    return Task(name=name, definition=definition, positive_examples=tuple(positives),
                instances=tuple(instances),
                categories=tuple(str(c) for c in raw.get("Categories") or ()),
                domains=tuple(str(d) for d in raw.get("Domains") or ()),
                input_language=_first(raw.get("Input_language")),
                output_language=_first(raw.get("Output_language")),
                source=_first(raw.get("Source")))
