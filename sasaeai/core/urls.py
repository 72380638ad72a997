from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("alive/", views.alive, name="alive"),
    path("councils/<int:council_id>/", views.council_detail, name="council_detail"),
    path("councils/<int:council_id>/edit/", views.council_edit, name="council_edit"),
]
