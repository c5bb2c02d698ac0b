"""Spark MLlib side of the gpt3 recipe: features, classifier training, scoring, Pareto keep
rule and MinHashLSH near-duplicate removal. Native Spark end to end: the model is an MLlib
``PipelineModel`` (``Tokenizer`` -> ``HashingTF`` -> ``LogisticRegression``) saved with MLlib's
writer; scoring, the held-out ROC-AUC (``BinaryClassificationEvaluator``) and the LSH join run on
executors. Pyspark is imported inside functions only.
"""

from __future__ import annotations

from webcurate.quality.decide import pareto_draw

WORDS_COLUMN = "_gpt3_words"
FEATURES_COLUMN = "_gpt3_features"
SCORE_COLUMN = "gpt3_score"
LABEL_COLUMN = "label"
INTERNAL = (WORDS_COLUMN, FEATURES_COLUMN, "_gpt3_raw", "_gpt3_probability", "_gpt3_prediction")


def features_stages(num_features: int):
    """Spark's standard ``Tokenizer`` (lowercase, split at whitespace) and ``HashingTF``."""
    from pyspark.ml.feature import HashingTF, Tokenizer

    return [Tokenizer(inputCol="text", outputCol=WORDS_COLUMN),
            HashingTF(inputCol=WORDS_COLUMN, outputCol=FEATURES_COLUMN, numFeatures=num_features)]


def train_classifier(train_df, num_features: int, max_iter: int, reg_param: float):
    """Fit Tokenizer -> HashingTF -> LogisticRegression on ``(text, label)`` rows."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression

    regression = LogisticRegression(
        featuresCol=FEATURES_COLUMN, labelCol=LABEL_COLUMN, maxIter=max_iter, regParam=reg_param,
        rawPredictionCol="_gpt3_raw", probabilityCol="_gpt3_probability",
        predictionCol="_gpt3_prediction")
    return Pipeline(stages=[*features_stages(num_features), regression]).fit(train_df)


def scored(model, df, keep_features: bool = False):
    """``df`` with ``gpt3_score`` = P(curated), the classifier's probability of label 1."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    out = model.transform(df).withColumn(
        SCORE_COLUMN, vector_to_array(F.col("_gpt3_probability"))[1])
    drop = [c for c in INTERNAL if not (keep_features and c == FEATURES_COLUMN)]
    return out.drop(*drop)


def held_out_auc(model, holdout_df) -> float:
    """MLlib's ``areaUnderROC`` of the model on labelled held-out rows."""
    from pyspark.ml.evaluation import BinaryClassificationEvaluator

    evaluator = BinaryClassificationEvaluator(
        rawPredictionCol="_gpt3_raw", labelCol=LABEL_COLUMN, metricName="areaUnderROC")
    return float(evaluator.evaluate(model.transform(holdout_df)))


def with_pareto_keep(df, alpha: float, seed: int, column: str = "_gpt3_keep"):
    """GPT-3's rule per document: ``pareto(alpha) > 1 - score``, the draw seeded by ``doc_id``
    (:func:`webcurate.quality.decide.pareto_draw`), so reruns and retries agree."""
    from pyspark.sql import functions as F

    draw = F.udf(lambda doc_id: pareto_draw(doc_id, alpha, seed), "double")
    return df.withColumn(column, F.coalesce(
        draw(F.col("doc_id")) > F.lit(1.0) - F.col(SCORE_COLUMN), F.lit(False)))


def near_duplicate_ids(df, num_hash_tables: int, max_distance: float, seed: int):
    """``doc_id`` of every document with a near duplicate of smaller ``doc_id`` (Jaccard
    distance of their HashingTF feature sets below ``max_distance``), from MLlib's
    ``MinHashLSH`` self-join on ``(doc_id, features)`` only (never the text). Documents with no
    feature (empty text) are never duplicates. Keeping the smallest id of each pair removes
    every member of a duplicate cluster but its smallest id when the cluster is a clique (the
    usual case for near-copies); chains are cut pairwise, not by connected components."""
    from pyspark.ml.feature import MinHashLSH
    from pyspark.sql import functions as F

    has_features = F.udf(lambda v: v is not None and v.numNonzeros() > 0, "boolean")
    items = df.select("doc_id", FEATURES_COLUMN).where(has_features(F.col(FEATURES_COLUMN)))
    lsh = MinHashLSH(inputCol=FEATURES_COLUMN, outputCol="_gpt3_hashes",
                     numHashTables=num_hash_tables, seed=seed).fit(items)
    pairs = lsh.approxSimilarityJoin(items, items, max_distance, distCol="_gpt3_distance")
    return (pairs.where(F.col("datasetA.doc_id") < F.col("datasetB.doc_id"))
            .select(F.col("datasetB.doc_id").alias("doc_id")).distinct())
