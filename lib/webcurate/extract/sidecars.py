"""What an extract task leaves beside its documents: error rows in errors/, one summary per input.

The driver must not be on the data path. So each task writes its input's error rows straight
into the ``errors/`` dataset (one Parquet object per input that has any, named like the input's
``docs/`` file, and so swept with it by the ledger when its batch is never committed), and
leaves one small JSON summary (counts only, see ``tally``) under ``PREFIX/_extract_meta/``. The
driver reads the summaries of a batch concurrently (:func:`read_summaries`): I/O-bound, one
small object per input, and on the driver rather than as a Spark job so that reading them never
queues behind the next batch's tasks.

Objects are published whole (:func:`webcurate.io.storage.write_bytes`: rename locally, one PUT
on S3), error file first, summary last, so a summary's presence means its input's error file is
complete. A retried task writes the same names with the same content; one whose retry records
no error removes the file an earlier attempt left (:meth:`ErrorRowsFile.close`).
Nothing here imports pyspark.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.parquet as pq

from webcurate.io import storage as st
from webcurate.schema import ERROR_ARROW_SCHEMA

#: Per-input summaries, left by tasks for the driver: ``PREFIX/_extract_meta/<batch_id>/``.
SIDECARS_DIR = "_extract_meta"
#: Error rows per Parquet row group: one input's rows are streamed, never all held as rows.
ERROR_ROWS_PER_ROW_GROUP = 4096
#: Summaries read at once by the driver (I/O-bound: ~20 ms per S3 GET, a few KB each).
SUMMARY_READ_THREADS = 16
#: The schema error files are written with: every column nullable, as Spark's writer does, so
#: that files written by tasks and by Spark read back as one dataset.
ERROR_FILE_SCHEMA = pa.schema([field.with_nullable(True) for field in ERROR_ARROW_SCHEMA])


def summary_uri(output: str, batch_id: str, source_file: str) -> str:
    """Where a task leaves one input's summary: one fixed name per input and batch."""
    name = hashlib.sha1(source_file.encode("utf-8")).hexdigest()[:20]
    return st.join_uri(output, SIDECARS_DIR, batch_id, f"{name}.json")


def batch_sidecars_uri(output: str, batch_id: str) -> str:
    return st.join_uri(output, SIDECARS_DIR, batch_id)


def write_summary(uri: str, summary: dict, storage: st.StorageConfig) -> None:
    st.write_bytes(uri, json.dumps(summary, ensure_ascii=False).encode("utf-8"), storage)


class ErrorRowsFile:
    """One input's error rows, streamed into one Parquet object published whole at close.

    Memory is the compressed file plus one row group, not the rows. ``keep_empty`` writes a
    schema-carrying file even without rows (one per batch, so that ``errors/`` can always be
    read back, as Spark's own writer does for an empty write).
    """

    def __init__(self, uri: str, storage: st.StorageConfig, compression: str,
                 keep_empty: bool = False):
        self.uri, self.storage, self.keep_empty = uri, storage, keep_empty
        self.rows = 0
        self._pending: list[dict] = []
        self._sink = pa.BufferOutputStream()
        self._writer = pq.ParquetWriter(self._sink, ERROR_FILE_SCHEMA, compression=compression)

    def add(self, row: dict) -> None:
        self._pending.append(row)
        self.rows += 1
        if len(self._pending) >= ERROR_ROWS_PER_ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._writer.write_table(pa.Table.from_pylist(self._pending, ERROR_FILE_SCHEMA))
            self._pending = []

    def close(self) -> int:
        """Publish the file (or remove a stale one when there is nothing to publish); rows."""
        self._flush()
        self._writer.close()
        if self.rows or self.keep_empty:
            st.write_bytes(self.uri, self._sink.getvalue().to_pybytes(), self.storage)
        else:
            st.delete(self.uri, self.storage)
        return self.rows


def read_summaries(uris: dict[str, str], storage: st.StorageConfig,
                   threads: int = SUMMARY_READ_THREADS) -> list[dict]:
    """``{source_file: summary uri}`` -> the summaries, in the order given, read concurrently.

    A missing summary after the batch's Spark job succeeded is a bug: it raises, naming the input.
    """

    def read(item: tuple[str, str]) -> dict:
        source_file, uri = item
        try:
            return json.loads(st.read_bytes(uri, storage))
        except Exception as err:  # missing (a bug once the job succeeded) or unreadable
            raise RuntimeError(f"extract: no summary for {source_file} could be read ({uri}): "
                               f"{type(err).__name__}: {err}") from err

    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(uris))),
                            thread_name_prefix="extract-summaries") as pool:
        return list(pool.map(read, uris.items()))
