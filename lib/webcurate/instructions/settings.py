"""The instructions job's settings: plain frozen values, shipped to executors as they are."""

from __future__ import annotations

from dataclasses import dataclass

from webcurate.config import option
from webcurate.instructions.template_sets import VARIANTS

EXEMPLAR_POOLS = ("positive_examples", "instances")


@dataclass(frozen=True)
class FewShotSettings:
    """Few-shot exemplars: drawn per item from the task's own examples, never the item."""

    exemplars: int = option(2, min=1, max=32,
                            help="k exemplars per few-shot prompt (SNI used 2 positive examples)")
    pool: str = option(
        "positive_examples", choices=EXEMPLAR_POOLS,
        help="where exemplars come from: the task's Positive Examples (SNI) or its other "
             "instances (Flan's few-shot templates)")


@dataclass(frozen=True)
class MixingSettings:
    """Per-task caps and weights (Flan: examples-proportional mixing with a cap per task)."""

    max_instances_per_task: int | None = option(
        None, min=1, help="keep at most this many instances of a task (Flan 2022 capped "
                          "tasks; chosen by hash of task, instance id and seed); null: all")
    weights: dict[str, float] = option(
        {}, help="pattern -> weight: a task whose name matches the glob (or one of whose "
                 "categories matches 'category:<glob>') yields weight x its capped instances; "
                 "> 1 repeats instances with other exemplars and templates; first match wins")


@dataclass(frozen=True)
class RenderSettings:
    """What the instructions job renders; every value is plain data for the executors."""

    templates: str = option("sni", help="template set: sni, flan (packaged) or a YAML path")
    variants: list[str] = option(["zero_shot", "few_shot", "cot"], choices=VARIANTS,
                                 help="variants per item: zero_shot, few_shot, cot, few_shot_cot")
    few_shot: FewShotSettings = option(FewShotSettings, help="few-shot exemplars")
    cot_from_positive_examples: bool = option(
        True, help="chain-of-thought items from the Positive Examples' explanations (SNI "
                   "instances have no rationale; instances that do are always used)")
    mixing: MixingSettings = option(MixingSettings, help="per-task caps and mixing weights")
    system_prompt: str | None = option(None, help="a system message before the user turn")
    seed: int = option(0, min=0, help="seed of every sampling choice (exemplars, templates, caps)")
