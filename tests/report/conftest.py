"""Real stage outputs for the report tests, made once per session by the real jobs:

- extract on the CC-MAIN-2020-34 WARC sample (16 HTML documents, 5 languages);
- filter (gopher_repetition, gopher_quality, c4, fineweb) on the 697 CC-MAIN-2019-30 documents;
- dedup (exact) on filter's kept/;
- quality on dedup's kept/, with a tiny fastText model trained here in a second (Lee news
  corpus vs NLTK webtext), top 50 %, rejected/ written.

Extract reads other data than filter (no sample is both a WARC and large enough for filter to
show every rule), so the report notes that these are not one chained run; filter -> dedup ->
quality are chained.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from webcurate.cli import run_job
from webcurate.io.storage import StorageConfig
from webcurate.report import build_report, load_stages

WARC = "warc/cc/CC-MAIN-2020-34-sample.warc.gz"
CC_DOCS = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"
FILTERS = "gopher_repetition,gopher_quality,c4,fineweb"


@dataclass(frozen=True)
class PipelineRun:
    root: Path
    prefixes: dict[str, str]
    index: Path  # the report built from all four stages with Spark, seed 0, 5 per reason


def train_tiny_quality_model(shared_data: Path, model: Path) -> Path:
    """Reference prose (hq) vs forum / personal-ad text (cc): dim 16, 10 epochs."""
    from webcurate.quality.corpus import iter_file_documents
    from webcurate.quality.normalize import TextNormalization, normalize_for_fasttext
    from webcurate.quality.training import FastTextParams, fasttext_line, train_in_subprocess

    lines = []
    for label, name, limit in (("hq", "reference/lee_background.cor", 400),
                               ("cc", "lowquality/webtext.zip", None)):
        with open(shared_data / "text" / name, "rb") as raw:
            docs = iter_file_documents(Path(name).name, raw, 3000, 200)
            lines += [fasttext_line(label, normalize_for_fasttext(text, TextNormalization()))
                      for _, _, text in docs][:limit]
    train_file = model.with_suffix(".txt")
    train_file.write_text("".join(np.random.default_rng(0).permutation(lines)))
    train_in_subprocess(str(train_file), FastTextParams(dim=16, epoch=10, lr=0.5, bucket=20_000,
                                                        seed=0), str(model))
    return model


def _run(spark, job: str, *settings: str, conf: str | None = None) -> None:
    argv = (["--conf", conf] if conf else []) + [f"--set={s}" for s in settings]
    assert run_job(job, argv, spark=spark) == 0, f"{job} failed"


@pytest.fixture(scope="session")
def pipeline_run(spark, shared_data, tmp_path_factory) -> PipelineRun:
    root = tmp_path_factory.mktemp("pipeline")
    prefixes = {stage: str(root / stage) for stage in ("extract", "filter", "dedup", "quality")}
    model = train_tiny_quality_model(shared_data, root / "tiny-quality.bin")
    _run(spark, "extract", f"input={shared_data / WARC}", f"output={prefixes['extract']}")
    _run(spark, "filter", f"input={shared_data / CC_DOCS}", f"output={prefixes['filter']}",
         f"filters={FILTERS}")
    _run(spark, "dedup", f"input={prefixes['filter']}/kept", f"output={prefixes['dedup']}",
         "mode=exact", conf="conf/dedup.yaml")
    dedup_kept = next(Path(prefixes["dedup"]).glob("exact-*/kept"))
    _run(spark, "quality", f"input={dedup_kept}", f"output={prefixes['quality']}",
         f"model={model}", "decision.mode=top_percent", "decision.top_percent=50",
         "write_rejected=true", conf="conf/quality.yaml")
    stages = load_stages(prefixes, StorageConfig())
    index = build_report(stages, str(root), StorageConfig(), spark=spark, sample_per_reason=5,
                         seed=0)
    return PipelineRun(root, prefixes, Path(index))
