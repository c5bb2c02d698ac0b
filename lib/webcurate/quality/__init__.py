"""Quality classifiers: fastText models trained to tell curated text from web text, and the
maths to decide with their scores (GPT-3, DCLM, CCNet).

Pure core, no pyspark: ``normalize`` (one text normalisation for training and scoring),
``corpus`` and ``wikitext`` (plain-text files into documents), ``training`` (labels, sampling,
the fastText wrapper), ``metrics`` (precision, recall, ROC-AUC with numpy), ``decide``
(percentile, bucket and GPT-3 Pareto rules), ``model`` (the per-process model cache),
``settings`` (the quality job's decision / buckets / lid config sections), ``sampling``
(train-quality's exact per-class top-k by counting). The Spark adapter is
the ``quality.spark`` package: ``scoring`` (batched scoring through mapInArrow), ``decide``
(percentiles, keep and bucket columns, counts), ``passes`` (the quality job's passes) and
``training`` (train-quality's data preparation); they import pyspark only inside functions.
"""
