"""Why promoting a run deserves a second thought: plain functions of a run's stored figures
(mean AUC and metrics_detail), shared by services.model_promote (which asks for a reason when
there is a concern) and the run page (which shows the same list, and marks the same rows, before
anyone presses a button).

Each concern is one sentence carrying its own figures, so a promoter can weigh it without
opening the tables: "Fold 2 called 1 of 6 forgeries (16.7%) likely authentic, against a target
of at most 5%." Runs stored before a figure existed simply raise no concern about it (they say
what they lack where that matters: no policy, no calibration).
"""
from __future__ import annotations

from training import figures
from training.ml import policy as policy_module
from training.ml.policy import KIND_WORDS, WIDE_INTERVAL, interval_words, pct, wilson

DEFAULT_AUC_FLOOR = 0.8  # promoting a run below it asks for a reason (staff may set another)
PLATT = "platt"

# (rate key, threshold that gives the verdict, who errs, the verdict they are wrongly given)
SIDES = (
    ("forged_called_authentic", "authentic_below", "forgeries", "likely authentic"),
    ("authentic_called_forged", "forged_above", "authentic works", "likely forged"),
)


def kind_words(kind: str) -> str:
    """"imitation forgeries", "works by other artists", "forgeries without a sublabel"."""
    if kind in KIND_WORDS:
        return KIND_WORDS[kind]
    return "forgeries without a sublabel" if kind in ("", "(none)", "-") else f"{kind} forgeries"


def _rate(measured: dict | None) -> float | None:
    if not measured or not measured.get("of"):
        return None
    return float(measured["count"]) / float(measured["of"])


def _over(rate: float | None, target) -> bool:
    return rate is not None and target is not None and rate > float(target) + 1e-12


def fold_misses(fold: dict, targets: dict) -> list[str]:
    """The rate keys on which this fold missed its target (its row is marked for them)."""
    rates = fold.get("rates") or {}
    return [key for key, *_ in SIDES if _over(_rate(rates.get(key)), targets.get(key))]


def fold_concerns(detail: dict) -> list[str]:
    """Outer folds whose honest check (thresholds chosen on the other folds) missed a target:
    a pooled rate within target can hide one fold that called many forgeries authentic."""
    targets = (detail.get("policy") or {}).get("targets") or {}
    words = {key: (erring, verdict) for key, _, erring, verdict in SIDES}
    out = []
    for fold in detail.get("per_fold") or []:
        for key in fold_misses(fold, targets):
            measured, (erring, verdict) = fold["rates"][key], words[key]
            out.append(f"Fold {fold.get('fold_id')} called {int(measured['count'])} of {int(measured['of'])} {erring} "
                       f"({pct(_rate(measured))}) {verdict}, against a target of at most {pct(float(targets[key]))}.")
    return out


def kind_rates(detail: dict) -> dict:
    """policy.rates.by_kind, or {} when the model never calls a work likely authentic: it then
    cannot call a forgery so, every kind's rate is 0 by construction and its interval says nothing."""
    run_policy = detail.get("policy") or {}
    if run_policy.get("authentic_below") is None:
        return {}
    return (run_policy.get("rates") or {}).get("by_kind") or {}


def _below_floor(row: dict, auc_floor: float) -> list[str]:
    """"AUC 0.700", "accuracy 0.600": a forged sublabel's figures below the floor."""
    if row.get("label") != "forged":
        return []
    return [f"{what} {figures.metric_text(row[key])}" for what, key in (("AUC", "auc"), ("accuracy", "accuracy"))
            if row.get(key) is not None and float(row[key]) < auc_floor]


def sublabel_misses(detail: dict, name: str, row: dict, *, auc_floor: float = DEFAULT_AUC_FLOOR) -> bool:
    """Whether this per-sublabel row is a kind of forgery below the floor or over the target."""
    target = ((detail.get("policy") or {}).get("targets") or {}).get("forged_called_authentic")
    kind = kind_rates(detail).get(name) or {}
    return bool(_below_floor(row, auc_floor)) or (row.get("label") == "forged" and _over(_rate(kind), target))


def kind_concerns(detail: dict, *, auc_floor: float) -> list[str]:
    """Kinds of forgery the pooled figures hide: a called-authentic rate above the target, an
    interval too wide to tell whether the target is met, or an AUC or accuracy below the floor."""
    target = ((detail.get("policy") or {}).get("targets") or {}).get("forged_called_authentic")
    out = []
    for kind, r in sorted(kind_rates(detail).items()) if target is not None else ():
        if not r.get("of"):
            continue
        count, of = int(r["count"]), int(r["of"])
        share = f"{count} of {of} ({pct(count / of)}, {interval_words(count, of)})"
        if _over(count / of, target):
            out.append(f"Of {kind_words(kind)}, {share} were called likely authentic, against a target of at most {pct(float(target))}.")
        elif _interval_width(r) > WIDE_INTERVAL:
            out.append(f"Of {kind_words(kind)}, {share} were called likely authentic: too few to show the "
                       f"{pct(float(target))} target is met (the interval is wider than {pct(WIDE_INTERVAL)}).")
    for name, row in sorted((detail.get("per_sublabel") or {}).items()):
        low = _below_floor(row, auc_floor)
        if low:
            out.append(f"{kind_words(name).capitalize()} ({row.get('n')} works) scored {' and '.join(low)}, below the floor of {auc_floor:.2f}.")
    return out


def _interval_width(r: dict) -> float:
    if r.get("low") is not None and r.get("high") is not None:
        return float(r["high"]) - float(r["low"])
    low, high = wilson(int(r["count"]), int(r["of"]))
    return high - low


def interval_concerns(detail: dict) -> list[str]:
    """A deciding side whose measured error rate has a 95% interval too wide to tell a rate
    within the target from one far above it."""
    run_policy = detail.get("policy") or {}
    targets, rates = run_policy.get("targets") or {}, run_policy.get("rates") or {}
    out = []
    for key, threshold, erring, verdict in SIDES:
        measured = rates.get(key)
        if run_policy.get(threshold) is None or _rate(measured) is None or key not in targets:
            continue
        count, of = int(measured["count"]), int(measured["of"])
        low, high = wilson(count, of)
        if high - low > WIDE_INTERVAL:
            out.append(f"{count} of {of} {erring} ({pct(count / of)}, {interval_words(count, of)}) were called {verdict}: "
                       f"the interval is too wide to show the {pct(float(targets[key]))} target is met.")
    return out


def calibration_concern(detail: dict) -> list[str]:
    calibrator = detail.get("calibrator")
    if not calibrator:
        return ["This run predates calibration: its scores are the model's raw output."] if detail else []
    if calibrator.get("method") == PLATT:
        return []
    reason = calibrator.get("reason") or "its scores are served uncalibrated."
    return [f"Calibration was not applied: {reason[:1].lower() + reason[1:]}"]


def promotion_concerns(detail: dict, *, mean_auc: float | None, auc_floor: float | None = None) -> list[str]:
    """Every concern about promoting a run with these stored figures ([] when none)."""
    floor = DEFAULT_AUC_FLOOR if auc_floor is None else float(auc_floor)
    concerns = []
    run_policy = detail.get("policy")
    if run_policy is None or policy_module.cannot_decide_either(run_policy):
        concerns.append("This model can decide neither side: at its error-rate targets it would call every work INCONCLUSIVE.")
    if mean_auc is None or mean_auc < floor:
        auc = figures.metric_text(mean_auc, missing="unknown")
        concerns.append(f"Its cross-validated AUC ({auc}) is below the floor of {floor:.2f}.")
    concerns += fold_concerns(detail)
    concerns += kind_concerns(detail, auc_floor=floor)
    concerns += interval_concerns(detail)
    concerns += calibration_concern(detail)
    audit = detail.get("capture_audit") or {}
    if audit.get("concern"):
        concerns.append(audit["statement"])
    concerns += list((detail.get("robustness") or {}).get("concerns") or [])
    return concerns
