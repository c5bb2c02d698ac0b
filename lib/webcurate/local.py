"""webcurate without Spark: the filter chain, dedup and quality scoring of a small corpus in one
process, with the same decisions as the Spark jobs.

For notebooks, for unit tests of one's own filters (a plugin, see the README), and for
``webcurate filter --sample N``. Every decision comes from the same pure cores the Spark jobs
run on their executors (:mod:`webcurate.filters.chain`, :mod:`webcurate.dedup.signatures`,
:mod:`webcurate.quality.model` and :mod:`webcurate.quality.decide`); only the distributed parts
are replaced by their in-memory equivalents: groups by dict, connected components by union-find.
Tests compare both document by document. Memory grows with the corpus: this is for thousands
of documents, not for a dump.

    from webcurate import local
    docs = local.read_documents("docs.jsonl.gz", limit=1000)
    decisions = local.filter_documents(docs, local.filter_config(recipe="fineweb"))
    result = local.dedup_documents(docs, local.dedup_config(mode="minhash"))
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from webcurate.config import load_config, to_dict
from webcurate.io import storage as st
from webcurate.io.storage import StorageConfig

PLACEHOLDER_PATH = "<local>"  # input / output of a job config used without Spark


# --- documents ------------------------------------------------------------------------------

def read_documents(spec, limit: int | None = None,
                   storage: StorageConfig | None = None) -> list[dict]:
    """Documents of JSONL(.gz/.zst) or Parquet files (file, directory, glob, list; committed
    files only), each a dict with ``doc_id`` first, as the Spark jobs derive it."""
    return list(islice(iter_documents(spec, storage or StorageConfig()), limit))


def iter_documents(spec, storage: StorageConfig) -> Iterator[dict]:
    """Rows of every committed file ``spec`` names; malformed JSON lines are skipped here (the
    job keeps and counts them, and they carry no text to decide on)."""
    from webcurate.documents import document_files, document_format

    for uri in document_files(spec, storage):
        rows = (_parquet_rows(uri, storage) if document_format(uri) == "parquet"
                else _jsonl_rows(uri, storage))
        for position, row in rows:
            if row is not None:
                yield with_doc_id(row, uri, position)


def with_doc_id(row: dict, source_file: str, position: int) -> dict:
    """``row`` with ``doc_id`` first, derived as :func:`webcurate.documents.with_doc_id` does
    in Spark: kept, else from ``id``, else from the file and the row's position in it."""
    from webcurate.schema import _hex_digest

    if row.get("doc_id") is not None:
        doc_id = str(row["doc_id"])
    elif row.get("id") is not None:
        doc_id = _hex_digest("id", _spark_string(row["id"]))
    else:
        doc_id = _hex_digest("row", source_file, str(position))
    if row.get("url") is None and isinstance(row.get("metadata"), dict):
        row = {**row, "url": row["metadata"].get("url")}
    return {"doc_id": doc_id, **{k: v for k, v in row.items() if k != "doc_id"}}


def _spark_string(value) -> str:
    """A JSON value as Spark's ``cast("string")`` spells it (numbers and strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _jsonl_rows(uri: str, storage: StorageConfig) -> Iterator[tuple[int, dict | None]]:
    """``(line number, row)``; a malformed line's row is None."""
    from webcurate.io.jsonl import numbered_lines, parse_line

    for position, line, _ in numbered_lines(uri, storage):
        if line is None or not line.strip():
            continue
        row, mark = parse_line(line)
        yield position, (None if mark else row)


def _parquet_rows(uri: str, storage: StorageConfig) -> Iterator[tuple[int, dict]]:
    import pyarrow.parquet as pq

    position = 0
    with st.open_input(uri, storage) as f:
        for batch in pq.ParquetFile(f).iter_batches():
            for row in batch.to_pylist():
                yield position, row
                position += 1


# --- filter ---------------------------------------------------------------------------------

def filter_config(recipe: str | None = None, overrides: Iterable[str] = (), **keys):
    """A :class:`~webcurate.jobs.filter.FilterJobConfig` from a recipe, ``--set``-style
    overrides (``"settings.gopher_quality.min_doc_words=100"``) and keyword values
    (``filters=["fineweb"]``), checked exactly as the job checks it."""
    from webcurate.jobs.filter import FilterJobConfig

    return _job_config(FilterJobConfig, "filter", recipe, overrides, keys)


@dataclass(frozen=True)
class FilterDecision:
    doc_id: str
    keep: bool
    filter: str | None
    reason: str | None
    text: str  # as kept/ holds it (edited by transforms), or the original text when rejected
    signals: dict = field(default_factory=dict)


def filter_documents(docs: Iterable[dict], config) -> list[FilterDecision]:
    """The filter job's decision for each document, in order (``config``: filter_config)."""
    from webcurate.filters.chain import ChainStep, run_chain
    from webcurate.filters.plugin import Document
    from webcurate.filters.registry import get_filter

    steps = []
    for name in config.filters:
        entry, settings = get_filter(name), getattr(config.settings, name)
        resources = (entry.load_resources(settings, config.storage) if entry.load_resources
                     else None)
        steps.append(ChainStep(entry, settings, resources))
    decisions = []
    for row in docs:
        doc = Document(row.get("text") or "", _url(row), row.get("language"),
                       row.get("language_score"))
        outcome = run_chain(doc, steps, config.measure_after_reject)
        keep = outcome.filter is None
        decisions.append(FilterDecision(row["doc_id"], keep, outcome.filter, outcome.reason,
                                        outcome.text if keep else row.get("text") or "",
                                        outcome.signals))
    return decisions


def _url(row: dict) -> str | None:
    url = row.get("url")
    if url is None and isinstance(row.get("metadata"), dict):
        url = row["metadata"].get("url")
    return url


# --- quality --------------------------------------------------------------------------------

def quality_scores(docs: Iterable[dict], model: str, positive_label: str = "hq",
                   normalization: dict | None = None,
                   storage: StorageConfig | None = None) -> list[float | None]:
    """``quality_score`` of each document as the quality job computes it (None: no text)."""
    import math

    from webcurate.quality.normalize import normalization_from_dict, normalize_for_fasttext
    from webcurate.resources.models import get_quality_model, model_version

    storage = storage or StorageConfig()
    settings = normalization_from_dict(normalization) or _saved_normalization(model, storage)
    scorer = get_quality_model(model, storage, positive_label, model_version(model, storage))
    texts = [row.get("text") for row in docs]
    scores = scorer.positive_probabilities([normalize_for_fasttext(t, settings) for t in texts])
    return [None if math.isnan(s) else float(s) for s in scores]


@dataclass(frozen=True)
class QualityDecision:
    doc_id: str
    score: float | None
    keep: bool
    bucket: str | None = None  # head / middle / tail when buckets are asked for


def quality_decisions(docs: list[dict], scores: list[float | None], config) -> list:
    """The quality job's keep decision (and CCNet bucket) per document, from the pure rules
    of :mod:`webcurate.quality.decide` (``config``: a QualityJobConfig, :func:`quality_config`).
    Percentiles are exact here; the job's ``percentile_approx`` is exact too below its
    ``accuracy`` (10,000 by default), so both agree on corpora of that size."""
    from webcurate.quality import decide

    decision, buckets = config.decision, config.buckets
    keys = [_group_of(row, decision.group_by) for row in docs]
    thresholds = {}
    if decision.mode == "top_percent" and decision.top_percent < 100.0:
        quantile = decide.quantile_for_top_percent(decision.top_percent)
        thresholds = _group_quantiles(scores, keys, [quantile], decision.min_group_docs)
    cutoffs = {}
    if buckets.enabled:
        bucket_keys = [_group_of(row, buckets.group_by) for row in docs]
        cutoffs = _group_quantiles(scores, bucket_keys, [p / 100 for p in buckets.percentiles],
                                   buckets.min_group_docs)
    found = []
    for i, (row, score) in enumerate(zip(docs, scores, strict=True)):
        if decision.mode == "none":
            keep = True
        elif decision.mode == "threshold":
            keep = decide.keeps_absolute(score, decision.min_score)
        elif decision.mode == "pareto":
            keep = decide.pareto_keep(row["doc_id"], score, decision.pareto_alpha, decision.seed)
        else:
            threshold = _for_group(thresholds, keys[i])
            keep = decide.keeps_top(score, threshold[0] if threshold else None)
        bucket = None
        if buckets.enabled:
            low, high = _for_group(cutoffs, bucket_keys[i])
            bucket = decide.bucket_of(score, (low, high))
        found.append(QualityDecision(row["doc_id"], score, keep, bucket))
    return found


def _group_of(row: dict, group_by: str) -> str:
    from urllib.parse import urlsplit

    if group_by == "none":
        return ""
    if group_by == "language":
        return row.get("language") or ""
    url = _url(row) or ""
    host = (urlsplit(url).hostname or "") if "://" in url else ""
    return host.lower().removeprefix("www.")


def _group_quantiles(scores, keys, quantiles: list[float], min_group_docs: int) -> dict:
    """``{group: [quantile values]}`` plus the global ones under ``None``; groups smaller than
    ``min_group_docs`` use the global values, as in the job."""
    from webcurate.quality import decide

    scored = [(k, s) for k, s in zip(keys, scores, strict=True) if s is not None]
    if not scored:
        return {}
    values = {None: [decide.exact_quantile([s for _, s in scored], q) for q in quantiles]}
    by_group: dict[str, list[float]] = {}
    for key, score in scored:
        by_group.setdefault(key, []).append(score)
    for key, group in by_group.items():
        if len(by_group) > 1 and len(group) >= min_group_docs:
            values[key] = [decide.exact_quantile(group, q) for q in quantiles]
    return values


def _for_group(values: dict, key: str):
    return values.get(key, values.get(None))


def quality_config(overrides: Iterable[str] = (), **keys):
    """A :class:`~webcurate.jobs.quality.QualityJobConfig` (needs ``model``)."""
    from webcurate.jobs.quality import QualityJobConfig

    return _job_config(QualityJobConfig, "quality", None, overrides, keys)


def _saved_normalization(model: str, storage: StorageConfig):
    from webcurate.quality.normalize import TextNormalization, normalization_from_dict

    metrics = f"{model}.metrics.json"
    if st.exists(metrics, storage):
        saved = json.loads(st.read_bytes(metrics, storage)).get("normalization")
        return normalization_from_dict(saved) or TextNormalization()
    return TextNormalization()


# --- configs --------------------------------------------------------------------------------

def dedup_config(recipe: str | None = None, overrides: Iterable[str] = (), **keys):
    """A :class:`~webcurate.jobs.dedup.DedupJobConfig`, as :func:`filter_config` builds one."""
    from webcurate.jobs.dedup import DedupJobConfig

    return _job_config(DedupJobConfig, "dedup", recipe, overrides, keys)


def _job_config(cls, job: str, recipe, overrides, keys):
    from webcurate.config import deep_merge
    from webcurate.recipes import recipe_section

    base = dict(recipe_section(recipe, job)) if recipe else {}
    base = deep_merge(base, {"input": [PLACEHOLDER_PATH], "output": PLACEHOLDER_PATH, **keys})
    return load_config(cls, [], list(overrides), base=base)


def dedup_documents(docs: list[dict], config):
    """Dedup's kept set and duplicate rows, as the Spark job decides them (see
    :mod:`webcurate.local_dedup`)."""
    from webcurate.local_dedup import dedup_in_memory

    return dedup_in_memory(docs, config)


def describe(config) -> dict:
    """A job config as plain data (for printing what a local run used)."""
    return to_dict(config)
