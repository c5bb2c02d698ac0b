"""Deduplication: URL, exact, MinHash-LSH near-duplicate and line / paragraph dedup.

Pure core (no pyspark): :mod:`.settings` (config sections), :mod:`.normalize` (text ->
normalised words, vectorised over Arrow batches), :mod:`.hashing`, :mod:`.shingles`,
:mod:`.minhash`, :mod:`.lsh` (band keys; bands x rows from a threshold), :mod:`.jaccard`,
:mod:`.signatures` (everything per batch in one pass), :mod:`.text_units` (lines, paragraphs).

Spark adapters: :mod:`.spark_minhash` (``mapInArrow`` signatures, banding, candidate pairs),
:mod:`.components` (connected components, large-star / small-star), :mod:`.survivors`
(groups -> survivor by rule), :mod:`.near` (the near-duplicate stage), :mod:`.lines` (line
dedup), :mod:`.pipeline` (the stages of ``webcurate.jobs.dedup`` in order).
"""
