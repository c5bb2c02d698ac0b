"""The Spark side of PII scrubbing: Arrow batches in, scrubbed text and per-kind counts out.

Executors receive the settings as JSON and compile the rules once per Python worker
(:func:`webcurate.pii.rules.scrubber_for`). Only ``text`` is converted to Python; every other
column passes through as Arrow. The text column is rebuilt only for batches where something
was replaced.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pyarrow as pa

from webcurate.pii.rules import scrubber_for
from webcurate.pii.settings import KINDS

COUNT_COLUMNS = tuple(f"pii_{kind}" for kind in KINDS)


def scrub_batches(batches: Iterator[pa.RecordBatch], settings_json: str
                  ) -> Iterator[pa.RecordBatch]:
    scrubber = scrubber_for(json.loads(settings_json))
    for batch in batches:
        texts = batch.column("text").to_pylist()
        counts = {kind: [0] * len(texts) for kind in KINDS}
        out, changed = [], False
        for i, text in enumerate(texts):
            if text is None:
                out.append(None)
                continue
            new, found = scrubber.scrub(text)
            if new is not text:
                changed = True
            out.append(new)
            for kind, n in found.items():
                counts[kind][i] = n
        names = [n for n in batch.schema.names if n not in COUNT_COLUMNS]
        string = batch.schema.field("text").type
        columns = [pa.array(out, string) if name == "text" and changed else batch.column(name)
                   for name in names]
        columns += [pa.array(counts[kind], pa.int32()) for kind in KINDS]
        yield pa.RecordBatch.from_arrays(columns, names=[*names, *COUNT_COLUMNS])


def scrub_frame(df, settings: dict):
    """``df`` with ``text`` scrubbed and one count column per kind (``pii_email`` ...)."""
    from pyspark.sql.types import IntegerType, StructField, StructType

    df = df.drop(*[c for c in COUNT_COLUMNS if c in df.columns])
    schema = StructType([*df.schema.fields,
                         *(StructField(c, IntegerType(), True) for c in COUNT_COLUMNS)])
    settings_json = json.dumps(settings, sort_keys=True)
    return df.mapInArrow(lambda batches: scrub_batches(batches, settings_json), schema)
