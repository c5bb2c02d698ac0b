"""The report's plots as PNG bytes, drawn with matplotlib's object API on the Agg canvas.

``matplotlib.figure.Figure`` renders without pyplot, so no global backend or figure registry is
touched (safe inside a driver that does other work) and nothing needs a display. Each function
takes plain numbers (from :mod:`webcurate.report.stages` or a Spark aggregation) and returns
``(png bytes, width px, height px)``.
"""

from __future__ import annotations

import io
import itertools

DPI = 100
WIDTH_IN = 10.0
BAR_COLOR = "#3b6ea8"
REMOVED_COLOR = "#c0504d"
STAGE_COLORS = ("#3b6ea8", "#d08c2c", "#5a9e4b", "#8a5aa8", "#777777")
THRESHOLD_COLORS = ("#c0504d", "#2c7d7d", "#8a5aa8", "#d08c2c")
MAX_BARS = 30


def _figure(height_in: float, columns: int = 1, width_ratios: list[float] | None = None):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, layout="constrained")
    return figure, figure.subplots(1, columns, squeeze=False, width_ratios=width_ratios)[0]


def _png(figure) -> tuple[bytes, int, int]:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    width, height = (round(v * DPI) for v in figure.get_size_inches())
    return buffer.getvalue(), width, height


def _plain(labels: list) -> list[str]:
    """Labels drawn as written: matplotlib would read ``$...$`` as mathtext."""
    return [str(label).replace("$", r"\$") for label in labels]


def _label_bars(axis, bars, values: list, fmt: str = "{:,}") -> None:
    """The value at the end of each bar; ``None`` (not measured) is drawn as 0 labelled n/a."""
    for bar, value in zip(bars, values, strict=True):
        axis.annotate("n/a" if value is None else fmt.format(value),
                      (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                      xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)


def _horizontal_bars(axis, labels: list[str], values: list, color: str, title: str,
                     xlabel: str, fmt: str = "{:,}") -> None:
    positions = range(len(labels))
    bars = axis.barh(positions, [v or 0 for v in values], color=color)
    axis.set_yticks(list(positions), _plain(labels), fontsize=8)
    axis.invert_yaxis()  # first item on top
    axis.set_title(title, fontsize=10)
    axis.set_xlabel(xlabel, fontsize=9)
    axis.margins(x=0.18)
    _label_bars(axis, bars, values, fmt)


def funnel_plot(rows: list[dict]) -> tuple[bytes, int, int]:
    """Documents (and characters, when measured for two steps or more) after each stage."""
    labels = [row["label"] for row in rows]
    with_chars = sum(row.get("characters") is not None for row in rows) >= 2
    figure, axes = _figure(0.9 + 0.45 * len(rows), 2 if with_chars else 1)
    documents = [row.get("documents") for row in rows]
    _horizontal_bars(axes[0], labels, documents, BAR_COLOR, "documents", "documents")
    if with_chars:
        characters = [None if row.get("characters") is None else row["characters"] / 1e6
                      for row in rows]
        _horizontal_bars(axes[1], labels, characters, "#5a9e4b", "characters (millions)",
                         "million characters", "{:,.3f}")
    return _png(figure)


def removed_plot(by_filter: dict[str, int],
                 by_reason: dict[str, dict[str, int]]) -> tuple[bytes, int, int]:
    """Documents removed per filter (chain order) and per reason (largest first)."""
    reasons = sorted(((f"{name}: {reason}", n) for name, found in by_reason.items()
                      for reason, n in found.items()), key=lambda item: (-item[1], item[0]))
    reasons = reasons[:MAX_BARS]
    figure, axes = _figure(0.8 + 0.28 * max(len(reasons), len(by_filter), 1), 2, [2, 3])
    _horizontal_bars(axes[0], list(by_filter), list(by_filter.values()), REMOVED_COLOR,
                     "removed per filter", "documents")
    _horizontal_bars(axes[1], [r for r, _ in reasons], [n for _, n in reasons], REMOVED_COLOR,
                     "removed per reason" + (f" (top {MAX_BARS})" if len(reasons) == MAX_BARS
                                             else ""), "documents")
    return _png(figure)


def languages_plot(per_stage: dict[str, dict[str, int]], top: int = 15) -> tuple[bytes, int, int]:
    """Documents per language after each stage that knows languages: the ``top`` languages of
    the first stage shown, the rest summed as ``other``."""
    first = next(iter(per_stage.values()))
    ranked = sorted(first.items(), key=lambda item: (-item[1], item[0]))
    shown = [lang for lang, _ in ranked[:top]]
    labels = [lang or "unknown" for lang in shown]
    extra = any(set(counts) - set(shown) for counts in per_stage.values())
    labels += ["other"] if extra else []
    figure, axes = _figure(0.9 + 0.32 * len(labels) * max(1, len(per_stage)) / 2)
    axis = axes[0]
    height = 0.8 / len(per_stage)
    for i, (stage, counts) in enumerate(per_stage.items()):
        values = [counts.get(lang, 0) for lang in shown]
        values += [sum(n for lang, n in counts.items() if lang not in shown)] if extra else []
        positions = [p + i * height for p in range(len(labels))]
        bars = axis.barh(positions, values, height=height, label=_plain([stage])[0],
                         color=STAGE_COLORS[i % len(STAGE_COLORS)])
        _label_bars(axis, bars, values)
    axis.set_yticks([p + 0.4 - height / 2 for p in range(len(labels))], _plain(labels),
                    fontsize=8)
    axis.invert_yaxis()
    axis.set_xlabel("documents", fontsize=9)
    axis.set_title("documents per language", fontsize=10)
    axis.margins(x=0.12)
    axis.legend(fontsize=8, loc="lower right")
    return _png(figure)


def quality_plot(edges: list[float], counts: list[int],
                 thresholds: list[tuple[str, float]]) -> tuple[bytes, int, int]:
    """The quality-score histogram with each threshold the decision used as a vertical line."""
    figure, axes = _figure(3.6)
    axis = axes[0]
    widths = [b - a for a, b in itertools.pairwise(edges)]
    axis.bar(edges[:-1], counts, width=widths, align="edge", color=BAR_COLOR,
             edgecolor="white", linewidth=0.5)
    for i, (name, value) in enumerate(thresholds):
        axis.axvline(value, color=THRESHOLD_COLORS[i % len(THRESHOLD_COLORS)], linestyle="--",
                     linewidth=1.5, label=_plain([f"{name} = {value:.4g}"])[0])
    axis.set_xlim(edges[0], edges[-1])
    axis.set_xlabel("quality_score", fontsize=9)
    axis.set_ylabel("documents", fontsize=9)
    axis.set_title("quality-score histogram", fontsize=10)
    if thresholds:
        axis.legend(fontsize=8)
    return _png(figure)


def dedup_plot(kinds: dict[str, int], sizes: list[tuple[str, int]]) -> tuple[bytes, int, int]:
    """Documents removed per kind of duplicate, and clusters per size (survivor included)."""
    figure, axes = _figure(0.9 + 0.3 * max(len(kinds), len(sizes), 2), 2)
    _horizontal_bars(axes[0], list(kinds), list(kinds.values()), REMOVED_COLOR,
                     "duplicates removed per kind", "documents")
    if sizes:
        _horizontal_bars(axes[1], [s for s, _ in sizes], [n for _, n in sizes], BAR_COLOR,
                         "duplicate clusters per size (documents)", "clusters")
    else:
        axes[1].set_axis_off()
        axes[1].text(0.5, 0.5, "no duplicate clusters", ha="center", va="center")
    return _png(figure)
