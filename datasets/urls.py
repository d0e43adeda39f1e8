from django.urls import path

from datasets import views

app_name = "datasets"

urlpatterns = [
    path("", views.index_view, name="index"),
    path("versions/", views.version_create_view, name="version_create"),
    path("versions/<str:name>/", views.version_view, name="version"),
    path("images/", views.images_view, name="images"),
    path("images/<str:image_id>/", views.image_view, name="image"),
    path("images/<str:image_id>/patches.png", views.image_overlay_view, name="image_overlay"),
]
