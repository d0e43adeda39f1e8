"""ROC curve and reliability diagram of a run's out-of-fold predictions, as PNG bytes
(matplotlib Agg: no display needed). The reliability diagram draws the raw scores and the
calibrated ones in one plot, so the calibration's effect is read off one picture."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return buffer.getvalue()


def roc_png(points: list, auc: float | None) -> bytes:
    figure = Figure(figsize=(4.2, 4.0))
    ax = figure.subplots()
    ax.plot([p[0] for p in points], [p[1] for p in points], color="#1f5fa8", lw=2, label=f"out-of-fold AUC {auc:.3f}" if auc is not None else "out-of-fold")
    ax.plot([0, 1], [0, 1], color="#999", ls="--", lw=1)
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="false positive rate (authentic flagged)", ylabel="true positive rate (forged caught)", title="ROC, image level")
    ax.legend(loc="lower right", fontsize=8)
    return _png(figure)


def _reliability(ax, calibration: dict, *, label: str, color: str, marker: str) -> None:
    bins = calibration.get("bins", [])
    ece = calibration.get("ece")
    ax.plot([b["mean_probability"] for b in bins], [b["forged_share"] for b in bins], marker=marker, color=color,
            label=f"{label} (ECE {ece:.3f})" if ece is not None else label)
    for b in bins:
        ax.annotate(str(b["n"]), (b["mean_probability"], b["forged_share"]), fontsize=7, color=color, xytext=(3, -9), textcoords="offset points")


def calibration_png(calibration: dict, *, before: dict | None = None) -> bytes:
    """`calibration`: the curve after calibration (cross-fitted); `before`: the raw scores' curve,
    drawn too when given (runs from before calibration have only the one, raw, curve)."""
    figure = Figure(figsize=(4.2, 4.0))
    ax = figure.subplots()
    ax.plot([0, 1], [0, 1], color="#999", ls="--", lw=1, label="perfectly calibrated")
    if before is not None:
        _reliability(ax, before, label="before calibration", color="#8a8a8a", marker="s")
        _reliability(ax, calibration, label="after (cross-fitted)", color="#b5462f", marker="o")
    else:
        _reliability(ax, calibration, label="model", color="#b5462f", marker="o")
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="predicted forgery probability", ylabel="observed share forged", title="Reliability")
    ax.legend(loc="upper left", fontsize=8)
    return _png(figure)
