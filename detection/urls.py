from django.urls import path

from detection import views

app_name = "detection"

urlpatterns = [
    path("", views.upload_view, name="upload"),
    path("history/", views.history_view, name="history"),
]
