"""Deduplication: URL, exact, MinHash-LSH near-duplicate and line / paragraph dedup.

Pure core (no pyspark): :mod:`.settings` (config sections), :mod:`.normalize` (text ->
normalised words, vectorised over Arrow batches), :mod:`.hashing`, :mod:`.shingles`,
:mod:`.minhash`, :mod:`.lsh` (band keys; bands x rows from a threshold), :mod:`.jaccard`,
:mod:`.signatures` (everything per batch in one pass), :mod:`.text_units` (lines, paragraphs).

The Spark adapter is the :mod:`.spark` package (signatures, banding, components, survivors,
near / line dedup, Bloom-filter removal, the stages of ``webcurate.jobs.dedup`` in order).
"""
