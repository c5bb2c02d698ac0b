"""Quality's Spark adapter: :mod:`.scoring` (batched scoring through mapInArrow),
:mod:`.decide` (percentiles, keep and bucket columns, counts), :mod:`.passes` (the quality
job's passes) and :mod:`.training` (train-quality's data preparation). The pure core they
call is the parent package.
"""
