"""Test oracles: single-process statements of rules the Spark jobs implement, kept out of the
shipped package (issue "One shape": oracles do not live in the write path)."""

from __future__ import annotations

import numpy as np

from webcurate.dedup.minhash import Permutations, signatures
from webcurate.dedup.settings import NormalizeSettings
from webcurate.dedup.text_units import remove_units, split_units, unit_keys


def signature_of(shingle_hashes: np.ndarray, perms: Permutations) -> np.ndarray:
    """The signature of one document (a convenience over :func:`signatures`)."""
    offsets = np.array([0, len(shingle_hashes)], dtype=np.int64)
    return signatures(np.asarray(shingle_hashes), offsets, perms)[0]


def reference_unit_dedup(docs: dict[str, str], unit: str, policy: str,
                         settings: NormalizeSettings) -> dict[str, str]:
    """Single-process statement of the rule, for tests: documents in ``doc_id`` order, units
    in text order; ``keep_first`` keeps a key's first occurrence, ``drop_all`` removes every
    occurrence of a key that occurs more than once."""
    occurrences: dict[bytes, list[tuple[str, int]]] = {}
    for doc_id in sorted(docs):
        for j, key in enumerate(unit_keys(split_units(docs[doc_id], unit), settings)):
            if key is not None:
                occurrences.setdefault(key, []).append((doc_id, j))
    removed: dict[str, set[int]] = {doc_id: set() for doc_id in docs}
    for places in occurrences.values():
        if len(places) > 1:
            for doc_id, j in places[1:] if policy == "keep_first" else places:
                removed[doc_id].add(j)
    return {doc_id: remove_units(text, unit, removed[doc_id]) for doc_id, text in docs.items()}
