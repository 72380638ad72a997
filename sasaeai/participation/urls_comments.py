"""Staff pages of パブリックコメント (``participation.comments``)."""
from django.urls import path

from . import views_comments as views

app_name = "comments"
urlpatterns = [
    path("plans/<int:plan_id>/public-comment/", views.periods, name="periods"),
    path("plans/<int:plan_id>/public-comment/new/", views.period_form, name="period_new"),
    path("plans/<int:plan_id>/public-comment/<int:period_id>/", views.comment_list, name="comments"),
    path("plans/<int:plan_id>/public-comment/<int:period_id>/edit/", views.period_form, name="period_edit"),
    path("plans/<int:plan_id>/public-comment/<int:period_id>/publish/", views.publish, name="publish"),
    path("plans/<int:plan_id>/public-comment/<int:period_id>/export/", views.export, name="export"),
    path("plans/<int:plan_id>/public-comment/<int:period_id>/comments/<int:number>/", views.comment_edit,
         name="comment"),
]
