from django.contrib import admin
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView


def home(request):
    if request.user.is_authenticated:
        return redirect("detection:upload")
    return render(request, "home.html")


urlpatterns = [
    path("", home, name="home"),
    # Pages that do not link the icon (admin, the browsable API) still ask for /favicon.ico.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("accounts/", include("accounts.urls")),
    path("detections/", include("detection.urls")),
    path("datasets/", include("datasets.urls")),
    path("training/", include("training.urls")),
    path("models/", include("training.card_urls")),
    path("api/", include("artguard.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, so the CSP needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api_docs.html"), name="api-docs"),
    path("admin/", admin.site.urls),
]
