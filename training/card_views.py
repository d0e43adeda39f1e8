"""Model cards, for every signed-in user: /models/ (the served artists), /models/<artist>/ (its
serving model) and /models/<artist>/<model_version>/ (a model it was served with earlier, which
results scored by that version link to)."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from training import cards, selectors


def artist_or_404(slug: str):
    """The registered artist with this id; 404 otherwise (the card and staff artist pages)."""
    from datasets.selectors import artist_get

    artist = artist_get(slug=slug) if slug and len(slug) <= 120 else None
    if artist is None:
        raise Http404("No such artist.")
    return artist


@login_required
@require_GET
def cards_view(request):
    rows = [{"artist": artist, "promoted": cards.day(artist.serving.get("promoted_at"))} for artist in selectors.served_artists()]
    return render(request, "training/cards.html", {"rows": rows, "limits": cards.PHOTO_LIMITS})


@login_required
@require_GET
def card_view(request, artist, model_version=None):
    card = cards.card_for(artist_or_404(artist), model_version=model_version)
    if card is None:
        raise Http404("No model serves this artist.")
    return render(request, "training/card.html", {"card": card})
