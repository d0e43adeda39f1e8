from django.urls import path

from detection import api_views

urlpatterns = [
    path("detections/", api_views.DetectionCollectionApi.as_view(), name="api-detections"),
    path("detections/<str:inference_id>/", api_views.DetectionItemApi.as_view(), name="api-detection"),
]
