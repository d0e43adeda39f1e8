from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup_view, name="signup"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", views.profile_view, name="profile"),
    path("delete/", views.delete_data_view, name="delete_data"),
    path("erasure/<str:token>/", views.erasure_receipt_view, name="erasure_receipt"),
    path("erasures/", views.erasures_staff_view, name="erasures"),
]
