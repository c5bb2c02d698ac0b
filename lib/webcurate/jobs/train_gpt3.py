"""The train-gpt3 job: GPT-3's quality classifier on Spark MLlib (Brown et al. 2020, Appendix A).

Curated documents (``positives``) against raw Common Crawl (``negatives``), read as
train-quality reads them (text files cut into documents, or Parquet / JSONL), the classes
balanced by a deterministic per-document key when ``balance``, a held-out fraction of each
class kept aside by the same key. Spark's ``Tokenizer`` + ``HashingTF`` + ``LogisticRegression``
are fitted as one MLlib ``Pipeline`` and the ``PipelineModel`` saved with MLlib's writer at
``model`` (a directory); the held-out ROC-AUC is MLlib's ``areaUnderROC``, written with the
counts to ``<model>/gpt3-metrics.json``. Everything runs on executors: nothing grows on the
driver with the data.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from webcurate.config import ConfigError, option
from webcurate.io import storage as st
from webcurate.io.inputs import InputError
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult
from webcurate.spark import SparkConfig
from webcurate.stages import Stage

METRICS_FILE = "gpt3-metrics.json"


@dataclass(frozen=True)
class ClassifierSettings:
    """HashingTF and LogisticRegression settings (the paper gives none)."""

    num_features: int = option(1 << 18, min=16, max=1 << 26, help="HashingTF feature space")
    max_iter: int = option(100, min=1, max=10_000, help="LogisticRegression maxIter")
    reg_param: float = option(0.001, min=0.0, max=100.0, help="LogisticRegression regParam")


@dataclass(frozen=True)
class TrainGpt3Config:
    """``webcurate train-gpt3``: curated vs raw web text -> an MLlib PipelineModel."""

    positives: list[str] = option(help="curated text: text files or Parquet/JSONL documents")
    negatives: list[str] = option(help="raw Common Crawl documents, in the same forms")
    model: str = option(help="where the MLlib PipelineModel goes (a directory), local or s3://")
    description: str = option("", help="what this classifier is (recipes set it)")
    balance: bool = option(True, help="sample the larger class down to the smaller one's size")
    holdout_fraction: float = option(0.2, min=0.0, max=0.5, help="held out per class for AUC")
    min_doc_chars: int = option(100, min=1, help="drop shorter documents")
    text_doc_chars: int = option(3000, min=100, max=1_000_000,
                                 help="text files: cut into documents of at most N characters")
    seed: int = option(0, min=0, help="sampling and held-out split seed")
    classifier: ClassifierSettings = option(ClassifierSettings, help="MLlib settings")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")

    @property
    def output(self) -> str:
        """The directory holding the model directory: config.yaml and stats.json go there (not
        inside the model, which MLlib's writer replaces whole)."""
        return self.model.rstrip("/").rsplit("/", 1)[0] if "/" in self.model else "."


def labelled_documents(spark, config: TrainGpt3Config):
    """``(doc_id, text, label, _key)`` of both classes (label 1 = curated)."""
    from pyspark.sql import functions as F

    from webcurate.quality.spark.training import read_class_documents

    frames = []
    for key, label in (("positives", 1.0), ("negatives", 0.0)):
        try:
            docs, _ = read_class_documents(spark, list(getattr(config, key)), config.storage,
                                           config.text_doc_chars)
        except InputError as err:
            raise ConfigError(f"config key '{key}': {err}") from None
        frames.append(docs.where(F.length("text") >= config.min_doc_chars)
                      .withColumn("label", F.lit(label))
                      .withColumn("_key", F.xxhash64(F.lit(config.seed), F.lit(label),
                                                     "doc_id")))
    return frames[0].unionByName(frames[1])


def split(docs, config: TrainGpt3Config):
    """Balanced (optional) train and held-out frames, chosen by each document's key."""
    from pyspark.sql import functions as F

    counts = {row["label"]: row["count"] for row in docs.groupBy("label").count().collect()}
    for key, label in (("positives", 1.0), ("negatives", 0.0)):
        if counts.get(label, 0) < 2:
            raise ConfigError(f"config key '{key}': {counts.get(label, 0)} documents of at "
                              f"least {config.min_doc_chars} characters; need 2 or more")
    target = min(counts.values()) if config.balance else None
    # _key is a 64-bit hash: (key mod 2^20) / 2^20 is a uniform number per document.
    uniform = (F.pmod(F.col("_key"), F.lit(1 << 20)) / F.lit(float(1 << 20)))
    keep = F.lit(True)
    if target is not None:
        keep = uniform < F.when(F.col("label") == 1.0, F.lit(target / counts[1.0])).otherwise(
            F.lit(target / counts[0.0]))
    holdout_key = F.pmod(F.xxhash64(F.col("_key"), F.lit("holdout")), F.lit(1 << 20)) / \
        F.lit(float(1 << 20))
    sampled = docs.where(keep).withColumn("_holdout", holdout_key < config.holdout_fraction)
    return (sampled.where(~F.col("_holdout")).select("text", "label"),
            sampled.where(F.col("_holdout")).select("doc_id", "text", "label"), counts)


def run_train_gpt3(spark, config: TrainGpt3Config) -> JobResult:
    from webcurate.mllib.spark import held_out_auc, train_classifier

    started = time.time()
    docs = labelled_documents(spark, config).persist()
    try:
        train, holdout, available = split(docs, config)
        train = train.persist()  # every LogisticRegression iteration reads it
        counts = {f"train_{k}": v for k, v in
                  {str(int(r["label"])): r["count"]
                   for r in train.groupBy("label").count().collect()}.items()}
        counts.update({f"holdout_{k}": v for k, v in
                       {str(int(r["label"])): r["count"]
                        for r in holdout.groupBy("label").count().collect()}.items()})
        settings = config.classifier
        model = train_classifier(train, settings.num_features, settings.max_iter,
                                 settings.reg_param)
        auc = held_out_auc(model, holdout) if config.holdout_fraction > 0 else None
        train.unpersist()
    finally:
        docs.unpersist()
    model.write().overwrite().save(config.model)
    report = {"model": config.model, "description": config.description,
              "documents_available": {"positives": available.get(1.0, 0),
                                      "negatives": available.get(0.0, 0)},
              **counts, "holdout_roc_auc": auc, "seed": config.seed,
              "classifier": {"num_features": settings.num_features,
                             "max_iter": settings.max_iter, "reg_param": settings.reg_param}}
    st.write_bytes(st.join_uri(config.model, METRICS_FILE),
                   json.dumps(report, indent=2).encode("utf-8"), config.storage)
    return JobResult(stats={**report, "seconds": round(time.time() - started, 3)})


STAGE = Stage(
    "train-gpt3", "curated vs raw web text -> GPT-3's MLlib classifier (Tokenizer, HashingTF, "
                  "logistic regression) and its held-out ROC-AUC", TrainGpt3Config,
    run_train_gpt3)
