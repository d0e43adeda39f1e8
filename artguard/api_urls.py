"""Every API route, under /api/. Each app contributes its own `api_urls` module."""
from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api_urls")),
    path("", include("training.api_urls")),
    path("", include("detection.api_urls")),
]
