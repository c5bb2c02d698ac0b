"""The train-quality job: positives + negatives -> a fastText quality classifier and its metrics.

GPT-3's recipe (Brown et al. 2020, appendix A: curated text vs raw Common Crawl) with DCLM's
model (fastText, word bigrams; Li et al. 2024): see :mod:`webcurate.quality.training`.

- **Data preparation runs in Spark**: reading (Parquet / JSONL documents, or plain-text files
  cut at blank lines into documents of at most ``text_doc_chars``), normalising exactly as the
  quality job will (:mod:`webcurate.quality.normalize`), dropping documents shorter than
  ``min_doc_chars``, counting, sampling (``max_docs_per_class``, ``balance``) and the held-out
  split, all deterministic from ``doc_id`` and ``seed``.
- **Training runs on the driver**, because fastText is single-node: the sampled lines stream
  to a local file (``toLocalIterator``, one partition at a time, so driver *memory* stays flat;
  it needs *disk* for the training set: e.g. 2 x 200,000 documents of 5 KB = 2 GB, DCLM's
  scale), fastText trains on it in a fresh process (``fasttext.thread`` cores; see
  :func:`webcurate.quality.training.train_in_subprocess` for why; memory about
  ``(vocabulary + bucket) x dim x 4`` bytes twice over), then the held-out lines stream back
  through the model in batches for precision / recall / ROC-AUC.
- **Sources**: every entry of ``positives`` / ``negatives`` is a source; JSON(L) files whose
  records have no ``text`` (instructions, chats, SNI tasks, article maps) are read one document
  per record (:mod:`webcurate.quality.records`), as DCLM's positives are instruction data.
  ``leave_one_source_out`` trains once more per source without it and reports ROC-AUC on its
  lines against the other class's held-out lines: generalisation to a source never seen, which
  a random split of the same sources overstates.
- **Outputs**: the model at ``model`` (local or ``s3://``), ``<model>.metrics.json`` beside it
  (metrics, counts, the normalisation, fastText settings; the quality job reads the
  normalisation from it), and ``config.yaml`` / ``stats.json`` in the model's directory
  (``output`` is that directory). A rerun with the same settings trains the same model
  (``fasttext.thread: 1``) and replaces it.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from dataclasses import dataclass

from webcurate.config import ConfigError, option, to_dict
from webcurate.io import storage as st
from webcurate.io.inputs import InputError
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult
from webcurate.quality.normalize import TextNormalization
from webcurate.quality.training import (
    NEGATIVE_LABEL,
    POSITIVE_LABEL,
    FastTextParams,
    class_sample_sizes,
    holdout_size,
)
from webcurate.spark import SparkConfig
from webcurate.stages import Stage

METRICS_SUFFIX = ".metrics.json"
EVAL_BATCH_LINES = 10_000
MODEL_SUFFIXES = (".bin", ".ftz")


@dataclass(frozen=True)
class TrainQualityConfig:
    """``conf/train_quality.yaml``: what to train on, where the model goes, fastText settings."""

    positives: list[str] = option(
        help="curated documents: Parquet/JSONL(.gz) or text files (.txt, .gz, .bz2, .zip, "
             "MediaWiki XML); file, directory, glob or list; local or s3://")
    negatives: list[str] = option(help="web documents, in the same forms as positives")
    model: str = option(help="where the model goes: a .bin path, local or s3://")
    description: str = option("", help="what this classifier is (recipes set it); saved in metrics")
    max_docs_per_class: int | None = option(
        None, min=1, help="take at most N documents per class (sampled by seed); null = all")
    balance: bool = option(True, help="take as many negatives as positives (the smaller class)")
    holdout_fraction: float = option(
        0.1, min=0.0, max=0.5, help="fraction of each class held out for the metrics")
    min_doc_chars: int = option(
        100, min=1, help="drop documents shorter than this after normalisation")
    text_doc_chars: int = option(
        3000, min=100, max=1_000_000,
        help="plain text files: cut into documents of at most this many characters")
    seed: int = option(0, min=0, help="sampling and held-out split seed")
    leave_one_source_out: bool = option(
        False, help="also train once without each source (an entry of positives / negatives) "
                    "and report ROC-AUC on it: how the model does on text from a source it "
                    "never saw (one extra training per source)")
    normalization: TextNormalization = option(
        TextNormalization, help="text normalisation, recorded beside the model for scoring")
    fasttext: FastTextParams = option(FastTextParams, help="fastText supervised settings")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")

    @property
    def output(self) -> str:
        """The directory holding the model: config.yaml and stats.json go beside it."""
        return self.model.rstrip("/").rsplit("/", 1)[0] if "/" in self.model else "."


def preflight_train_quality(config: TrainQualityConfig) -> None:
    """Checks that need no Spark: the model path, and a fastText module that can train."""
    if not config.model.lower().endswith(MODEL_SUFFIXES):
        raise ConfigError(f"config key 'model': expected a .bin (or .ftz) path, got "
                          f"{config.model!r}")
    if not (st.is_local(config.model) or st.is_s3(config.model)):
        raise ConfigError(f"config key 'model': write it to a local path or s3://, got "
                          f"{config.model!r}")
    import fasttext

    if not hasattr(fasttext, "train_supervised"):
        raise ConfigError("config key 'fasttext': the installed fasttext module cannot train "
                          "(fasttext-predict replaced it); reinstall fasttext-numpy2-wheel")


def source_names(config: TrainQualityConfig) -> list[tuple[str, str]]:
    """``(label, source)`` for every entry of positives and negatives: a source is one entry as
    written (a file, directory or glob), the unit that leave-one-source-out holds out."""
    return [(label, str(source)) for key, label in (("positives", POSITIVE_LABEL),
                                                    ("negatives", NEGATIVE_LABEL))
            for source in getattr(config, key)]


def prepare_lines(spark, config: TrainQualityConfig):
    """Both classes read, normalised and unioned, each line tagged with its source's index in
    :func:`source_names` (persisted: counted, then sampled)."""
    from pyspark.sql import functions as F

    from webcurate.quality.spark.training import labelled_lines, read_class_documents

    frames, sources = [], {}
    keys = {POSITIVE_LABEL: "positives", NEGATIVE_LABEL: "negatives"}
    for index, (label, source) in enumerate(source_names(config)):
        key = keys[label]
        try:
            docs, found = read_class_documents(spark, [source], config.storage,
                                               config.text_doc_chars)
        except InputError as err:
            raise ConfigError(f"config key '{key}': {err}") from None
        totals = sources.setdefault(key, {})
        for name, count in found.items():
            totals[name] = totals.get(name, 0) + count
        frames.append(labelled_lines(docs, label, config.normalization, config.min_doc_chars,
                                     config.seed).withColumn("source", F.lit(index)))
    lines = frames[0]
    for other in frames[1:]:
        lines = lines.unionByName(other)
    return lines.persist(), sources


def write_split(rows, train_path: str, holdout_path: str, tagged_path: str | None = None
                ) -> tuple[int, int]:
    """Stream ``(label, line, holdout, source)`` rows into the training and held-out fastText
    files in one pass (and, for leave-one-source-out, every line with its source and split
    into ``tagged_path``); returns the line counts."""
    from webcurate.quality.training import fasttext_line

    counts = [0, 0]
    with (open(train_path, "w", encoding="utf-8") as train,
          open(holdout_path, "w", encoding="utf-8") as holdout,
          open(tagged_path or os.devnull, "w", encoding="utf-8") as tagged):
        for row in rows:
            line = fasttext_line(row["label"], row["line"])
            (holdout if row["holdout"] else train).write(line)
            if tagged_path:
                tagged.write(f"{row['source']}\t{int(row['holdout'])}\t{line}")
            counts[1 if row["holdout"] else 0] += 1
    return counts[0], counts[1]


def leave_one_source_out(config: TrainQualityConfig, tagged_path: str, tmp: str) -> dict:
    """Per source: a model trained without it (and without every held-out line), scored on all
    of that source's lines plus the other class's held-out lines from the other sources.
    Sources that are their class's only one are skipped (nothing of that class to train on)."""
    from webcurate.quality.training import train_in_subprocess

    names = source_names(config)
    results: dict[str, dict] = {}
    for index, (label, source) in enumerate(names):
        if sum(1 for other, _ in names if other == label) < 2:
            results[source] = {"label": label, "skipped": "the only source of its class"}
            continue
        train_path, test_path = (os.path.join(tmp, f"loso-{index}-{n}.txt")
                                 for n in ("train", "test"))
        counts = {"train": 0, "test_source": 0, "test_other": 0}
        with (open(tagged_path, encoding="utf-8") as tagged,
              open(train_path, "w", encoding="utf-8") as train,
              open(test_path, "w", encoding="utf-8") as test):
            for row in tagged:
                row_source, held_out, line = row.split("\t", 2)
                line_label = line.split(" ", 1)[0].removeprefix("__label__")
                if int(row_source) == index:
                    test.write(line)
                    counts["test_source"] += 1
                elif held_out == "1" and line_label != label:
                    test.write(line)
                    counts["test_other"] += 1
                elif held_out == "0":
                    train.write(line)
                    counts["train"] += 1
        if not counts["test_source"] or not counts["test_other"]:
            results[source] = {"label": label, "skipped": "no lines to test on", **counts}
            continue
        model_path = os.path.join(tmp, f"loso-{index}.bin")
        train_in_subprocess(train_path, config.fasttext, model_path)
        metrics = evaluate(model_path, test_path)
        results[source] = {"label": label, "roc_auc": metrics.get("roc_auc"), **counts}
    return results


def evaluate(model_path: str, holdout_path: str) -> dict:
    """Held-out metrics of a saved model: each line's true label vs P(positive)."""
    import numpy as np

    from webcurate.quality.metrics import binary_metrics
    from webcurate.quality.model import QualityModel
    from webcurate.quality.training import label_token

    model = QualityModel(model_path, POSITIVE_LABEL)
    labels, scores, batch = [], [], []
    positive = label_token(POSITIVE_LABEL)
    with open(holdout_path, encoding="utf-8") as lines:
        for line in lines:
            label, _, text = line.rstrip("\n").partition(" ")
            labels.append(label == positive)
            batch.append(text)
            if len(batch) >= EVAL_BATCH_LINES:
                scores.extend(model.positive_probabilities(batch))
                batch = []
    scores.extend(model.positive_probabilities(batch))
    return binary_metrics(np.array(labels, dtype=bool), np.array(scores, dtype=np.float64))


def _json_safe(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    return value


def save_model(local_path: str, config: TrainQualityConfig, report: dict) -> None:
    """The model, then ``<model>.metrics.json``, each written atomically (local or s3)."""
    with open(local_path, "rb") as model_file:
        st.write_bytes(config.model, model_file.read(), config.storage)
    payload = json.dumps(report, indent=2, ensure_ascii=False).encode("utf-8")
    st.write_bytes(f"{config.model}{METRICS_SUFFIX}", payload, config.storage)


def class_counts(lines) -> dict[str, int]:
    counts = {row["label"]: row["count"] for row in lines.groupBy("label").count().collect()}
    return {label: counts.get(label, 0) for label in (POSITIVE_LABEL, NEGATIVE_LABEL)}


def run_train_quality(spark, config: TrainQualityConfig) -> JobResult:
    """Prepare the data in Spark, train on the driver, evaluate, save; return the stats."""
    from webcurate.quality.spark.training import select_samples
    from webcurate.quality.training import train_in_subprocess

    started = time.time()
    preflight_train_quality(config)
    lines, sources = prepare_lines(spark, config)
    try:
        available = class_counts(lines)
        for key, label in (("positives", POSITIVE_LABEL), ("negatives", NEGATIVE_LABEL)):
            if available[label] < 2:
                raise ConfigError(f"config key '{key}': {available[label]} documents of at least "
                                  f"{config.min_doc_chars} characters; need 2 or more")
        sizes = class_sample_sizes(available, config.max_docs_per_class, config.balance)
        holdouts = {k: holdout_size(n, config.holdout_fraction) for k, n in sizes.items()}
        selected = select_samples(lines, available, sizes, holdouts)
        with tempfile.TemporaryDirectory(prefix="webcurate-train-") as tmp:
            train_path, holdout_path = (os.path.join(tmp, n) for n in ("train.txt", "holdout.txt"))
            tagged_path = (os.path.join(tmp, "tagged.txt") if config.leave_one_source_out
                           else None)
            ordered = selected.orderBy("sample_key", "doc_id").select(
                "label", "line", "holdout", "source")
            train_lines, _ = write_split(ordered.toLocalIterator(), train_path, holdout_path,
                                         tagged_path)
            train_started = time.time()
            local_model = os.path.join(tmp, "model.bin")
            train_in_subprocess(train_path, config.fasttext, local_model)
            train_seconds = round(time.time() - train_started, 3)
            metrics = evaluate(local_model, holdout_path) if sum(holdouts.values()) else {}
            model_bytes = os.path.getsize(local_model)
            by_source = (leave_one_source_out(config, tagged_path, tmp) if tagged_path
                         else None)
            report = _json_safe({
                "model": config.model, "description": config.description,
                "model_bytes": model_bytes,
                "labels": {"positive": POSITIVE_LABEL, "negative": NEGATIVE_LABEL},
                "normalization": to_dict(config.normalization),
                "fasttext": to_dict(config.fasttext),
                "documents_available": available, "documents_sampled": sizes,
                "documents_held_out": holdouts, "train_lines": train_lines,
                "sources": sources, "holdout_metrics": metrics, "seed": config.seed,
                **({"leave_one_source_out": by_source} if by_source is not None else {}),
                "train_seconds": train_seconds})
            save_model(local_model, config, report)
    finally:
        lines.unpersist()
    report["seconds"] = round(time.time() - started, 3)
    return JobResult(stats=report)


STAGE = Stage(
    "train-quality", "positives + negatives -> a fastText quality classifier and its held-out "
                     "metrics", TrainQualityConfig, run_train_quality,
    preflight=preflight_train_quality)
