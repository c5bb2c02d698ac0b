"""Reading and writing: object storage, input resolution, and committed Parquet datasets.

``storage`` hides local paths, ``s3://`` and ``http(s)://`` behind one small API; ``inputs`` turns
a user's input spec into a file list; ``datasets`` writes and reads Parquet so that a retried or
failed Spark task never leaves partial or duplicate files (``s3_parquet`` does it for ``s3://``,
where the pyspark wheel has no Hadoop filesystem).
"""
