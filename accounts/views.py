from datetime import datetime, timezone

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts import erasure, selectors, services, throttle
from accounts.erasure_forms import DeleteDataForm
from accounts.forms import LoginForm, SignUpForm
from accounts.erasure_store import BadCursor, erasures_done_page, erasures_open

BACKEND = "accounts.backends.DynamoUserBackend"


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@require_http_methods(["GET", "POST"])
def signup_view(request):
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                username=form.cleaned_data["username"],
            )
        except services.EmailTaken:
            form.add_error("email", "An account with this email already exists.")
        except ValidationError as error:
            form.add_error("password1", error)
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, "Welcome to ArtGuard.")
            return redirect(_next_url(request, reverse("detection:upload")))
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def login_view(request):
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST":
        email, ip = request.POST.get("email", ""), _client_ip(request)
        if not throttle.login_allowed(ip=ip, email=email):
            return render(request, "accounts/login.html", {"form": LoginForm(request), "blocked": True}, status=429)
        if form.is_valid():
            throttle.login_succeeded(ip=ip, email=email)
            login(request, form.get_user(), backend=BACKEND)
            return redirect(_next_url(request, reverse("detection:upload")))
        throttle.login_failed(ip=ip, email=email)
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")}, status=400 if form.errors else 200)


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, "You are logged out.")
    return redirect("accounts:login")


@login_required
@require_http_methods(["GET", "POST"])
def profile_view(request):
    """Tokens are made and revoked only by an explicit POST, which redirects (so a reload sends
    nothing again); a new token is shown once, from the session, on the page it redirects to."""
    user_id = request.user.user_id
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create_token":
            try:
                request.session[NEW_TOKEN_KEY] = services.api_token_create(user_id=user_id, name=request.POST.get("name", ""))
            except services.TooManyTokens as error:
                messages.error(request, str(error))
        elif action == "revoke_token":
            if services.api_token_revoke(user_id=user_id, token_id=request.POST.get("token_id", "")):
                messages.success(request, "Token revoked: it no longer opens the API.")
            else:
                messages.error(request, "No such token (it may have been revoked already).")
        return redirect("accounts:profile")
    tokens = [{**row, "created": _from_ms(row["created_at"]), "last_used": _from_ms(row["last_used_at"])}
              for row in selectors.api_tokens_list(user_id=user_id)]
    return render(request, "accounts/profile.html", {"token": request.session.pop(NEW_TOKEN_KEY, None), "tokens": tokens,
                                                     "max_tokens": services.MAX_API_TOKENS})


NEW_TOKEN_KEY = "new_api_token"


def _from_ms(value):
    return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc) if value else None


@login_required
@require_http_methods(["GET", "POST"])
def delete_data_view(request):
    """Confirm, then erase: the account is disabled and the user logged out at once."""
    form = DeleteDataForm(request.POST or None, email=request.user.email)
    if request.method == "POST" and form.is_valid():
        erasure_request, _created = erasure.erasure_request(user_id=request.user.user_id, requested_by=request.user)
        logout(request)
        return redirect("accounts:erasure_receipt", token=erasure_request.receipt_token)
    analyses = erasure.inferences_count(user_id=request.user.user_id)
    return render(request, "accounts/delete_data.html", {"form": form, "analyses": analyses}, status=400 if form.errors else 200)


@require_http_methods(["GET"])
def erasure_receipt_view(request, token):
    """Progress, then the receipt. No login: the account no longer exists; the link is the key."""
    erasure_request = erasure.erasure_get_by_token(token=token)
    if erasure_request is None:
        raise Http404
    response = render(request, "accounts/erasure_receipt.html", {"receipt": erasure.erasure_receipt(erasure_request)})
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@staff_member_required
@require_http_methods(["GET", "POST"])
def erasures_staff_view(request):
    """Unfinished requests (with "resume now"), then completed ones, newest first, a page at a time."""
    if request.method == "POST":
        queued = erasure.erasures_resume_now()
        messages.info(request, f"Queued {len(queued)} unfinished erasure(s).")
        return redirect("accounts:erasures")
    try:
        done = erasures_done_page(cursor=request.GET.get("cursor") or None)
    except BadCursor:
        raise Http404 from None
    unfinished = sorted(erasures_open(), key=lambda item: item.requested_at, reverse=True)
    return render(request, "accounts/erasures.html", {"unfinished": unfinished, "done": done})
