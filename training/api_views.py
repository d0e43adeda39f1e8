"""API for every signed-in client: the artists a model serves (GET /api/artists/) and their model
cards (GET /api/models/, /api/models/{artist}/)."""
from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from training import cards, selectors


class ArtistOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField(help_text="Canonical name; send it (or an alias) as attributed_artist.")
    aliases = serializers.ListField(child=serializers.CharField())
    model_version = serializers.CharField()
    is_demo = serializers.BooleanField()
    card_url = serializers.URLField()
    api_card_url = serializers.URLField()


def _artist_row(request, artist) -> dict:
    return {
        "slug": artist.slug,
        "name": artist.name,
        "aliases": list(artist.aliases),
        "model_version": artist.serving["model_version"],
        "is_demo": bool(artist.serving.get("is_demo")),
        "card_url": request.build_absolute_uri(reverse("models:card", args=[artist.slug])),
        "api_card_url": request.build_absolute_uri(reverse("api-model", args=[artist.slug])),
    }


class ArtistsApi(APIView):
    @extend_schema(operation_id="artists_list", responses={200: ArtistOutput(many=True)},
                   summary="The artists a model serves: the attributions POST /api/detections/ accepts.")
    def get(self, request):
        return Response([_artist_row(request, artist) for artist in selectors.served_artists()])


class ModelsApi(APIView):
    @extend_schema(operation_id="models_list", responses={200: ArtistOutput(many=True)},
                   summary="The served models, one per artist, with links to their cards.")
    def get(self, request):
        return Response([_artist_row(request, artist) for artist in selectors.served_artists()])


class ModelCardApi(APIView):
    @extend_schema(operation_id="model_card", responses={200: OpenApiResponse(description="The model card (training counts, "
                   "cross-validated metrics with their spread, per-sublabel performance, calibration, verdict policy, capture (does it "
                   "judge the camera: the capture-only audit, robustness under re-photographs, the validated capture envelope), limits)."),
                   404: OpenApiResponse(description="No such artist, or no model serves it.")},
                   summary="The model card of an artist's serving model (or of ?model_version= it was served with).")
    def get(self, request, artist):
        from datasets.selectors import artist_get

        found = artist_get(slug=artist) if artist and len(artist) <= 120 else None
        card = cards.card_for(found, model_version=request.query_params.get("model_version") or None) if found else None
        if card is None:
            raise NotFound("No such artist, or no model serves it.")
        return Response(card)
