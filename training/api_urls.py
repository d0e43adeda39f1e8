from django.urls import path

from training import api_views

urlpatterns = [
    path("artists/", api_views.ArtistsApi.as_view(), name="api-artists"),
    path("models/", api_views.ModelsApi.as_view(), name="api-models"),
    path("models/<str:artist>/", api_views.ModelCardApi.as_view(), name="api-model"),
]
