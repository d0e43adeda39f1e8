from django.contrib import admin
from django.shortcuts import redirect, render
from pathlib import Path

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView


def home(request):
    if request.user.is_authenticated:
        return redirect("detection:upload")
    return render(request, "home.html")


FAVICON = (Path(__file__).resolve().parents[1] / "static" / "favicon.svg").read_bytes()


@require_GET
def favicon(request):
    """Pages that do not link the icon (admin, the browsable API) still ask for /favicon.ico."""
    response = HttpResponse(FAVICON, content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response


urlpatterns = [
    path("", home, name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("accounts/", include("accounts.urls")),
    path("detections/", include("detection.urls")),
    path("", include("detection.share_urls")),  # /shared/<token>/, /verify/: public
    path("datasets/", include("datasets.urls")),
    path("training/", include("training.urls")),
    path("models/", include("training.card_urls")),
    path("api/", include("artguard.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, so the CSP needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api_docs.html"), name="api-docs"),
    path("admin/", admin.site.urls),
]
