"""Training shards: Megatron-style indexed datasets (a ``.bin`` / ``.idx`` pair per shard).

Why this format: it is what Megatron-LM / Megatron-Core (``IndexedDataset``), NeMo, GPT-NeoX,
OLMo's and many other training stacks read directly (their ``preprocess_data.py`` writes it),
it is memory-mapped (no parsing, random access to any document), and it is trivially simple:
the ``.bin`` is the token ids of every document back to back, the ``.idx`` where each document
starts. Plain ``.npy`` / ``.bin`` token streams (nanoGPT, OLMo's numpy format) lose the document
boundaries unless one keeps the separator; the indexed pair keeps both.

Layout (Megatron-Core ``indexed_dataset.py``, version 1, no sequence modes), little-endian:

``.idx``::

    b"MMIDIDX\\x00\\x00"          9 bytes magic
    version          uint64   = 1
    dtype code       uint8    (1 uint8, 2 int8, 3 int16, 4 int32, 5 int64, 6 float64,
                               7 float32, 8 uint16)
    sequence count   uint64   S
    document count   uint64   D = S + 1 (document indices, a leading 0 included)
    sequence lengths int32[S] tokens per sequence (here one sequence per document)
    sequence pointers int64[S] byte offset of each sequence in .bin
    document indices int64[D] 0, 1, ..., S (sequence index where each document ends)

``.bin``: the token ids of each sequence in the dtype, concatenated.

Each document is one sequence: its token ids followed by the end-of-document separator (when
the tokenizer has one or one is configured), as Megatron's ``preprocess_data.py --append-eod``
writes it. The dtype is uint16 when the vocabulary has fewer than 65,500 ids, else int32
(Megatron's ``DType.optimal_dtype``). Next to each pair, ``<shard>.ids`` lists the documents'
``doc_id`` one per line, in shard order (provenance; training stacks ignore it).

:class:`ShardWriter` streams documents to local files (a Spark task writes its shard in its own
scratch space, then uploads it); :class:`IndexedShard` is the pure-Python (numpy) reader.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator, Sequence

import numpy as np

INDEX_MAGIC = b"MMIDIDX\x00\x00"
INDEX_VERSION = 1
DTYPE_CODES = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64, 6: np.float64,
               7: np.float32, 8: np.uint16}
_CODE_OF = {np.dtype(v).name: k for k, v in DTYPE_CODES.items()}
SUFFIXES = (".bin", ".idx", ".ids")


def dtype_for_vocab(vocab_size: int | None):
    """uint16 below 65,500 ids, else int32 (as Megatron chooses)."""
    return np.uint16 if vocab_size is not None and vocab_size < 65500 else np.int32


class ShardWriter:
    """Writes one ``<prefix>.bin`` / ``.idx`` / ``.ids`` shard, one document at a time."""

    def __init__(self, prefix: str, vocab_size: int | None, eos_id: int | None = None):
        self.prefix = prefix
        self.dtype = np.dtype(dtype_for_vocab(vocab_size))
        self.eos_id = eos_id
        self.lengths: list[int] = []
        self.tokens = 0
        os.makedirs(os.path.dirname(prefix) or ".", exist_ok=True)
        self._bin = open(prefix + ".bin", "wb")
        self._ids = open(prefix + ".ids", "w", encoding="utf-8", newline="\n")

    def add(self, doc_id: str, token_ids: Sequence[int]) -> None:
        ids = np.asarray(token_ids, dtype=np.int64)
        if self.eos_id is not None:
            ids = np.append(ids, self.eos_id)
        if ids.size and (ids.min() < 0 or ids.max() > np.iinfo(self.dtype).max):
            raise ValueError(f"token id out of range for {self.dtype.name} in {doc_id}")
        self._bin.write(ids.astype(self.dtype).tobytes(order="C"))
        self._ids.write(doc_id.replace("\n", " ") + "\n")
        self.lengths.append(int(ids.size))
        self.tokens += int(ids.size)

    def close(self) -> dict:
        """Finish ``.bin`` and write ``.idx``; returns {documents, tokens, bytes}."""
        self._bin.close()
        self._ids.close()
        lengths = np.asarray(self.lengths, dtype=np.int32)
        pointers = np.zeros(len(lengths), dtype=np.int64)
        if len(lengths) > 1:
            np.cumsum(lengths[:-1].astype(np.int64) * self.dtype.itemsize, out=pointers[1:])
        documents = np.arange(len(lengths) + 1, dtype=np.int64)
        with open(self.prefix + ".idx", "wb") as idx:
            idx.write(INDEX_MAGIC)
            idx.write(struct.pack("<Q", INDEX_VERSION))
            idx.write(struct.pack("<B", _CODE_OF[self.dtype.name]))
            idx.write(struct.pack("<Q", len(lengths)))
            idx.write(struct.pack("<Q", len(documents)))
            idx.write(lengths.tobytes(order="C"))
            idx.write(pointers.tobytes(order="C"))
            idx.write(documents.tobytes(order="C"))
        return {"documents": len(self.lengths), "tokens": self.tokens,
                "bytes": self.tokens * self.dtype.itemsize}

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, *exc) -> None:
        if not self._bin.closed:
            self.close()


class ShardFormatError(ValueError):
    pass


class IndexedShard:
    """Reads a ``.bin`` / ``.idx`` pair (and ``.ids`` when present): ``len``, ``shard[i]`` (the
    i-th document's token ids, separator included), ``doc_ids``, iteration."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        with open(prefix + ".idx", "rb") as f:
            head = f.read(9 + 8 + 1 + 8 + 8)
            if len(head) < 34 or head[:9] != INDEX_MAGIC:
                raise ShardFormatError(f"{prefix}.idx: not a Megatron indexed-dataset index")
            version, = struct.unpack("<Q", head[9:17])
            if version != INDEX_VERSION:
                raise ShardFormatError(f"{prefix}.idx: version {version}, expected 1")
            code = head[17]
            if code not in DTYPE_CODES:
                raise ShardFormatError(f"{prefix}.idx: unknown dtype code {code}")
            self.dtype = np.dtype(DTYPE_CODES[code])
            sequences, documents = struct.unpack("<QQ", head[18:34])
            body = f.read()
        need = sequences * 4 + sequences * 8 + documents * 8
        if len(body) < need:
            raise ShardFormatError(f"{prefix}.idx: truncated ({len(body)} of {need} bytes)")
        self.lengths = np.frombuffer(body, dtype=np.int32, count=sequences, offset=0)
        self.pointers = np.frombuffer(body, dtype=np.int64, count=sequences,
                                      offset=sequences * 4)
        self.document_indices = np.frombuffer(body, dtype=np.int64, count=documents,
                                              offset=sequences * 12)
        size = os.path.getsize(prefix + ".bin")
        self._data = np.memmap(prefix + ".bin", dtype=self.dtype, mode="r") if size else \
            np.zeros(0, dtype=self.dtype)
        expected = int(self.lengths.astype(np.int64).sum()) * self.dtype.itemsize
        if size != expected:
            raise ShardFormatError(f"{prefix}.bin: {size} bytes, the index says {expected}")
        ids_path = prefix + ".ids"
        self.doc_ids: list[str] | None = None
        if os.path.exists(ids_path):
            with open(ids_path, encoding="utf-8") as f:
                self.doc_ids = f.read().splitlines()

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, i: int) -> np.ndarray:
        start = int(self.pointers[i]) // self.dtype.itemsize
        return np.asarray(self._data[start:start + int(self.lengths[i])])

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self[i]

    @property
    def tokens(self) -> int:
        return int(self.lengths.astype(np.int64).sum())


def shard_prefixes(directory: str) -> list[str]:
    """Every shard (``*.idx`` with its ``.bin``) in a local directory, sorted."""
    names = sorted(n[:-4] for n in os.listdir(directory) if n.endswith(".idx"))
    return [os.path.join(directory, n) for n in names
            if os.path.exists(os.path.join(directory, n + ".bin"))]


def read_shards(directory: str) -> Iterator[tuple[str | None, np.ndarray]]:
    """(doc_id, token ids with separator) for every document of every shard, in order."""
    for prefix in shard_prefixes(directory):
        shard = IndexedShard(prefix)
        for i, ids in enumerate(shard):
            yield (shard.doc_ids[i] if shard.doc_ids else None), ids
