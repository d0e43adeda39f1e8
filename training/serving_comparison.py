"""A run against the model serving its artist now, on the figures a promoter weighs, and a
recommendation with its reasons. Pure functions of stored runs (RunRecord-like objects with
mean_auc, std_auc and metrics_detail), so the rules can be tested on figures built for them.

The recommendation says only what these figures show: "do not promote" names each reason
(a concern, a lower AUC beyond the fold spread, fewer works decided); "promote" says that no
such reason was found, not that the model is good.
"""
from __future__ import annotations

from training import concerns as concerns_module
from training import figures, run_review

PROMOTE, DO_NOT_PROMOTE = "Recommend: promote", "Recommend: do not promote"


def _detail(run) -> dict:
    return run.metrics_detail.as_dict() if getattr(run, "metrics_detail", None) else {}


def _count(measured: dict | None) -> dict | None:
    if not measured or not measured.get("of"):
        return None
    count, of = int(measured["count"]), int(measured["of"])
    return {"count": count, "of": of, "rate": count / of, "text": run_review.count_of(measured)}


def run_figures(run, *, auc_floor: float | None = None) -> dict:
    """The figures compared, each as a number (for the rules) and text (for the page)."""
    detail = _detail(run)
    run_policy = detail.get("policy") or {}
    rates = run_policy.get("rates") or {}
    mean, std = run.mean_auc, run.std_auc
    audit = detail.get("capture_audit") or {}
    return {
        "mean_auc": None if mean is None else float(mean),
        "std_auc": None if std is None else float(std),
        "auc_text": figures.mean_std_text(mean, std),
        "sides": {key: _count(rates.get(key)) if run_policy.get(threshold) is not None else None
                  for key, threshold, *_ in concerns_module.SIDES},
        "decided": _count(rates.get("decided")),
        "by_kind": {kind: _count(row) for kind, row in (rates.get("by_kind") or {}).items()},
        "capture_auc": audit.get("auc"),
        "concerns": concerns_module.promotion_concerns(detail, mean_auc=mean, auc_floor=auc_floor),
    }


def _text(value: dict | None, never: str = "never given") -> str:
    return value["text"] if value else never


def rows(candidate: dict, serving: dict | None) -> list[dict]:
    """[{"figure", "run", "serving"}]: the table of the comparison (serving "–" when none)."""
    other = serving or {}

    def side(figs: dict, key: str) -> str:
        return _text((figs.get("sides") or {}).get(key)) if figs else "–"

    out = [{"figure": "AUC (mean ± std over folds)", "run": candidate["auc_text"], "serving": other.get("auc_text", "–")}]
    for key, _, erring, verdict in concerns_module.SIDES:
        out.append({"figure": f"{erring.capitalize()} called {verdict} (out-of-fold)", "run": side(candidate, key), "serving": side(other, key)})
    out.append({"figure": "Works decided", "run": _text(candidate["decided"], "–"), "serving": _text(other.get("decided"), "–") if other else "–"})
    for kind in sorted(set(candidate["by_kind"]) | set(other.get("by_kind") or {})):
        out.append({"figure": f"Of {concerns_module.kind_words(kind)}, called likely authentic",
                    "run": _text(candidate["by_kind"].get(kind), "–"),
                    "serving": _text((other.get("by_kind") or {}).get(kind), "–") if other else "–"})
    out.append({"figure": "Capture audit AUC (capture statistics alone)",
                "run": _auc(candidate["capture_auc"]), "serving": _auc(other.get("capture_auc")) if other else "–"})
    out.append({"figure": "Concerns", "run": str(len(candidate["concerns"])), "serving": str(len(other["concerns"])) if other else "–"})
    return out


def _auc(value) -> str:
    return figures.metric_text(value, missing="not measured")


def recommendation(candidate: dict, serving: dict | None) -> dict:
    """{"promote": bool, "headline": "Recommend: …", "reasons": [sentences]}."""
    against = []
    if candidate["concerns"]:
        n = len(candidate["concerns"])
        against.append(f"It raises {n} concern{'s' if n != 1 else ''}, listed above.")
    if serving:
        spread = max(serving["std_auc"] or 0.0, candidate["std_auc"] or 0.0)
        if candidate["mean_auc"] is not None and serving["mean_auc"] is not None and candidate["mean_auc"] < serving["mean_auc"] - spread:
            against.append(f"Its AUC, {candidate['auc_text']}, is lower than the serving model's, {serving['auc_text']}, "
                           f"by more than the fold spread ({figures.metric_text(spread)}).")
        mine, theirs = candidate["decided"], serving["decided"]
        if mine and theirs and mine["rate"] < theirs["rate"]:
            against.append(f"It decides fewer works: {mine['text']}, against {theirs['text']} for the serving model.")
    if against:
        return {"promote": False, "headline": DO_NOT_PROMOTE, "reasons": against}
    reasons = ["It raises no concerns."]
    if serving:
        reasons.append("Its AUC is not below the serving model's by more than the fold spread, and it decides at least as large a share of works.")
    else:
        reasons.append("No model serves this artist now.")
    return {"promote": True, "headline": PROMOTE, "reasons": reasons}


def compare(run, serving_entry: dict | None, serving_run, *, auc_floor: float | None = None) -> dict:
    """The run page's comparison: `serving_entry` is the artist's serving entry (or None),
    `serving_run` its run when it could be read."""
    candidate = run_figures(run, auc_floor=auc_floor)
    if serving_entry and serving_entry.get("run_id") == run.run_id:
        return {"is_serving": True, "rows": rows(candidate, None), "candidate": candidate}
    other = run_figures(serving_run, auc_floor=auc_floor) if serving_run is not None else None
    note = ""
    if serving_entry and serving_run is None:
        note = f"The serving model {serving_entry.get('model_version')} has no readable run; its figures cannot be compared."
    return {
        "is_serving": False,
        "serving_entry": serving_entry,
        "serving_run": serving_run,
        "note": note,
        "rows": rows(candidate, other),
        "candidate": candidate,
        **recommendation(candidate, other),
    }
