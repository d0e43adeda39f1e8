"""Staff pages for training runs. Thin: parse input, call a selector or service, render."""
from __future__ import annotations

from datetime import datetime, timezone

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from artguard.pagination import BadCursor
from training import figures, plots, run_preview, run_review, selectors, serving_comparison, services
from training.forms import PromoteForm, RunStartForm
from training.ml.metrics import METRIC_NAMES

PAGE_SIZE = 25


def _dataset_versions() -> list[str]:
    try:
        from datasets.selectors import dataset_versions_list

        return [version["name"] for version in dataset_versions_list() if version.get("status") == "ready"]
    except Exception:  # the datasets app is optional for this page
        return []


def _when(ms) -> str:
    return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if ms else ""


def _run_row(run) -> dict:
    return {
        "run": run,
        "created": _when(run.created_at),
        "auc": figures.mean_std_text(run.mean_auc, run.std_auc),
        "accuracy": figures.mean_std_text(run.mean_accuracy, run.std_accuracy),
    }


def _start_preview(version: str, versions: list[str]) -> dict | None:
    """The chosen version's artists and counts, or None before a ready version is chosen."""
    if not version:
        return None
    if version not in versions:
        return {"version": version, "artists": [], "error": f"{version} is not a ready dataset version; choose one from the list."}
    return run_preview.version_preview(version)


def _start_form(versions: list[str], preview: dict | None, data=None) -> RunStartForm:
    artists = [(artist["slug"], artist["name"]) for artist in preview["artists"]] if preview else None
    initial = {"dataset_version": preview["version"]} if preview else {}
    if artists and len(artists) == 1:
        initial["artist"] = artists[0][0]
    return RunStartForm(data, dataset_versions=versions, artists=artists, initial=initial)


def _runs_context(request, form=None, start=None) -> dict:
    dataset_version = (request.GET.get("dataset_version") or "").strip()
    artist = (request.GET.get("artist") or "").strip()
    status = request.GET.get("status") or services.COMPLETED
    if status not in services.STATUSES:
        status = services.COMPLETED
    try:
        if dataset_version:
            page = selectors.runs_for_dataset_version(dataset_version=dataset_version, cursor=request.GET.get("cursor"), limit=PAGE_SIZE, artist=artist or None)
        else:
            page = selectors.runs_by_status(status=status, cursor=request.GET.get("cursor"), limit=PAGE_SIZE, artist=artist or None)
    except BadCursor:
        raise Http404("Bad page cursor.") from None
    versions = _dataset_versions()
    if form is None:
        start = _start_preview((request.GET.get("start_version") or "").strip(), versions)
    return {
        "rows": [_run_row(run) for run in page.items],
        "next_cursor": page.next_cursor,
        "status": status,
        "statuses": services.STATUSES,
        "dataset_version": dataset_version,
        "versions": versions,
        "form": form or _start_form(versions, start),
        "start": start,
        "served": selectors.served_artists(),
        "artist": artist,
        "artists": _artists(),
    }


def _artists() -> list:
    from datasets.selectors import artists_list

    return artists_list()


@staff_member_required
@require_GET
def runs_view(request):
    return render(request, "training/runs.html", _runs_context(request))


@staff_member_required
@require_POST
def run_start_view(request):
    versions = _dataset_versions()
    # The artists offered are the posted version's; an unknown version offers none (a form error).
    start = _start_preview((request.POST.get("dataset_version") or "").strip(), versions) or {"version": "", "artists": [], "error": ""}
    form = _start_form(versions, start, request.POST)
    if form.is_valid():
        try:
            run = services.run_start(**form.run_options(), started_by=request.user.email)
        except services.TrainingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Run {run.run_id[:8]} started on {run.dataset_version}.")
            return redirect("training:run", run_id=run.run_id)
    return render(request, "training/runs.html", _runs_context(request, form, start), status=400)


def _run_or_404(run_id: str):
    run = selectors.run_get(run_id=run_id)
    if run is None:
        raise Http404("No such run.")
    return run


def _run_context(run, promote_form=None, concerns=None, *, with_serving_comparison: bool = True) -> dict:
    detail = run.metrics_detail.as_dict() if run.metrics_detail else {}
    table = selectors.run_fold_table(run_id=run.run_id)
    serving = selectors.serving_for_artist(artist=run.artist)
    completed = run.status == services.COMPLETED
    return {
        "run": run,
        "created": _when(run.created_at),
        "finished": _when(run.finished_at),
        "heartbeat": _when(run.heartbeat_at),
        "promoted": _when(run.promoted_at),
        "metrics": [{"name": name, "value": figures.mean_std_text(getattr(run, f"mean_{name}"), getattr(run, f"std_{name}"))} for name in METRIC_NAMES],
        "detail": detail,
        "per_fold": run_review.fold_rows(detail),
        "per_sublabel": detail.get("per_sublabel", {}),
        "thresholds": detail.get("thresholds"),
        "calibration": detail.get("calibration"),
        "policy": run_review.policy_review(detail),
        "calibration_review": run_review.calibration_review(detail),
        "head": run_review.head_review(run, detail),
        "promotion": run_review.promotion_review(run),
        "capture": run_review.capture_review(detail),
        "promote_form": promote_form or PromoteForm(),
        # Asked for after a promote attempt (with the floor given then), else at the default floor.
        "concerns": concerns if concerns is not None else (services.promotion_concerns(run) if completed else []),
        "asked_for_reason": concerns is not None,
        "sublabel_rows": run_review.sublabel_rows(detail),
        "comparison": _serving_comparison(run, serving) if completed and run.artist and with_serving_comparison else None,
        "timings": run_review.timing_rows(detail.get("timings")),
        "final_words": run_review.config_words(table["final"].hyperparameters.as_dict()) if table.get("final") else "",
        "table": table,
        "grid": [run_review.config_words(config) for config in (run.hyperparameter_grid.as_dict() if run.hyperparameter_grid else {}).get("configs", [])],
        "is_serving": bool(serving and serving.get("run_id") == run.run_id),
        "serving": serving,
        "reference_thumbnails": _reference_thumbnails_review(run),
    }


def _serving_comparison(run, serving: dict | None) -> dict:
    serving_run = selectors.run_get(run_id=serving.get("run_id", "")) if serving and serving.get("run_id") != run.run_id else None
    return serving_comparison.compare(run, serving, serving_run)


def _reference_thumbnails_review(run) -> dict:
    from training.serving import reference_thumbnails_allowed

    return {"shown": reference_thumbnails_allowed(run_id=run.run_id), "is_default": run.reference_thumbnails is None}


@staff_member_required
@require_GET
def run_view(request, run_id):
    run = _run_or_404(run_id)
    return render(request, "training/run.html", _run_context(run))


@staff_member_required
@require_GET
def run_plot_view(request, run_id, kind):
    run = _run_or_404(run_id)
    detail = run.metrics_detail.as_dict() if run.metrics_detail else None
    if not detail or kind not in {"roc", "calibration"}:
        raise Http404("No such plot.")
    if kind == "roc":
        body = plots.roc_png(detail["roc"], (detail.get("pooled") or {}).get("auc"))
    else:
        after, before = run_review.reliability_curves(detail)
        body = plots.calibration_png(after, before=before)
    response = HttpResponse(body, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@staff_member_required
@require_POST
def run_promote_view(request, run_id):
    run = _run_or_404(run_id)
    form = PromoteForm(request.POST)
    if not form.is_valid():
        return render(request, "training/run.html", _run_context(run, promote_form=form), status=400)
    try:
        info = services.model_promote(
            run_id=run_id, promoted_by=request.user.email,
            auc_floor=form.cleaned_data["auc_floor"], reason=form.cleaned_data["reason"],
        )
    except services.PromotionNeedsConfirmation as error:
        # Not refused: asked again, with the concerns and a reason to give on purpose.
        return render(request, "training/run.html", _run_context(run, promote_form=form, concerns=error.concerns), status=400)
    except services.TrainingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Model {info['model_version']} now serves {info['artist_name']}.")
    return redirect("training:run", run_id=run_id)


@staff_member_required
@require_POST
def run_reference_thumbnails_view(request, run_id):
    run = _run_or_404(run_id)
    choice = request.POST.get("reference_thumbnails")
    if choice not in {"show", "hide"}:
        messages.error(request, "Choose whether to show or hide the reference thumbnails.")
        return redirect("training:run", run_id=run.run_id)
    services.run_reference_thumbnails_set(run_id=run.run_id, allowed=choice == "show", changed_by=request.user.email)
    messages.success(request, "Users now see thumbnails of this model's reference passages." if choice == "show"
                     else "Users now see this model's reference passages by label and similarity only, without thumbnails.")
    return redirect("training:run", run_id=run.run_id)


@staff_member_required
@require_GET
def compare_view(request):
    ids = [request.GET.get("a", ""), request.GET.get("b", "")]
    if not all(ids):
        ids = (request.GET.getlist("run") + ["", ""])[:2]
    runs = [selectors.run_get(run_id=run_id) for run_id in ids if run_id]
    if len(runs) != 2 or not all(runs):
        raise Http404("Choose two existing runs to compare.")
    artists = [run.artist_name or run.artist or "no artist" for run in runs]
    # Two artists' models are measured on different works: their figures do not rank one model.
    different = runs[0].artist != runs[1].artist
    return render(request, "training/compare.html", {"columns": [_run_context(run, with_serving_comparison=False) for run in runs], "metric_names": METRIC_NAMES,
                                                     "different_artists": different, "artists": artists})
