"""Staff pages for artists: the registry (names and aliases, made from the training data's
attributions), each artist's models and runs, its promotion history, and withdrawing its model."""
from __future__ import annotations

from datetime import datetime, timezone

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from training import selectors, services
from training.card_views import artist_or_404

RUNS_SHOWN = 25


class ArtistForm(forms.Form):
    name = forms.CharField(max_length=200, label="Canonical name")
    aliases = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Aliases",
        help_text="One per line. Letter case, accents and 'Last, First' order never need an alias.")

    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["aliases"].splitlines() if line.strip()]


class WithdrawForm(forms.Form):
    """Withdrawing stops every upload attributed to the artist at once: the box must be ticked on
    purpose (checked by the server, so it holds without JavaScript)."""
    reason = forms.CharField(max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(
        required=True, label="Yes, withdraw it: uploads attributed to this artist are refused from now on",
        error_messages={"required": "Tick the box to confirm the withdrawal; nothing was withdrawn."})


def _when(ms) -> str:
    return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if ms else ""


@staff_member_required
@require_GET
def artists_view(request):
    from datasets.selectors import artists_list

    return render(request, "training/artists.html", {"artists": artists_list()})


def _artist_context(artist, form=None, withdraw_form=None, query: str = "") -> dict:
    from training.knowledge_views import knowledge_context

    runs = selectors.runs_by_status(status=services.COMPLETED, limit=RUNS_SHOWN, artist=artist.slug).items
    history = [{**event, "when": _when(event.get("at"))} for event in reversed(artist.history)]
    return {
        "artist": artist,
        "form": form or ArtistForm(initial={"name": artist.name, "aliases": "\n".join(artist.aliases)}),
        "withdraw_form": withdraw_form or WithdrawForm(),
        "runs": [{"run": run, "finished": _when(run.finished_at)} for run in runs],
        "history": history,
        "promoted": _when((artist.serving or {}).get("promoted_at")),
        **knowledge_context(artist, query=query),
    }


@staff_member_required
@require_GET
def artist_view(request, slug):
    return render(request, "training/artist.html", _artist_context(artist_or_404(slug), query=request.GET.get("q", "")))


@staff_member_required
@require_POST
def artist_update_view(request, slug):
    from datasets.artists import ArtistError
    from datasets.artist_registry import artist_update

    artist = artist_or_404(slug)
    form = ArtistForm(request.POST)
    if form.is_valid():
        try:
            artist_update(slug=slug, name=form.cleaned_data["name"], aliases=form.alias_list())
        except ArtistError as error:
            form.add_error(None, str(error))
        else:
            services.catalogue_changed()
            messages.success(request, "Saved. Uploads accept the new spellings within a few seconds.")
            return redirect("training:artist", slug=slug)
    return render(request, "training/artist.html", _artist_context(artist, form), status=400)


@staff_member_required
@require_POST
def artist_withdraw_view(request, slug):
    artist = artist_or_404(slug)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return render(request, "training/artist.html", _artist_context(artist, withdraw_form=form), status=400)
    try:
        services.model_unpromote(artist=artist.slug, by=request.user.email, reason=form.cleaned_data["reason"])
    except services.TrainingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{artist.name} has no model now: uploads attributed to {artist.name} are refused; those already submitted finish.")
    return redirect("training:artist", slug=slug)
