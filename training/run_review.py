"""What the run and compare pages show of a run's verdict policy, calibration, winning head and
promotion, as display-ready values. Reads only the stored run (metrics_detail, grid, serving
pointer); older runs without a policy or calibration give None and the pages leave those out.

Thresholds are probabilities (3 decimals on staff pages); a None threshold means the model
never gives that verdict and shows as "never". Error rates are counts, "k of n (r%)", because
on a few dozen validation works a bare percentage hides how little was measured.
"""
from __future__ import annotations

from training.ml import cv
from training.ml import head as head_module
from training.ml.policy import pct

NEVER = "never"
PREDATES = "This run predates calibration: its scores are the model's raw output."
_SIDES = (
    # policy key, threshold key, verdict, who is wrongly called it
    ("forged_called_authentic", "authentic_below", "LIKELY_AUTHENTIC", "forgeries called likely authentic"),
    ("authentic_called_forged", "forged_above", "LIKELY_FORGED", "authentic works called likely forged"),
)


def cut(value) -> str:
    return NEVER if value is None else f"{float(value):.3f}"


def count_of(measured: dict | None) -> str:
    """{"count", "of", "rate"} as "1 of 30 (3%)"; "–" when nothing was measured."""
    if not measured or not measured.get("of"):
        return "–"
    return f"{int(measured['count'])} of {int(measured['of'])} ({pct(measured['count'] / measured['of'])})"


def policy_review(detail: dict) -> dict | None:
    policy = detail.get("policy")
    if not policy:
        return None
    targets, rates, check = policy.get("targets") or {}, policy.get("rates") or {}, detail.get("policy_check") or {}
    sides = []
    for key, threshold_key, verdict, errors in _SIDES:
        sides.append({
            "verdict": verdict,
            "errors": errors,
            "target": pct(targets[key]) if key in targets else "–",
            "threshold": cut(policy.get(threshold_key)),
            "decides": policy.get(threshold_key) is not None,
            "measured": count_of(rates.get(key)),
            "checked": count_of(check.get(key)),
        })
    return {
        "sides": sides,
        "statements": list(policy.get("statements") or []),
        "decided": count_of(rates.get("decided")),
        "checked_decided": count_of(check.get("decided")),
        "n_authentic": policy.get("n_authentic"),
        "n_forged": policy.get("n_forged"),
        "decides_nothing": all(not side["decides"] for side in sides),
    }


def fold_rows(detail: dict) -> list[dict]:
    """The per-fold table's rows, thresholds as text ("never" for None)."""
    rows = []
    for fold in detail.get("per_fold", []):
        thresholds = fold.get("thresholds") or {}
        rates = fold.get("rates") or {}
        rows.append({
            **fold,
            "authentic_cut": cut(thresholds.get("authentic_below")) if thresholds else "–",
            "forged_cut": cut(thresholds.get("forged_above")) if thresholds else "–",
            "forged_called_authentic": count_of(rates.get("forged_called_authentic")),
            "authentic_called_forged": count_of(rates.get("authentic_called_forged")),
            "decided": count_of(rates.get("decided")),
        })
    return rows


def calibration_review(detail: dict) -> dict | None:
    after, before = detail.get("calibration"), detail.get("calibration_before")
    calibrator = detail.get("calibrator")
    if not calibrator:
        if not after:
            return None
        # Runs from before calibration measured only their raw scores.
        return {"platt": False, "a": None, "b": None, "reason": PREDATES, "crossfit_reason": "",
                "ece_before": after.get("ece"), "ece_after": None}
    platt = calibrator.get("method") == "platt"
    return {
        "platt": platt,
        "a": calibrator.get("a"),
        "b": calibrator.get("b"),
        "reason": calibrator.get("reason") or "",
        "crossfit_reason": "" if not platt else calibrator.get("crossfit_reason") or "",
        "ece_before": (before or {}).get("ece"),
        "ece_after": (after or {}).get("ece"),
    }


def reliability_curves(detail: dict) -> tuple[dict, dict | None]:
    """(curve to draw, raw curve to draw beside it or None). An uncalibrated run's two curves
    are the same raw scores, so only one is drawn."""
    calibrated = (detail.get("calibrator") or {}).get("method") == "platt"
    return detail["calibration"], detail.get("calibration_before") if calibrated else None


def head_review(run, detail: dict) -> dict | None:
    """Which kind of head the final model is, and how it fared against the best baseline on inner
    validation (the baseline is served unless another head beats it there, training.ml.cv)."""
    grid = (run.hyperparameter_grid.as_dict() if run.hyperparameter_grid else {}).get("configs", [])
    index = detail.get("final_index")
    if index is None or not 0 <= int(index) < len(grid):
        return None
    final = grid[int(index)]
    kind = final.get("kind") or head_module.TORCH
    mean_val = detail.get("mean_inner_val") or []

    def inner(i: int) -> dict:
        """Mean inner-validation figures of configuration i (runs before AUC selection: loss only)."""
        return {name: (detail.get(key) or [None] * len(mean_val))[i] if i < len(mean_val) else None
                for name, key in (("auc", "mean_inner_auc"), ("patch_auc", "mean_inner_patch_auc"), ("val", "mean_inner_val"))}

    baselines = [i for i, config in enumerate(grid) if head_module.is_baseline(config) and i < len(mean_val)]
    best_baseline = min(baselines, key=lambda i: (cv.selection_score(*inner(i).values()), i)) if baselines else None
    return {
        "kind": kind,
        "description": head_module.describe(final),
        "config": {k: v for k, v in final.items() if k != "kind"},
        "inner": inner(int(index)),
        "baseline_inner": inner(best_baseline) if best_baseline is not None else None,
        "grid_has_baseline": best_baseline is not None,
    }


def promotion_review(run) -> dict | None:
    """Why the run was promoted despite concerns, as recorded on the run when it was promoted."""
    if not run.promotion_reason:
        return None
    concerns = list(run.promotion_concerns or [])
    return {
        "concerns": concerns,
        "concerns_text": " ".join(concerns).rstrip("."),
        "reason": run.promotion_reason,
    }
