from django.urls import path

from training import views

app_name = "training"

urlpatterns = [
    path("runs/", views.runs_view, name="runs"),
    path("runs/start/", views.run_start_view, name="run_start"),
    path("runs/compare/", views.compare_view, name="compare"),
    path("runs/<str:run_id>/", views.run_view, name="run"),
    path("runs/<str:run_id>/plots/<str:kind>.png", views.run_plot_view, name="run_plot"),
    path("runs/<str:run_id>/promote/", views.run_promote_view, name="run_promote"),
]
