"""Pages for sharing and verifying (docs/verification.md): the owner's share and revoke buttons,
the public share page and its images, the public /verify/ page and the published keys.

Public pages send `noindex` and are never cached by shared caches. Share pages send
`Referrer-Policy: no-referrer` (a link's token must not leak through a Referer header), the
verification page `same-origin`. Share pages show only the facts the signed statement vouches
for plus the result's own reading: nothing about the owner.
"""
from __future__ import annotations

import mimetypes
from datetime import datetime, timezone

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from artguard.signing import published_keys
from artguard.storage import processed_storage, raw_storage
from detection import findings, sharing, verification, verify_input
from detection.reading import reading_for
from detection.report import VERDICT_LABELS
from detection.report_signature import qr_svg
from detection.signing import NotSignable, verification_issue

PUBLIC_IMAGES = {"thumb": ("thumbnail_path", "processed"), "display": ("display_path", "processed"),
                 "heatmap": ("heatmap_path", "processed"), "original": ("image_path", "raw")}
EXPIRY_CHOICES = (1, 7, 30, 90)


def _public(response, *, referrer: str = "no-referrer"):
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = referrer
    response["Cache-Control"] = "private, no-store"
    return response


def verify_url(request, code: str) -> str:
    return request.build_absolute_uri(reverse("verify") + f"?code={code}")


@login_required
@require_POST
def share_create_view(request, inference_id: str):
    days = request.POST.get("expires_in_days") or ""
    try:
        link, token = sharing.share_create(
            user_id=request.user.user_id, inference_id=inference_id,
            expires_in_days=int(days) if days.isdigit() else None, include_original=request.POST.get("include_original") == "on")
    except sharing.ShareNotFound:
        raise Http404("No such detection.") from None
    except sharing.ShareError as error:
        messages.error(request, f"No link was made: {error.message}")
        return redirect("detection:result", inference_id=inference_id)
    url = request.build_absolute_uri(reverse("shared", args=[token]))
    # The token is shown this once: only its hash is stored.
    messages.success(request, f"Share link (copy it now; it is shown only once): {url}")
    return redirect(reverse("detection:result", args=[inference_id]) + "#sharing")


@login_required
@require_POST
def share_revoke_view(request, inference_id: str, share_id: str):
    try:
        sharing.share_revoke(user_id=request.user.user_id, share_id=share_id, inference_id=inference_id)
    except sharing.ShareNotFound:
        raise Http404("No such share link.") from None
    except sharing.ShareConflict as error:
        messages.warning(request, error.message)
    else:
        messages.success(request, "The link was revoked: it now opens nothing.")
    return redirect(reverse("detection:result", args=[inference_id]) + "#sharing")


@login_required
@require_POST
def verification_revoke_view(request, inference_id: str):
    try:
        sharing.code_withdraw(user_id=request.user.user_id, inference_id=inference_id)
    except sharing.ShareNotFound:
        raise Http404("No such detection.") from None
    except sharing.ShareConflict as error:
        messages.warning(request, error.message)
    else:
        messages.success(request, "The verification code was withdrawn: reports carrying it now check as revoked. "
                                  "The next report or link gets a new code.")
    return redirect(reverse("detection:result", args=[inference_id]) + "#sharing")


def owner_sharing_context(request, record) -> dict:
    """The result page's sharing section: the owner's links to this analysis (one Query)."""
    if record.status != "COMPLETED":
        return {}
    from detection.signing import code_display

    return {"shares": sharing.shares_for_user(user_id=request.user.user_id, inference_id=record.inference_id),
            "expiry_choices": EXPIRY_CHOICES,
            "verification_code": code_display(record.verification_code) if record.verification_code else ""}


def _card(record) -> dict | None:
    if not record.artist:
        return None
    from datasets.selectors import artist_get
    from training.cards import card_for

    artist = artist_get(slug=record.artist)
    return card_for(artist, model_version=record.model_version) if artist else None


@require_GET
def shared_view(request, share_token: str):
    token = share_token
    opened = sharing.share_open(token=token)
    if opened.state != sharing.ACTIVE:
        response = render(request, "detection/shared_invalid.html", {"word": sharing_word(opened.state)}, status=404)
        return _public(response)
    record = opened.record
    try:
        issued = verification_issue(record)
    except NotSignable:
        issued = None
    check_url = verify_url(request, issued.code) if issued else request.build_absolute_uri(reverse("verify"))
    context = {
        "token": token, "link": opened.link, "record": record, "issued": issued, "verify_url": check_url,
        "qr": qr_svg(check_url) if issued else "",
        "verdict_label": VERDICT_LABELS.get(record.verdict or "", ""), "reading": reading_for(record),
        "unfamiliar": findings.is_unfamiliar(record), "capture_outside": findings.capture_outside(record),
        "capture_reasons": findings.capture_reasons(record), "capture_not_checked": findings.capture_not_checked(record),
        "warnings": findings.warnings_for(record), "demo_note": findings.DEMO_NOTE, "card": _card(record),
        "created": datetime.fromtimestamp(int(record.created_at) / 1000, tz=timezone.utc),
    }
    return _public(render(request, "detection/shared.html", context))


def sharing_word(state: str) -> str:
    return {sharing.REVOKED: "revoked", sharing.EXPIRED: "expired"}.get(state, "unknown")


@require_GET
def shared_image_view(request, share_token: str, kind: str):
    opened = sharing.share_open(token=share_token)
    if opened.state != sharing.ACTIVE or kind not in PUBLIC_IMAGES or (kind == "original" and not opened.link.include_original):
        raise Http404("No such image.")
    attribute, bucket = PUBLIC_IMAGES[kind]
    path = getattr(opened.record, attribute)
    if not path:
        raise Http404("No such image.")
    try:
        handle = (raw_storage() if bucket == "raw" else processed_storage()).open(path, "rb")
    except FileNotFoundError:
        raise Http404("This image is no longer stored.") from None
    return _public(FileResponse(handle, content_type=mimetypes.guess_type(path)[0] or "application/octet-stream"))


def _verify_page(request, code: str, *, status=200, error="", answer=None):
    # same-origin, not no-referrer: under no-referrer browsers send "Origin: null" with the form's
    # POST, which CSRF protection must refuse. Nothing leaves for another site either way.
    return _public(render(request, "detection/verify.html", {"code": code, "answer": answer, "error": error,
                                                              "limits": verify_input.limits_text()}, status=status),
                   referrer="same-origin")


@csrf_exempt  # checked below, once the upload handler is in place (the middleware would read the body first)
@require_http_methods(["GET", "POST"])
def verify_view(request):
    """GET: the form, or (with ?code=, as the QR code opens it) the code's answer. POST: a code,
    a report PDF and/or a photograph. Nothing uploaded is stored."""
    if request.method == "POST":
        if verify_input.body_too_large(request):
            return _verify_page(request, "", status=413, error=verify_input.too_large_message())
        handler = verify_input.install_upload_handler(request)
        return _verify_post(request, handler)
    code = (request.GET.get("code") or "")[:64]
    if not code:
        return _verify_page(request, "")
    return _verify_answer(request, code)


@csrf_protect
def _verify_post(request, handler):
    code = (request.POST.get("code") or "")[:64]
    if handler.too_large:
        return _verify_page(request, code, status=413, error=verify_input.too_large_message())
    return _verify_answer(request, code, pdf=request.FILES.get(verify_input.PDF_FIELD), photo=request.FILES.get(verify_input.PHOTO_FIELD))


def _verify_answer(request, code: str, *, pdf=None, photo=None):
    retry_after = verify_input.verify_retry_after(request)
    if retry_after:
        response = _verify_page(request, code, status=429, error=f"Too many checks from your address. Try again in {retry_after} seconds.")
        response["Retry-After"] = str(retry_after)
        return response
    try:
        answer = verification.verify(code=code.strip(), pdf=pdf.data if pdf else None, photo_sha256=photo.sha256 if photo else None)
    except verification.VerifyInputError as error:
        return _verify_page(request, code, status=400, error=str(error))
    return _verify_page(request, code, answer=answer)


@require_GET
def keys_view(request):
    """The public keys, current first: stable at /verify/keys.json."""
    response = JsonResponse({"issuer": "ArtGuard", "format": "AGV1.<kid>.<payload>.<signature> (docs/verification.md)",
                             "keys": [key.as_json() for key in published_keys()]})
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response
