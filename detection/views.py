"""Detection pages: upload, result (polls the API while the analysis runs), PDF report, owner-checked
images, history with cursor paging, delete. Thin: each calls a service or selector."""
from __future__ import annotations

import functools
import mimetypes
from datetime import datetime, timezone
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from artguard.errors import DomainError
from artguard.outages import outage_message
from artguard.storage import processed_storage, raw_storage
from datasets.imaging import ALLOWED_FORMATS, EXTENSIONS
from detection import findings, references as references_module, selectors, services
from detection.explain import section_list
from detection.knowledge import knowledge_for
from detection.reading import reading_for
from detection.report import VERDICT_LABELS
from detection.share_views import owner_sharing_context

def login_or_api_token_required(view):
    """For the artefact URLs the API hands out (images, heatmap, report): a browser session, or
    the same `Authorization: Token ...` the API takes. A request carrying credentials that do not
    authenticate gets 401 with WWW-Authenticate, not the login page."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated and request.META.get("HTTP_AUTHORIZATION"):
            from rest_framework.exceptions import AuthenticationFailed

            from accounts.authentication import ApiTokenAuthentication

            authenticator = ApiTokenAuthentication()
            try:
                found = authenticator.authenticate(request)
            except AuthenticationFailed as error:
                found, reason = None, str(error.detail)
            else:
                reason = "Use Authorization: Token <your API token>."
            if found is None:
                response = HttpResponse(reason, status=401, content_type="text/plain; charset=utf-8")
                response["WWW-Authenticate"] = authenticator.authenticate_header(request)
                return response
            request.user = found[0]
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


# kind in the URL -> (record attribute, bucket)
IMAGE_KINDS = {
    "original": ("image_path", "raw"),
    "image": ("processed_path", "processed"),
    "display": ("display_path", "processed"),
    "thumb": ("thumbnail_path", "processed"),
    "heatmap": ("heatmap_path", "processed"),
}
FIRST_PAGE = "~"


def _owned_record_or_404(request, inference_id: str):
    record = selectors.inference_get_for_user(user_id=request.user.user_id, inference_id=inference_id)
    if record is None:
        raise Http404("No such detection.")
    return record


def _created(record) -> datetime:
    return datetime.fromtimestamp(int(record.created_at) / 1000, tz=timezone.utc)


def _upload_context(**extra) -> dict:
    artists = services.served_artists()
    return {
        "model_info": services.serving_model_info() if artists else None,
        "artists": artists,
        "max_mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024),
        "max_bytes": settings.UPLOAD_MAX_BYTES,
        "too_large": services.too_large_message(),
        "accept": ",".join([*EXTENSIONS, *ALLOWED_FORMATS.values()]),
        "uploads_per_hour": settings.UPLOADS_PER_HOUR,
        **extra,
    }


SESSION_EXPIRED = "Your session expired before the upload was sent, so the photograph was not received. Sign in and choose the file again."
TYPING_KEPT = " The artist and title you typed are kept."


def _login_keeping_the_form(request):
    """An upload sent after the session expired: the file cannot survive the login, so say so,
    and carry what was typed through `next` (the upload page pre-fills it from the query)."""
    query = {}
    if request.method == "POST":
        if not _too_large_before_reading(request):
            query = {name: value[:200] for name in ("artist", "title")
                     if (value := request.POST.get("attributed_artist" if name == "artist" else name, "").strip())}
        messages.warning(request, SESSION_EXPIRED + (TYPING_KEPT if query else ""))
    else:
        query = {name: request.GET[name] for name in ("artist", "title") if request.GET.get(name)}
    target = reverse("detection:upload") + (f"?{urlencode(query)}" if query else "")
    return redirect_to_login(target)


def _announced_files(request) -> int | None:
    """How many files the page's script says the form carries (?files=N on the form's action);
    None when it did not say, and then nothing is refused before the body is read."""
    try:
        return max(1, int(request.GET.get("files", "")))
    except ValueError:
        return None


def _too_large_before_reading(request) -> bool:
    files = _announced_files(request)
    return files is not None and services.body_too_large(content_length=request.META.get("CONTENT_LENGTH"), files=files)


# CsrfViewMiddleware reads the whole body to find the token. Exempt here, the session and the
# announced size are checked first, on the headers alone; csrf_protect then runs as usual.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def upload_view(request):
    if not request.user.is_authenticated:
        return _login_keeping_the_form(request)
    if request.method == "POST" and _too_large_before_reading(request):
        return render(request, "detection/upload.html", _upload_context(errors=[services.too_large_message()]), status=413)
    return _upload(request)


@csrf_protect
def _upload(request):
    if request.method == "GET":
        return render(request, "detection/upload.html", _upload_context(artist=request.GET.get("artist", "")[:200], title=request.GET.get("title", "")[:200]))
    files = request.FILES.getlist("files")
    artist, title = request.POST.get("attributed_artist", ""), request.POST.get("title", "")
    if not files:
        return render(request, "detection/upload.html", _upload_context(errors=["Choose at least one image to analyse."], artist=artist, title=title), status=400)
    if services.served_artists():  # once for every file: an attribution no model serves creates nothing
        try:
            services.served_artist_for(artist)
        except services.InvalidSubmission as error:
            return render(request, "detection/upload.html", _upload_context(errors=[str(error)], artist=artist, title=title), status=400)
    created, errors, status = [], [], 400
    for index, upload in enumerate(files):
        name = upload.name or f"file {index + 1}"
        try:
            services.size_check(size_bytes=upload.size)  # before the file is read
            submission = services.form_submit(
                user_id=request.user.user_id,
                data=upload.read(),
                filename=upload.name or "",
                position=index,
                attributed_artist=artist,
                title=title,
            )
        except DomainError as error:  # a refusal (services.errors, ImageRejected): said beside the file
            errors.append(error.page_line(about=name))
            status = max(status, error.status)  # a rate limit (429) or no model (503) outranks a bad file
            if error.whole_request:
                break
        except Exception as error:
            # An outage after some files went through: say which were not submitted rather
            # than a bare 503 that hides the ones that were. Before any, the 503 page says it.
            message = outage_message(error)
            if message is None or not created:
                raise
            errors.extend(f"{upload.name or f'file {n + 1}'}: not submitted. {message}" for n, upload in enumerate(files) if n >= index)
            break
        else:
            created.append(submission.record)
            if not submission.created:
                messages.info(request, f"{name}: {RESENT}")
            if submission.note:
                messages.info(request, f"{name}: {submission.note}")
    if not created:
        return render(request, "detection/upload.html", _upload_context(errors=errors, artist=artist, title=title), status=status)
    for error in errors:
        messages.error(request, error)
    if len(created) == 1 and not errors:
        return redirect("detection:result", created[0].inference_id)
    messages.success(request, f"{len(created)} image{'s' if len(created) != 1 else ''} submitted for analysis.")
    return redirect("detection:history")


RESENT = "this photograph was sent a moment ago with the same artist and title; here is that analysis, not a second one."


@login_required
def result_view(request, inference_id: str):
    record = _owned_record_or_404(request, inference_id)
    steps = [step.as_dict() if hasattr(step, "as_dict") else step for step in (record.steps or [])]
    return render(
        request,
        "detection/result.html",
        {
            "record": record,
            "active": record.status in selectors.ACTIVE_STATUSES,
            "created": _created(record),
            "reading": reading_for(record),
            "unfamiliar": findings.is_unfamiliar(record),
            "capture_outside": findings.capture_outside(record),
            "demo_note": findings.DEMO_NOTE,
            "capture_reasons": findings.capture_reasons(record),
            "capture_not_checked": findings.capture_not_checked(record),
            "warnings": findings.warnings_for(record) if record.status == "COMPLETED" else [],
            "region": findings.most_suspicious_region(record) if record.status == "COMPLETED" else None,
            "verdict_label": VERDICT_LABELS.get(record.verdict or "", ""),
            "steps": steps,
            "total_seconds": round(sum(float(step["seconds"]) for step in steps), 2),
            "status_url": reverse("api-detection", args=[inference_id]),
            "explanation_sections": section_list(record.explanation_sections),
            "references": references_module.references_for(record) if record.status == "COMPLETED" else None,
            "knowledge": knowledge_for(record) if record.status == "COMPLETED" else None,
            **owner_sharing_context(request, record),
        },
    )


def _jpeg(body: bytes) -> HttpResponse:
    response = HttpResponse(body, content_type="image/jpeg")
    # private and short: a staff decision to hide thumbnails must reach the page soon
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_or_api_token_required
def region_thumbnail_view(request, inference_id: str, label: str):
    record = _owned_record_or_404(request, inference_id)
    body = references_module.region_thumbnails(record, {label}).get(label)
    if body is None:
        raise Http404("No such region.")
    return _jpeg(body)


@login_or_api_token_required
def reference_thumbnail_view(request, inference_id: str, label: str, side: str, number: int):
    record = _owned_record_or_404(request, inference_id)
    body = references_module.reference_thumbnail(record, label=label, side=side, number=number)
    if body is None:
        raise Http404("This reference passage is not shown: its training image is confidential or was deleted.")
    return _jpeg(body)


@login_or_api_token_required
def image_view(request, inference_id: str, kind: str):
    if kind not in IMAGE_KINDS:
        raise Http404("No such image.")
    record = _owned_record_or_404(request, inference_id)
    attribute, bucket = IMAGE_KINDS[kind]
    path = getattr(record, attribute)
    if not path:
        if record.status not in selectors.ACTIVE_STATUSES:  # e.g. `image`: results since 2026-12-02 keep no lossless copy
            raise Http404("This result has no such image; the original is at images/original/.")
        raise Http404("This image is not ready.")
    storage = raw_storage() if bucket == "raw" else processed_storage()
    if settings.STORAGE_BACKEND == "s3":
        # A presigned URL valid PRESIGNED_URL_SECONDS (the S3 storage's querystring_expire).
        return redirect(storage.url(path))
    try:
        handle = storage.open(path, "rb")
    except FileNotFoundError:
        raise Http404("This image is no longer stored.") from None
    response = FileResponse(handle, content_type=mimetypes.guess_type(path)[0] or "application/octet-stream")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_or_api_token_required
def report_view(request, inference_id: str):
    record = _owned_record_or_404(request, inference_id)
    if record.status != "COMPLETED":
        raise Http404("The report is available once the analysis has completed.")
    pdf = services.report_pdf(record=record, site_url=request.build_absolute_uri("/").rstrip("/"),
                              prepared_for=request.user.username or request.user.email)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="artguard-report-{inference_id[:12]}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def delete_view(request, inference_id: str):
    if not services.inference_delete(user_id=request.user.user_id, inference_id=inference_id):
        raise Http404("No such detection.")
    messages.success(request, "The analysis and its images were deleted.")
    return redirect("detection:history")


def _history_link(cursor: str | None, back: list[str]) -> str:
    query = {}
    if cursor:
        query["cursor"] = cursor
    if back:
        query["back"] = ".".join(back)
    return reverse("detection:history") + (f"?{urlencode(query)}" if query else "")


@login_required
def history_view(request):
    cursor = request.GET.get("cursor") or None
    back = [token for token in (request.GET.get("back") or "").split(".") if token][:500]
    try:
        page = selectors.inferences_page_for_user(user_id=request.user.user_id, cursor=cursor)
    except selectors.InvalidCursor:
        messages.warning(request, "That page link is not valid; here is your latest history.")
        return redirect("detection:history")
    next_url = _history_link(page.next_cursor, [*back, cursor or FIRST_PAGE]) if page.next_cursor else None
    previous_url = None
    if back:
        previous_cursor = back[-1]
        previous_url = _history_link(None if previous_cursor == FIRST_PAGE else previous_cursor, back[:-1])
    return render(
        request,
        "detection/history.html",
        {
            "rows": [
                {"record": r, "created": _created(r), "verdict_label": VERDICT_LABELS.get(r.verdict or "", ""), "unfamiliar": findings.is_unfamiliar(r),
                 "capture_outside": findings.capture_outside(r)}
                for r in page.records
            ],
            "demo_note": findings.DEMO_NOTE,
            "next_url": next_url,
            "previous_url": previous_url,
            "page_number": len(back) + 1,
        },
    )
