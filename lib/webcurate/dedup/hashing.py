"""Integer mixing and string hashing shared by shingling, MinHash and band keys.

``fmix32`` / ``fmix64`` are MurmurHash3's finalisers (Appleby, smhasher): fixed bijections on
32 / 64-bit integers with full avalanche, applied element-wise to numpy arrays, whose unsigned
multiplication wraps modulo 2^w as the finaliser intends. datasketch 2.x's ``affine32`` scheme
pre-mixes its input hashes with the same 32-bit finaliser, which is what makes our signatures
comparable with its ``MinHash`` (tests/dedup/test_minhash.py).

Words are hashed by :func:`bytes_hash64` (8-byte lanes chained through ``fmix64``), vectorised
over a batch's distinct words and stable across processes and machines, unlike Python's salted
``hash()``. Exact-duplicate and line keys are 16-byte BLAKE2b digests (RFC 7693, ``hashlib``).
"""

from __future__ import annotations

import hashlib

import numpy as np

_M32_1, _M32_2 = np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35)
_M64_1, _M64_2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)
_S16, _S13, _S33 = np.uint32(16), np.uint32(13), np.uint64(33)

#: Odd 64-bit multiplier (2^64 / golden ratio) used to chain words and band values.
GOLDEN64 = np.uint64(0x9E3779B97F4A7C15)


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3 ``fmix32`` over a uint32 array (returns a new array)."""
    h = h ^ (h >> _S16)
    h = h * _M32_1
    h ^= h >> _S13
    h *= _M32_2
    h ^= h >> _S16
    return h


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3 ``fmix64`` over a uint64 array (returns a new array)."""
    h = h ^ (h >> _S33)
    h = h * _M64_1
    h ^= h >> _S33
    h *= _M64_2
    h ^= h >> _S33
    return h


def chain64(state: np.ndarray, value: np.ndarray) -> np.ndarray:
    """One step of an order-sensitive combination: ``fmix64(state * GOLDEN64 + value)``."""
    return fmix64(state * GOLDEN64 + value)


def bytes_hash64(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """64-bit hash of every byte string ``data[offsets[i]:offsets[i + 1]]``, vectorised.

    The string is read as little-endian 8-byte lanes (the last one zero-padded) and hashed as
    ``h = fmix64(len); h = chain64(h, lane)`` for each lane, then ``fmix64``: one numpy pass per
    lane over the strings that are that long, so a batch's vocabulary hashes in microseconds.
    :func:`bytes_hash64_one` is the same function for one string.
    """
    lengths = np.diff(offsets).astype(np.int64)
    state = fmix64(lengths.astype(np.uint64))
    if len(lengths) == 0:
        return state
    lanes = (lengths + 7) // 8
    padded = np.concatenate([data, np.zeros(8, dtype=np.uint8)])
    byte_index = np.arange(8, dtype=np.int64)
    for lane in range(int(lanes.max())):
        active = np.flatnonzero(lanes > lane)
        starts = offsets[:-1][active].astype(np.int64) + 8 * lane
        window = padded[starts[:, None] + byte_index[None, :]]
        window[byte_index[None, :] >= (lengths[active] - 8 * lane)[:, None]] = 0
        state[active] = chain64(state[active], window.view("<u8")[:, 0].astype(np.uint64))
    return fmix64(state)


def bytes_hash64_one(data: bytes) -> int:
    """:func:`bytes_hash64` of one byte string, written as a loop (reference for tests)."""
    state = fmix64(np.array([len(data)], dtype=np.uint64))
    for start in range(0, len(data), 8):
        lane = int.from_bytes(data[start:start + 8].ljust(8, b"\0"), "little")
        state = chain64(state, np.array([lane], dtype=np.uint64))
    return int(fmix64(state)[0])


def string_hashes64(strings) -> np.ndarray:
    """:func:`bytes_hash64` of the UTF-8 of every string of an Arrow string array."""
    import pyarrow as pa

    strings = strings.cast(pa.large_string())
    if len(strings) == 0:
        return np.zeros(0, dtype=np.uint64)
    if strings.null_count:
        raise ValueError("string_hashes64 takes no nulls")
    _, offsets_buffer, data_buffer = strings.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[strings.offset:
                                                            strings.offset + len(strings) + 1]
    data = (np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None
            else np.zeros(0, dtype=np.uint8))
    return bytes_hash64(data[offsets[0]:offsets[-1]], offsets - offsets[0])


def digest128(data: bytes) -> bytes:
    """16-byte BLAKE2b digest: exact-duplicate and line keys (collision-free at web scale)."""
    return hashlib.blake2b(data, digest_size=16).digest()


def sha1_hash32(data: bytes) -> int:
    """The first 4 bytes of SHA-1, little-endian: datasketch's default ``hashfunc``."""
    return int.from_bytes(hashlib.sha1(data).digest()[:4], "little")
