"""ROC curve and reliability diagram of a run's out-of-fold predictions, as PNG bytes
(matplotlib Agg: no display needed)."""
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


def calibration_png(calibration: dict) -> bytes:
    figure = Figure(figsize=(4.2, 4.0))
    ax = figure.subplots()
    bins = calibration.get("bins", [])
    ax.plot([0, 1], [0, 1], color="#999", ls="--", lw=1, label="perfectly calibrated")
    ax.plot([b["mean_probability"] for b in bins], [b["forged_share"] for b in bins], marker="o", color="#b5462f", label="model")
    for b in bins:
        ax.annotate(str(b["n"]), (b["mean_probability"], b["forged_share"]), fontsize=7, xytext=(3, -9), textcoords="offset points")
    ece = calibration.get("ece")
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="predicted forgery probability", ylabel="observed share forged",
           title=f"Reliability (ECE {ece:.3f})" if ece is not None else "Reliability")
    ax.legend(loc="upper left", fontsize=8)
    return _png(figure)
