"""What each pipeline stage wrote, as comparable digests: document ids and kept sets.

A digest per output set (``extract/docs``, ``filter/kept``, ``filter/rejected`` with reasons,
``dedup/kept``, ``dedup/duplicates`` with survivors, ``quality/kept`` and each bucket): rows,
distinct keys and a SHA-256 of the sorted keys. Two runs agree on a set when the digests are
equal. Every Parquet file under the set is read, uncommitted or not (only ``_``/``.`` names are
skipped, as Spark's own writers name their temporary files): a file left by a killed task
attempt shows up as extra rows, which is what a naive reader of the output would see.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

#: set name -> (folder under the stage output, key columns); ``*`` matches dedup's tag folder.
SETS = {
    "extract": {"docs": ("docs", ("doc_id",))},
    "filter": {"kept": ("kept", ("doc_id",)), "rejected": ("rejected", ("doc_id", "reason"))},
    "dedup": {"kept": ("*/kept", ("doc_id",)),
              "duplicates": ("*/duplicates", ("doc_id", "survivor_id"))},
    "quality": {"kept": ("kept", ("doc_id",)), "head": ("buckets/head", ("doc_id",)),
                "middle": ("buckets/middle", ("doc_id",)), "tail": ("buckets/tail", ("doc_id",))},
}


def parquet_files(folder: Path) -> list[Path]:
    """Parquet files under ``folder``, none below a ``_`` or ``.`` name."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*.parquet")
                  if not any(part.startswith(("_", ".")) for part in p.relative_to(folder).parts))


def _folder(stage_dir: Path, pattern: str) -> Path | None:
    if not pattern.startswith("*/"):
        return stage_dir / pattern
    tags = sorted(p for p in stage_dir.iterdir() if p.is_dir() and not p.name.startswith("_"))
    return tags[0] / pattern[2:] if len(tags) == 1 else None


def keys_of(files: list[Path], columns: tuple[str, ...]) -> list[str]:
    """Each row's key columns joined by a tab; a ``filter=<name>`` partition folder supplies
    a missing ``reason``-like column's value from the path."""
    import pyarrow.parquet as pq

    keys = []
    for path in files:
        schema = pq.read_schema(path)
        present = [c for c in columns if c in schema.names]
        table = pq.read_table(path, columns=present).to_pydict()
        partition = "/".join(p for p in path.parent.parts if "=" in p)
        for i in range(len(table[present[0]]) if present else 0):
            values = [str(table[c][i]) if c in table else partition for c in columns]
            keys.append("\t".join(values))
    return keys


def digest(keys: list[str]) -> dict:
    ordered = sorted(keys)
    sha = hashlib.sha256("\n".join(ordered).encode()).hexdigest()[:16]
    return {"rows": len(ordered), "distinct": len(set(ordered)), "sha": sha}


def stage_digests(output: Path, stages: list[str]) -> dict[str, dict[str, dict]]:
    """``{stage: {set: digest}}`` for a pipeline output; a missing set has ``rows: None``."""
    result = {}
    for stage in stages:
        result[stage] = {}
        for name, (pattern, columns) in SETS[stage].items():
            stage_dir = output / stage
            folder = _folder(stage_dir, pattern) if stage_dir.is_dir() else None
            files = parquet_files(folder) if folder else []
            if not files:
                result[stage][name] = {"rows": None, "distinct": None, "sha": None}
                continue
            result[stage][name] = digest(keys_of(files, columns))
    return result


def differences(a: dict, b: dict) -> list[str]:
    """``stage/set`` names whose digests differ (a set missing on both sides agrees)."""
    return [f"{stage}/{name}" for stage in a for name in a[stage]
            if a[stage][name] != b.get(stage, {}).get(name)]
