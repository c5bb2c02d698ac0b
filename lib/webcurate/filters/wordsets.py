"""Word sets for the rule families, pure (no storage): a large string set held as 64-bit hashes,
a trie-shaped regex alternation, and the :class:`ListSource` the families read lists through
(lists are read and cached per process by :mod:`webcurate.resources`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

import numpy as np


class ListSource(Protocol):
    """What a rule family reads its lists through (the resource layer implements it over
    storage: :class:`webcurate.resources.lists.StorageLists`; a test may pass a dict)."""

    def lines(self, path: str) -> tuple[str, ...]:
        """Every line of a small list, decoded."""

    def hashed_set(self, path: str) -> HashedSet:
        """The lines of a large list as a :class:`HashedSet`."""


def _not_comment(line: bytes) -> bool:
    return not line.startswith(b"#")


class HashedSet:
    """A large set of strings held as sorted 64-bit hashes: 8 bytes a member instead of ~110.

    Used for the 4.56 M-domain blocklist (36 MB instead of ~500 MB per Python worker). Hashes
    are Python's own ``hash`` of the UTF-8 bytes, valid within the process that built the set
    (the set is built per process and never pickled). A string not in the set is reported as a
    member with probability ``len(self) / 2**64`` (about 2.5e-13 for the UT1 list).
    """

    def __init__(self, hashes: np.ndarray):
        self._hashes = np.sort(hashes)  # duplicates are harmless (np.unique is 20x slower)

    @classmethod
    def from_lines(cls, batches: Iterable[list[bytes]]) -> HashedSet:
        """Members: every line not starting with ``#``, stripped; blank lines are skipped."""
        parts = [np.fromiter(map(hash, filter(None, map(bytes.strip, filter(_not_comment, batch)))),
                             dtype=np.int64) for batch in batches]
        return cls(np.concatenate(parts) if parts else np.empty(0, dtype=np.int64))

    def __contains__(self, item: str) -> bool:
        key = hash(item.encode("utf-8"))
        i = int(np.searchsorted(self._hashes, key))
        return i < len(self._hashes) and int(self._hashes[i]) == key

    def __len__(self) -> int:
        return len(self._hashes)

    def __reduce__(self):
        raise TypeError("HashedSet holds process-local hashes; load it in each process")


def alternation(words: Iterable[str]) -> str:
    """A regex matching exactly ``words`` (escaped), shaped as a trie: ``ass(?:hole)?``.

    Python's ``re`` tries the branches of a flat ``a|b|c`` one by one at every position; a trie
    tries one branch per distinct next character (about 5x faster on the LDNOOBW list). It
    matches the same strings as the flat alternation, preferring the longest word at a position.
    """
    trie: dict = {}
    for word in words:
        if word:
            node = trie
            for char in word:
                node = node.setdefault(char, {})
            node[""] = {}
    return _trie_pattern(trie)


def _trie_pattern(node: dict) -> str:
    branches = [re.escape(char) + _trie_pattern(child)
                for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body
