"""The PNGs: a sweep's replicates (``DIR/sweep.png``) and two sweeps side by side (``compare --plot``).

matplotlib (``pip install seedbridge[plot]``) is imported here only, and drawn through its Agg canvas
directly: no pyplot, so the backend of a caller's own matplotlib session is left alone. Every position
is a function of the data (no random jitter), so the same sweep draws the same picture.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from seedbridge.errors import MissingDependencyError

if TYPE_CHECKING:
    from seedbridge.sweeps._compare import SweepComparison
    from seedbridge.sweeps._engine import SweepResult

__all__ = ["compare_png", "sweep_png"]

_POINT, _MEAN, _BAND = "#1f77b4", "#d62728", "#d62728"


def _figure(panels: int, width: float) -> tuple[Any, list[Any]]:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingDependencyError("plots need matplotlib; install seedbridge[plot]") from None
    fig = Figure(figsize=(width, 3.0 * panels), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(panels, 1, i + 1) for i in range(panels)]
    return fig, axes


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _fmt(x: float | None) -> str:
    return "undefined" if x is None else f"{x:.4g}"


def sweep_png(result: SweepResult) -> bytes:
    """One panel per metric: each replicate as a point, the mean as a line, its 95% interval as a band."""
    names = list(result.summary)
    fig, axes = _figure(max(1, len(names)), 9.0)
    for ax, name in zip(axes, names, strict=False):
        values = result.values(name)
        s = result.summary[name]
        ax.scatter(list(values), list(values.values()), color=_POINT, zorder=3, label="replicate")
        if s.mean is not None:
            ax.axhline(s.mean, color=_MEAN, label=f"mean {_fmt(s.mean)}")
        if s.ci95 is not None:
            ax.axhspan(s.ci95[0], s.ci95[1], color=_BAND, alpha=0.15,
                       label=f"95% CI [{_fmt(s.ci95[0])}, {_fmt(s.ci95[1])}]")
        ax.set_xlabel("replicate")
        ax.set_ylabel(name)
        ax.set_xticks(range(len(result.replicates)))
        ax.set_title(f"{result.job}: {name} over {s.n} seeds ({result.sweep_id})", fontsize=9)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _png(fig)


def _column(ax: Any, x: float, values: Mapping[int, float], ci: Sequence[float] | None, mean: float | None,
            count: int) -> dict[int, float]:
    """Points of one sweep around ``x`` (spread by replicate index), its mean and interval; index -> x."""
    spread = {i: x - 0.15 + 0.3 * (k + 0.5) / max(1, count) for k, i in enumerate(sorted(values))}
    ax.scatter([spread[i] for i in sorted(values)], [values[i] for i in sorted(values)], color=_POINT, zorder=3)
    if mean is not None:
        lo, hi = (ci[0], ci[1]) if ci is not None else (mean, mean)
        ax.errorbar([x + 0.25], [mean], yerr=[[mean - lo], [hi - mean]], fmt="o", color=_MEAN, capsize=6,
                    label="mean, 95% CI" if x == 0 else None)
    return spread


def compare_png(comparison: SweepComparison) -> bytes:
    """One panel per metric: both sweeps' replicates, means and intervals; pairs joined by lines."""
    fig, axes = _figure(max(1, len(comparison.metrics)), 7.0)
    a, b = comparison.a, comparison.b
    for ax, mc in zip(axes, comparison.metrics, strict=False):
        va, vb = a.values(mc.metric), b.values(mc.metric)
        xa = _column(ax, 0.0, va, mc.a.ci95, mc.a.mean, len(va))
        xb = _column(ax, 1.0, vb, mc.b.ci95, mc.b.mean, len(vb))
        if mc.difference.paired:
            for i in mc.pairs:
                ax.plot([xa[i], xb[i]], [va[i], vb[i]], color="grey", alpha=0.4, linewidth=0.8, zorder=1)
        ax.set_xticks([0, 1], [a.label, b.label])
        ax.set_xlim(-0.5, 1.5)
        ax.set_ylabel(mc.metric)
        d = mc.difference
        ci = f"[{_fmt(d.ci95[0])}, {_fmt(d.ci95[1])}]" if d.ci95 else "undefined"
        ax.legend(fontsize=8, loc="best")
        ax.set_title(f"{mc.metric}: A - B = {_fmt(d.estimate)}, 95% CI {ci}\n{d.method}: {d.verdict}", fontsize=9)
    return _png(fig)
