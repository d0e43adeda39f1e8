from django.urls import path

from detection import share_views, views

app_name = "detection"

urlpatterns = [
    path("", views.upload_view, name="upload"),
    path("history/", views.history_view, name="history"),
    path("<str:inference_id>/", views.result_view, name="result"),
    path("<str:inference_id>/images/<str:kind>/", views.image_view, name="image"),
    path("<str:inference_id>/regions/<str:label>/", views.region_thumbnail_view, name="region_thumbnail"),
    path("<str:inference_id>/regions/<str:label>/<str:side>/<int:number>/", views.reference_thumbnail_view, name="reference_thumbnail"),
    path("<str:inference_id>/report.pdf", views.report_view, name="report"),
    path("<str:inference_id>/delete/", views.delete_view, name="delete"),
    path("<str:inference_id>/share/", share_views.share_create_view, name="share_create"),
    path("<str:inference_id>/share/<str:share_id>/revoke/", share_views.share_revoke_view, name="share_revoke"),
    path("<str:inference_id>/verification/revoke/", share_views.verification_revoke_view, name="verification_revoke"),
]
