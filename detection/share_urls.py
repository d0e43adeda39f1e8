"""Public routes, no login: share pages, the verification page and the published keys."""
from django.urls import path

from detection import share_views

urlpatterns = [
    path("shared/<str:share_token>/", share_views.shared_view, name="shared"),
    path("shared/<str:share_token>/images/<str:kind>/", share_views.shared_image_view, name="shared_image"),
    path("verify/", share_views.verify_view, name="verify"),
    path("verify/keys.json", share_views.keys_view, name="verify_keys"),
]
