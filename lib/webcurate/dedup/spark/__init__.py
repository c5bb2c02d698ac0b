"""Dedup's Spark adapter: the stages of ``webcurate.jobs.dedup`` over DataFrames.

:mod:`.minhash` (``mapInArrow`` signatures, banding, candidate pairs), :mod:`.components`
(connected components, large-star / small-star), :mod:`.survivors` (groups -> survivor by
rule), :mod:`.near` (the near-duplicate stage), :mod:`.lines` (line dedup), :mod:`.removal`
(Bloom-filter removal without a text shuffle), :mod:`.pipeline` (the stages in order). The
pure core they call is the parent package.
"""
