from django.urls import path

from accounts import api_views

urlpatterns = [
    path("users/<str:user_id>/data", api_views.UserDataDeleteApi.as_view(), name="api-user-data-delete"),
    path("erasures/<str:token>", api_views.ErasureStatusApi.as_view(), name="api-erasure-status"),
]
