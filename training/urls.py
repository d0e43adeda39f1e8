from django.urls import path

from training import artist_views, knowledge_views, views

app_name = "training"

urlpatterns = [
    path("runs/", views.runs_view, name="runs"),
    path("runs/start/", views.run_start_view, name="run_start"),
    path("runs/compare/", views.compare_view, name="compare"),
    path("runs/<str:run_id>/", views.run_view, name="run"),
    path("runs/<str:run_id>/plots/<str:kind>.png", views.run_plot_view, name="run_plot"),
    path("runs/<str:run_id>/promote/", views.run_promote_view, name="run_promote"),
    path("runs/<str:run_id>/reference-thumbnails/", views.run_reference_thumbnails_view, name="run_reference_thumbnails"),
    path("artists/", artist_views.artists_view, name="artists"),
    path("artists/<str:slug>/", artist_views.artist_view, name="artist"),
    path("artists/<str:slug>/update/", artist_views.artist_update_view, name="artist_update"),
    path("artists/<str:slug>/withdraw/", artist_views.artist_withdraw_view, name="artist_withdraw"),
    path("artists/<str:slug>/knowledge/", knowledge_views.knowledge_upload_view, name="knowledge_upload"),
    path("artists/<str:slug>/knowledge/<str:doc_id>/withdraw/", knowledge_views.knowledge_withdraw_view, name="knowledge_withdraw"),
]
