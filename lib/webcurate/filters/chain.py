"""A chain of registered filters over one document: annotate every signal, then decide.

Like datatrove, the filter job stops at the first filter that rejects; with
``measure_after_reject`` every filter still measures its signals on a rejected document, on the
text as it would have reached it, so that any threshold of any filter can later be re-tuned from
the stored signal columns alone (:func:`redecide`) and give exactly what a fresh run with the new
thresholds gives. (The pure function's own default is to measure everything.)
The first rejecting filter names the document's ``filter`` and ``reason``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webcurate.filters.base import Signals
from webcurate.filters.plugin import Document, Filter


@dataclass(frozen=True)
class ChainStep:
    entry: Filter
    config: Any
    resources: Any = None


@dataclass(frozen=True)
class ChainOutcome:
    """``text``: the text after every editing filter (kept rows carry it); ``filter`` and
    ``reason``: the first rejection, or ``None`` for a kept document."""

    text: str
    filter: str | None
    reason: str | None
    signals: Signals


def run_chain(doc: Document, steps: list[ChainStep],
              measure_after_reject: bool = True) -> ChainOutcome:
    """Measure and decide ``doc`` through ``steps`` in order."""
    signals: Signals = {}
    rejected_by, reason = None, None
    for step in steps:
        if rejected_by is not None and not measure_after_reject:
            break
        new_text, verdict = step.entry.apply(doc, step.config, step.resources)
        signals.update(verdict.signals)
        if rejected_by is None and not verdict.keep:
            rejected_by, reason = step.entry.name, verdict.reason
        if new_text is not None:
            doc.text = new_text
    return ChainOutcome(doc.text, rejected_by, reason, signals)


def redecide(signals: Signals, steps: list[ChainStep]) -> tuple[str | None, str | None]:
    """(filter, reason) of the first step whose decision on stored ``signals`` rejects."""
    for step in steps:
        reason = step.entry.decide(signals, step.config)
        if reason is not None:
            return step.entry.name, reason
    return None, None


def edited_text(doc: Document, steps: list[ChainStep]) -> str:
    """The text after the chain's editing filters only (for a document a re-decision keeps
    that the earlier run rejected: its stored text is the original one)."""
    for step in steps:
        if step.entry.edits_text:
            new_text, _ = step.entry.apply(doc, step.config, step.resources)
            if new_text is not None:
                doc.text = new_text
    return doc.text
