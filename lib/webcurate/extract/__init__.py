"""Record-level extraction: WARC / WET / ARC records to documents, in pure Python.

``records`` walks one archive file with warcio and yields document, error and summary rows
(``headers`` reads record headers, ``tally`` keeps the per-file counts); ``html`` decodes
payloads and turns HTML into main text under size, element, depth and time limits; ``sidecars``
writes a task's error rows and summaries and reads the summaries back concurrently;
``language`` wraps fastText ``lid.176`` as a lazy per-process singleton; ``settings`` is the
``extract:`` section of the job config. Nothing here imports pyspark: the Spark job is a thin shell
around :func:`webcurate.extract.records.iter_file_rows`.
"""
