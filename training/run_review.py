"""What the run and compare pages show of a run's verdict policy, calibration, winning head,
promotion and capture evidence (does it judge the camera?), as display-ready values. Reads only
the stored run (metrics_detail, grid, the artist's serving entry); older runs without a policy, calibration
or capture evidence give None and the pages leave those out (or say what was not measured).

Thresholds are probabilities (3 decimals on staff pages); a None threshold means the model
never gives that verdict and shows as "never". Error rates are counts, "k of n (r%)", because
on a few dozen validation works a bare percentage hides how little was measured.
"""
from __future__ import annotations


from training import concerns
from training.ml import capture, cv, robustness, shortcut
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
    """The per-fold table's rows, thresholds as text ("never" for None); `misses` names the
    error rates on which the fold missed the run's target (training.concerns.fold_misses)."""
    targets = (detail.get("policy") or {}).get("targets") or {}
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
            "misses": concerns.fold_misses(fold, targets),
        })
    return rows


def sublabel_rows(detail: dict, *, auc_floor: float = concerns.DEFAULT_AUC_FLOOR) -> list[dict]:
    """The per-sublabel table's rows; a kind of forgery `misses` when its AUC or accuracy is
    below the floor or its called-authentic rate is above the target (the concerns' rules)."""
    by_kind = concerns.kind_rates(detail)
    return [{**row, "name": name, "called_authentic": count_of(by_kind.get(name)),
             "misses": concerns.sublabel_misses(detail, name, row, auc_floor=auc_floor)}
            for name, row in sorted((detail.get("per_sublabel") or {}).items())]


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


# --- Does it judge the camera? (issue 26; docs/training.md "Capture") ------------------------------

CAPTURE_PREDATES = "Not measured: this run was trained before ArtGuard checked whether a model judges the camera."
# What each severity of re-photograph is held to (training.ml.robustness).
TARGETS = {
    "benign": "decided verdicts flip on at most {limit} of the works",
    "realistic": "reported; no target",
    "harsh": "no more decided errors than as taken (verdicts may turn INCONCLUSIVE)",
}
# Envelope limits in words: a "low" limit is the least a validated photograph had, "high" the most.
_ENVELOPE_VALUE = {
    "jpeg_quality": lambda v: f"JPEG quality {v:.0f}",
    "focus": lambda v: f"focus {v:.2g}",
    "fine_detail": lambda v: f"fine detail {v:.2g}",
    "long_side": lambda v: f"{v:.0f} px on the long side",
    "blockiness": lambda v: f"JPEG blockiness {v:.2f}",
}


def capture_audit_review(detail: dict) -> dict | None:
    """The shortcut audit (training.ml.shortcut.audit) for the page; None for older runs."""
    audit = detail.get("capture_audit")
    if not audit:
        return None
    per_statistic = audit.get("per_statistic") or {}
    statistics = [{
        "name": name,
        "words": shortcut.STATISTIC_WORDS.get(name, name.replace("_", " ")),
        "auc": row.get("auc"),
        "authentic_median": shortcut.value_words(name, row.get("authentic_median"), missing="–"),
        "forged_median": shortcut.value_words(name, row.get("forged_median"), missing="–"),
        "higher_in": row.get("higher_in") or "",
        "strongest": name == audit.get("strongest"),
    } for name, row in sorted(per_statistic.items(), key=lambda item: -(item[1].get("auc") or 0))]
    return {
        "measured": audit.get("auc") is not None,
        "auc": audit.get("auc"),
        "threshold": audit.get("threshold"),
        "concern": bool(audit.get("concern")),
        "statement": audit.get("statement") or "",
        "images": audit.get("images"),
        "jpeg_files": audit.get("jpeg_files"),
        "statistics": statistics,
    }


def misses_target(change: dict, flip_limit: float = robustness.BENIGN_FLIP_LIMIT) -> bool:
    """Whether a re-photograph misses its severity's target. The stored flag is OR-ed with the
    rule applied to the stored figures, so a change whose figures miss is never shown as fine."""
    severity = change.get("severity")
    works = change.get("works") or 0
    if severity == "benign":
        computed = bool(works) and (change.get("flips") or 0) / works > flip_limit
    elif severity == "harsh":
        computed = (change.get("decided_errors") or 0) > (change.get("decided_errors_as_taken") or 0)
    else:
        computed = False
    return bool(change.get("concern")) or computed


def robustness_review(detail: dict) -> dict | None:
    """Robustness under re-photographs (training.ml.robustness.measure), one row per change,
    every change shown; None for older runs."""
    measured = detail.get("robustness")
    if not measured or not measured.get("changes"):
        return None
    limit = float(measured.get("benign_flip_limit") or robustness.BENIGN_FLIP_LIMIT)
    rows = []
    for change in measured["changes"]:
        works = int(change.get("works") or measured.get("works") or 0)
        inconclusive = change.get("inconclusive")
        rows.append({
            "name": change.get("name"),
            "words": change.get("words") or change.get("name"),
            "severity": change.get("severity") or "",
            "target": TARGETS.get(change.get("severity"), "").format(limit=pct(limit)),
            "auc": change.get("auc"),
            "auc_drop": change.get("auc_drop"),
            "flips": count_of({"count": change.get("flips") or 0, "of": works}),
            "decided_errors": change.get("decided_errors"),
            "decided_errors_as_taken": change.get("decided_errors_as_taken"),
            "inconclusive": "–" if inconclusive is None else pct(round(float(inconclusive), 3)),
            "outside_envelope": change.get("outside_envelope") or 0,
            "misses_target": misses_target({**change, "works": works}, limit),
        })
    return {
        "works": measured.get("works"),
        "as_taken_auc": measured.get("as_taken_auc"),
        "benign_flip_limit": pct(limit),
        "with_capture_check": bool(measured.get("with_capture_check")),
        "rows": rows,
        "misses": sum(row["misses_target"] for row in rows),
        "concerns": list(measured.get("concerns") or []),
    }


def envelope_words(envelope: dict | None) -> str | None:
    """The capture envelope (training.ml.capture_check.Envelope.as_dict) as one sentence:
    "Validated from JPEG quality 70, focus 0.15, 576 px on the long side; up to JPEG blockiness
    1.30. Widened by: re-saved as JPEG quality 70." None when the run has none."""
    limits = (envelope or {}).get("limits") or {}
    if not limits:
        return None
    lows, highs = [], []
    # A fixed order: DynamoDB hands a map back in any order.
    for name in [*(n for n in _ENVELOPE_VALUE if n in limits), *sorted(set(limits) - set(_ENVELOPE_VALUE))]:
        limit = limits[name]
        show = _ENVELOPE_VALUE.get(name, lambda v, name=name: f"{name.replace('_', ' ')} {v:.3g}")
        if limit.get("low") is not None:
            lows.append(show(float(limit["low"])))
        if limit.get("high") is not None:
            highs.append(show(float(limit["high"])))
    parts = [f"from {', '.join(lows)}"] if lows else []
    parts += [f"up to {', '.join(highs)}"] if highs else []
    text = f"Validated {'; '.join(parts)}"
    if envelope.get("images"):
        text += f" ({envelope['images']} training images)"
    widened = [capture.CHANGES_BY_NAME[name].words if name in capture.CHANGES_BY_NAME else name for name in envelope.get("widened_by") or []]
    if not widened:
        return f"{text}. Widened by: none (no re-photograph was measured robust)."
    # Envelope.regions: the widest limits above hold only one change at a time
    each = " (each on its own: a photograph must match the training photographs or one of these on every statistic)" if envelope.get("regions") else ""
    return f"{text}. Widened by: {', '.join(widened)}{each}."


def augmentation_words(augmentation: dict | None) -> str:
    if not augmentation or not augmentation.get("copies"):
        return "No re-photographed copies: the head learned from the photographs as uploaded."
    version = f" (recipe {augmentation['version']})" if augmentation.get("version") else ""
    return f"{int(augmentation['copies'])} re-photographed copies of every training image{version}, so the head learns that capture is not evidence."


def capture_review(detail: dict) -> dict:
    """The run page's "Does it judge the camera?" section; `measured` False for older runs."""
    audit, robust = capture_audit_review(detail), robustness_review(detail)
    return {
        "measured": bool(audit or robust),
        "predates": CAPTURE_PREDATES,
        "audit": audit,
        "robustness": robust,
        "envelope": envelope_words(detail.get("capture_envelope")),
        "augmentation": augmentation_words(detail.get("augmentation")),
    }


# --- Configurations and timings in words (no raw dicts on the pages) ------------------------------

# Each setting as a phrase; keys not listed here are internal (grid_index, backbone, ...).
_CONFIG_WORDS = (
    ("C", lambda v: f"regularisation C {float(v):g}"),
    ("hidden", lambda v: f"{int(v)} hidden units"),
    ("lr", lambda v: f"learning rate {float(v):g}"),
    ("weight_decay", lambda v: f"weight decay {float(v):g}"),
    ("dropout", lambda v: f"dropout {float(v):g}"),
    ("max_epochs", lambda v: f"at most {int(v)} epochs"),
    ("patience", lambda v: f"early stopping after {int(v)} epochs without progress"),
    ("batch_size", lambda v: f"batch size {int(v)}"),
)


def config_words(hyperparameters: dict | None) -> str:
    """A head configuration as words: "MLP: 64 hidden units, learning rate 0.01, …"."""
    config = dict(hyperparameters or {})
    name = head_module.describe(config)
    settings = [phrase(config[key]) for key, phrase in _CONFIG_WORDS
                if config.get(key) is not None and not (key == "hidden" and not config[key])]
    return f"{name}: {', '.join(settings)}" if settings else name


_TIMING_WORDS = {
    "load_and_embed_seconds": "loading and embedding the images",
    "capture_copies_seconds": "re-photographed copies",
    "nested_cv_seconds": "nested cross-validation",
    "capture_evidence_seconds": "capture checks",
    "final_model_seconds": "final model",
    "familiarity_seconds": "familiarity model",
    "reference_index_seconds": "reference passages",
}


def timing_rows(timings: dict | None) -> dict:
    """{"total": "2 min 5 s" or None, "steps": [{"words", "time"}]} from run_execute's timings."""
    timings = dict(timings or {})
    total = timings.pop("total_seconds", None)
    steps = [{"words": _TIMING_WORDS.get(key, key.removesuffix("_seconds").replace("_", " ")), "time": duration_words(value)}
             for key, value in timings.items() if value is not None]
    return {"total": None if total is None else duration_words(total), "steps": steps}


def duration_words(seconds) -> str:
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"
