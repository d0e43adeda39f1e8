from django.urls import path

from training import views

app_name = "training"

urlpatterns = [
    path("runs/", views.runs_view, name="runs"),
]
