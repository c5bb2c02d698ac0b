"""CCNet's language-model quality signal (Wenzek et al. 2020, facebookresearch/cc_net): text
normalised as CCNet normalises it, SentencePiece pieces, a KenLM 5-gram per language, document
perplexity, and head / middle / tail buckets per language at perplexity percentiles.

Pure core (no pyspark): :mod:`.normalize`, :mod:`.model` (scoring with models loaded once per
process), :mod:`.buckets` (percentile cut-offs and buckets), :mod:`.training` (SentencePiece
training, KenLM's ``lmplz`` and ``build_binary``). The Spark adapter is :mod:`.spark`.
"""
