"""GPT-3's quality classifier and fuzzy dedup on Spark MLlib (Brown et al. 2020, Appendix A).

The paper: a logistic-regression classifier on features from "Spark's standard tokenizer and
HashingTF", curated text (WebText, Wikipedia, books) as positives and unfiltered Common Crawl as
negatives; a document is kept when ``np.random.pareto(9) > 1 - score``; then documents are
fuzzily deduplicated "using Spark's MinHashLSH implementation with 10 hashes, using the same
features as were used for classification". The Spark code is :mod:`.spark`; the Pareto rule is
:func:`webcurate.quality.decide.pareto_keep` (one definition for the project).
"""
