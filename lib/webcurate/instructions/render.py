"""A task -> prompt / completion records: selection, exemplars, templates (pure Python).

Every choice is a hash of ``(task, item id, repetition, seed, purpose)`` (:func:`stable_hash`),
never a random generator's state, so a task renders to the same records whatever the
partitioning, the order of tasks or the run. Per task:

1. **Select** (Flan's examples-proportional mixing with a cap): instances ranked by hash, the
   first ``max_instances_per_task`` kept, then ``weight`` x that many items taken cyclically
   (a weight above 1 repeats instances as new *repetitions*, which draw other exemplars and
   templates).
2. **Variants**: each selected instance yields ``zero_shot`` and ``few_shot``; items with a
   rationale (an instance's own, or a Positive Example's explanation with
   ``cot_from_positive_examples``) yield ``cot`` and ``few_shot_cot``.
3. **Exemplars** for few-shot variants: k drawn from the pool (Positive Examples, or the task's
   other instances) by hash rank, never the item itself (same id or same input text); for
   ``few_shot_cot`` from every example or instance with a rationale.
4. **Template**: one of the variant's templates, by hash; one of the acceptable outputs, by hash.

A few-shot variant without any eligible exemplar is skipped and counted (``skipped``), never
rendered as zero-shot under a few-shot label.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterator

from webcurate.instructions.settings import RenderSettings
from webcurate.instructions.sni import Example, Task
from webcurate.instructions.template_sets import load_template_set, render

FEW_SHOT_VARIANTS = ("few_shot", "few_shot_cot")
COT_VARIANTS = ("cot", "few_shot_cot")
ID_HEX_CHARS = 32
SKIP_NO_EXEMPLARS = "no_eligible_exemplars"


def stable_hash(*parts) -> int:
    """64-bit hash of the parts (SHA-1 over their text joined by U+001F)."""
    digest = hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def record_id(*parts) -> str:
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[
        :ID_HEX_CHARS]


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def task_weight(task: Task, weights: dict[str, float]) -> float:
    """The first pattern matching the task's name (or ``category:<glob>`` one of its
    categories); 1.0 when none does."""
    for pattern, weight in weights.items():
        if pattern.startswith("category:"):
            glob = pattern[len("category:"):]
            if any(fnmatch.fnmatchcase(c, glob) for c in task.categories):
                return weight
        elif fnmatch.fnmatchcase(task.name, pattern):
            return weight
    return 1.0


def selected(task: Task, settings: RenderSettings) -> list[tuple[Example, int]]:
    """``(instance, repetition)`` pairs: capped by hash rank, scaled by the task's weight."""
    ranked = sorted(task.instances,
                    key=lambda ex: (stable_hash(task.name, ex.id, settings.seed, "select"), ex.id))
    cap = settings.mixing.max_instances_per_task
    capped = ranked[:cap] if cap else ranked
    if not capped:
        return []
    count = round(len(capped) * task_weight(task, settings.mixing.weights))
    return [(capped[j % len(capped)], j // len(capped)) for j in range(count)]


def exemplars_for(task: Task, item: Example, repetition: int, settings: RenderSettings,
                  need_rationale: bool) -> list[Example]:
    """k exemplars from the task's pool, ranked by hash, never ``item`` itself."""
    pool = (task.positive_examples if settings.few_shot.pool == "positive_examples"
            else task.instances)
    if need_rationale:  # chain-of-thought exemplars: whatever has a rationale, from both
        pool = (*task.positive_examples, *task.instances)
    eligible = [ex for ex in pool if ex.id != item.id and not _same_text(ex.input, item.input)
                and (ex.rationale or not need_rationale)]
    eligible.sort(key=lambda ex: (stable_hash(task.name, item.id, repetition, settings.seed,
                                              "exemplar", ex.id), ex.id))
    return eligible[:settings.few_shot.exemplars]


def _output(task: Task, item: Example, repetition: int, seed: int) -> str:
    return item.outputs[stable_hash(task.name, item.id, repetition, seed, "output")
                        % len(item.outputs)]


def render_item(task: Task, item: Example, repetition: int, variant: str,
                settings: RenderSettings) -> dict | str:
    """One record, or the reason it was skipped."""
    templates = load_template_set(settings.templates).for_variant(variant)
    template = templates[stable_hash(task.name, item.id, repetition, variant, settings.seed,
                                     "template") % len(templates)]
    exemplars = []
    if variant in FEW_SHOT_VARIANTS:
        exemplars = exemplars_for(task, item, repetition, settings,
                                  need_rationale=variant in COT_VARIANTS)
        if not exemplars:
            return SKIP_NO_EXEMPLARS
    seed = settings.seed
    context = {
        "task": task.name, "definition": task.definition, "input": item.input,
        "output": _output(task, item, repetition, seed), "rationale": item.rationale,
        "categories": list(task.categories), "input_language": task.input_language,
        "exemplars": [{"input": ex.input, "output": _output(task, ex, repetition, seed),
                       "rationale": ex.rationale} for ex in exemplars],
    }
    prompt = render(template.prompt, context).strip()
    completion = render(template.completion, context).strip()
    messages = [{"role": "user", "content": prompt},
                {"role": "assistant", "content": completion}]
    if settings.system_prompt:
        messages.insert(0, {"role": "system", "content": settings.system_prompt})
    return {
        "doc_id": record_id("instruction", task.name, item.id, repetition, variant, seed,
                            settings.templates),
        "task": task.name, "instance_id": item.id, "repetition": repetition,
        "variant": variant, "template": template.name,
        "exemplar_ids": [ex.id for ex in exemplars],
        "prompt": prompt, "completion": completion, "messages": messages,
        "text": f"{prompt}\n\n{completion}",
        "categories": list(task.categories), "input_language": task.input_language,
    }


def _cot_items(task: Task, picked: list[tuple[Example, int]],
               settings: RenderSettings) -> list[tuple[Example, int]]:
    items = [(ex, rep) for ex, rep in picked if ex.rationale]
    if settings.cot_from_positive_examples:
        items += [(ex, 0) for ex in task.positive_examples if ex.rationale]
    return items


def render_task(task: Task, settings: RenderSettings) -> Iterator[dict | tuple[str, str]]:
    """Every record of one task; a skipped item yields ``(variant, reason)`` instead."""
    picked = selected(task, settings)
    cot_items = _cot_items(task, picked, settings) if any(
        v in COT_VARIANTS for v in settings.variants) else []
    for variant in settings.variants:
        items = cot_items if variant in COT_VARIANTS else picked
        for item, repetition in items:
            out = render_item(task, item, repetition, variant, settings)
            yield out if isinstance(out, dict) else (variant, out)
