from django.urls import path

from . import views

app_name = "running"

urlpatterns = [
    path("my/", views.my_items, name="my_items"),
    path("councils/<int:council_id>/statuses/", views.statuses_edit, name="statuses"),
]
