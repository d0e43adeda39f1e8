from django.urls import path

from detection import api_views, share_api

urlpatterns = [
    path("detections/", api_views.DetectionCollectionApi.as_view(), name="api-detections"),
    path("detections/<str:inference_id>/", api_views.DetectionItemApi.as_view(), name="api-detection"),
    path("detections/<str:inference_id>/share", share_api.ShareCollectionApi.as_view(), name="api-detection-shares"),
    path("detections/<str:inference_id>/share/<str:share_id>", share_api.ShareRevokeApi.as_view(), name="api-detection-share"),
    path("detections/<str:inference_id>/verification", share_api.VerificationRevokeApi.as_view(), name="api-detection-verification"),
    path("verify", share_api.VerifyApi.as_view(), name="api-verify"),
]
