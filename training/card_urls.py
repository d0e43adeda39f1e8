from django.urls import path

from training import card_views

app_name = "models"

urlpatterns = [
    path("", card_views.cards_view, name="cards"),
    path("<str:artist>/", card_views.card_view, name="card"),
    path("<str:artist>/<str:model_version>/", card_views.card_view, name="card_version"),
]
