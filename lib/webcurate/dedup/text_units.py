"""Lines and paragraphs as dedup units (C4's line dedup, CCNet's paragraph hashes).

C4 (Raffel et al. 2020, TFDS ``c4_utils.dedupe_lines``) keeps each line in one document only;
CCNet (Wenzek et al. 2020, ``cc_net/dedup.py``) hashes each normalised line of WET text (its
"paragraphs") and removes the ones seen before. Here a unit is a line (split after each ``\\n``)
or a paragraph (split after each run of blank lines); it keeps its terminator, so removing
units and joining the rest leaves the other lines byte for byte as they were.

A unit's key is the 16-byte BLAKE2b of its normalised words (:mod:`.normalize`); a unit that
normalises to nothing (a blank line, a line of dashes) has no key and is never removed. With
``key: tfds`` it is the BLAKE2b of the unit stripped and lowercased (Python's ``str.strip`` and
``str.lower``, whitespace inside kept), TFDS ``_emit_url_to_lines``' key up to the digest (MD5
there): equal keys, equal strings, up to collisions; a blank unit again has none.

Removing units keeps the others byte for byte; when the last unit goes, the new last unit loses
its terminator unless the text ended with one, so that removing lines is TFDS's (and CCNet's)
``"\n".join`` of the kept lines: ``"a\nb"`` without ``b`` is ``"a"``, not ``"a\n"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pyarrow as pa

from webcurate.dedup.hashing import digest128
from webcurate.dedup.normalize import split_words
from webcurate.dedup.settings import NormalizeSettings

_PARAGRAPH_END = re.compile(r"\n(?:[ \t\r\f\v]*\n)+")
_TERMINATOR = {"line": re.compile(r"\n\Z"), "paragraph": re.compile(r"\n(?:[ \t\r\f\v]*\n)+\Z")}


def split_units(text: str, unit: str) -> list[str]:
    """The units of ``text`` with their terminators; ``"".join(units) == text``."""
    if not text:
        return []
    if unit == "line":
        parts = text.split("\n")
        return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    if unit == "paragraph":
        return _split_after(text, _PARAGRAPH_END.finditer(text))
    raise ValueError(f"unknown unit {unit!r}")


def _split_after(text: str, matches: Iterable[re.Match]) -> list[str]:
    units, start = [], 0
    for match in matches:
        units.append(text[start:match.end()])
        start = match.end()
    if start < len(text):
        units.append(text[start:])
    return units


def tfds_keys(units: list[str]) -> list[bytes | None]:
    """TFDS's line keys: each unit stripped and lowercased (None when nothing is left)."""
    keys: list[bytes | None] = []
    for unit in units:
        folded = unit.strip().lower()
        keys.append(digest128(folded.encode("utf-8", "surrogatepass")) if folded else None)
    return keys


def unit_keys(units: list[str], settings: NormalizeSettings,
              key: str = "words") -> list[bytes | None]:
    """The key of every unit (None for units with no words after normalisation)."""
    if key == "tfds":
        return tfds_keys(units)
    words = split_words(pa.array(units, type=pa.large_string()), settings)
    keys: list[bytes | None] = []
    for i in range(len(units)):
        start, stop = words.offsets[i], words.offsets[i + 1]
        keys.append(digest128(words.hashes[start:stop].tobytes()) if stop > start else None)
    return keys


def batch_unit_keys(texts: list[str | None], unit: str, settings: NormalizeSettings,
                    key: str = "words") -> tuple[np.ndarray, np.ndarray, list[bytes]]:
    """``(document index, unit index, key)`` of every keyed unit of a batch of texts."""
    doc_index, unit_index, units = [], [], []
    for i, text in enumerate(texts):
        for j, piece in enumerate(split_units(text or "", unit)):
            doc_index.append(i)
            unit_index.append(j)
            units.append(piece)
    keys = unit_keys(units, settings, key)
    keyed = [k for k, key in enumerate(keys) if key is not None]
    return (np.array(doc_index, dtype=np.int64)[keyed], np.array(unit_index, dtype=np.int32)[keyed],
            [keys[k] for k in keyed])


def remove_units(text: str, unit: str, removed: Iterable[int]) -> str:
    """``text`` without the units whose indices are in ``removed``; with its last unit gone,
    the new end loses its terminator unless ``text`` ended with one."""
    removed = set(removed)
    units = split_units(text, unit)
    new_text = "".join(piece for j, piece in enumerate(units) if j not in removed)
    ends_open = units and (len(units) - 1) in removed and not _TERMINATOR[unit].search(text)
    return _TERMINATOR[unit].sub("", new_text) if ends_open else new_text


def word_count(text: str) -> int:
    """Words as whitespace-separated tokens (the document length re-checked after dedup)."""
    return len(text.split())
