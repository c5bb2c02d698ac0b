"""What every filter returns: a verdict with its measured signals (annotate, then decide).

A filter measures signals (word count, ratios, fractions) and compares them with thresholds from
its config. It returns both, so the signals can be stored as columns and a threshold re-tuned
later without recomputing them. Reasons are stable snake_case constants with a family prefix
(``gopher_short_doc``, ``c4_curly_bracket``), used verbatim in the ``reason`` column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Signals = dict[str, float | int | None]


@dataclass(frozen=True)
class Verdict:
    """``keep`` and, when not kept, the first failing rule's ``reason``; plus every signal."""

    keep: bool
    reason: str | None = None
    signals: Signals = field(default_factory=dict)

    @staticmethod
    def kept(signals: Signals) -> Verdict:
        return Verdict(True, None, signals)

    @staticmethod
    def rejected(reason: str, signals: Signals) -> Verdict:
        return Verdict(False, reason, signals)

    @staticmethod
    def decided(reason: str | None, signals: Signals) -> Verdict:
        """Kept when no rule failed (``reason`` is None), else rejected for ``reason``."""
        return Verdict(reason is None, reason, signals)
