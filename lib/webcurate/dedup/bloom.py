"""A Bloom filter of 64-bit node ids (``xxhash64(doc_id)``) in numpy, laid out in segments.

Used by :mod:`.removal` to tell, inside a task, whether a document may be among the removed ones
without moving the document. A Bloom filter answers "no" exactly and "maybe" with a small false
positive rate; :mod:`.removal` turns every "maybe" into an exact answer.

- **Sizing**: ``BITS_PER_ID`` = 12 bits per id and ``HASHES`` = 8 probes give a false positive
  rate of ~0.3% (``(1 - e^(-k/b))^k``); 1.5 bytes per removed document.
- **Segments**: the bits are cut into segments of at most ``SEGMENT_BITS``; an id's probes all
  fall in segment ``node mod segments`` (Spark's ``pmod``, so Spark can route ids to the task
  that builds their segment). Each segment is built by one task; no task holds the whole
  filter, and segments of ~10^6 ids keep the false positive rate of one flat filter.
- **Probes**: double hashing ``a + i * b`` of two splitmix64 mixes of the node (the node is
  already a hash, the mixes make the probes independent of the segment choice). Fixed
  constants: the same ids always give the same bits, on any machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

BITS_PER_ID = 12
HASHES = 8
SEGMENT_BITS = 1 << 23  # 1 MiB of bits: ~700,000 ids per segment
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_SALT = np.uint64(0xD6E8FEB86659FD93)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser on uint64 (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        x = x + _GOLDEN
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


@dataclass(frozen=True)
class BloomShape:
    """How many segments of how many bits, and probes per id."""

    segments: int
    segment_bits: int  # a multiple of 64
    hashes: int = HASHES

    @classmethod
    def for_ids(cls, ids: int, bits_per_id: int = BITS_PER_ID,
                min_segments: int = 1) -> BloomShape:
        """``min_segments``: at least this many (one per core), so that building the filter
        is never one task over every removed id."""
        total = max(64, ids * bits_per_id)
        segments = max(1, min_segments, math.ceil(total / SEGMENT_BITS))
        return cls(segments, math.ceil(total / segments / 64) * 64)

    @property
    def words_per_segment(self) -> int:
        return self.segment_bits // 64

    def segment_of(self, nodes: np.ndarray) -> np.ndarray:
        """``pmod(node, segments)``, as Spark computes it."""
        return np.mod(np.asarray(nodes, dtype=np.int64), self.segments)

    def probes(self, nodes: np.ndarray) -> np.ndarray:
        """``(len(nodes), hashes)`` bit positions inside each node's segment."""
        raw = np.asarray(nodes, dtype=np.int64).view(np.uint64)
        a = _splitmix64(raw)
        b = _splitmix64(raw ^ _SALT) | np.uint64(1)
        steps = np.arange(self.hashes, dtype=np.uint64)
        with np.errstate(over="ignore"):
            mixed = a[:, None] + steps[None, :] * b[:, None]
        return (mixed % np.uint64(self.segment_bits)).astype(np.int64)


def segment_words(shape: BloomShape, nodes: np.ndarray) -> np.ndarray:
    """The bits (uint64 words) of one segment holding ``nodes`` (all of that segment)."""
    words = np.zeros(shape.words_per_segment, dtype=np.uint64)
    positions = shape.probes(nodes).ravel()
    np.bitwise_or.at(words, positions >> 6, np.left_shift(np.uint64(1),
                                                          (positions & 63).astype(np.uint64)))
    return words


class NodeBloom:
    """The whole filter: ``shape`` and its segments' words end to end."""

    def __init__(self, shape: BloomShape, words: np.ndarray):
        if len(words) != shape.segments * shape.words_per_segment:
            raise ValueError(f"{len(words)} words do not fit {shape}")
        self.shape, self.words = shape, words

    @classmethod
    def from_segments(cls, shape: BloomShape, segments: dict[int, bytes]) -> NodeBloom:
        """Assemble from ``{segment: words as bytes}``; a segment without ids may be missing."""
        words = np.zeros(shape.segments * shape.words_per_segment, dtype=np.uint64)
        for index, data in segments.items():
            start = index * shape.words_per_segment
            words[start:start + shape.words_per_segment] = np.frombuffer(data, dtype=np.uint64)
        return cls(shape, words)

    @classmethod
    def of(cls, nodes, bits_per_id: int = BITS_PER_ID) -> NodeBloom:
        """Built in one process (tests and small sets)."""
        nodes = np.asarray(nodes, dtype=np.int64)
        shape = BloomShape.for_ids(len(nodes), bits_per_id)
        segment = shape.segment_of(nodes)
        return cls.from_segments(shape, {int(s): segment_words(shape, nodes[segment == s]).tobytes()
                                         for s in np.unique(segment)})

    def might_contain(self, nodes) -> np.ndarray:
        """False: certainly not added. True: added, or a false positive (~0.3%)."""
        nodes = np.asarray(nodes, dtype=np.int64)
        if not len(nodes):
            return np.zeros(0, dtype=bool)
        base = self.shape.segment_of(nodes) * self.shape.segment_bits
        positions = self.shape.probes(nodes) + base[:, None]
        bits = (self.words[positions >> 6] >> (positions & 63).astype(np.uint64)) & np.uint64(1)
        return bits.all(axis=1)
