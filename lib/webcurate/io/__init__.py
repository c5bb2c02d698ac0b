"""Reading and writing: object storage, input resolution, and committed Parquet datasets.

``storage`` is the one storage API (local paths, ``s3://``, ``gs://``, ``hdfs://``,
``http(s)://``), delegating to the backend ``fs`` picks for a URI (``fs_arrow``, ``fs_s3``,
``fs_http``, and ``hadoop``, the one module that reaches Spark's Hadoop FileSystem); ``inputs``
turns a user's input spec into a file list; ``datasets`` writes and reads Parquet so that a
retried or failed Spark task never leaves partial or duplicate files (``s3_parquet`` does it
where Spark's own writer cannot reach the store).
"""
