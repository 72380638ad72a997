"""Public pages (no login): パブリックコメント."""
from django.urls import path

from . import views_public as views

app_name = "public"
urlpatterns = [
    path("public/comment/<str:key>/", views.comment_page, name="comment"),
    path("public/comment/<str:key>/submit/", views.comment_submit, name="comment_submit"),
    path("public/comment/<str:key>/thanks/<int:number>/", views.comment_thanks, name="comment_thanks"),
    path("public/comment/<str:key>/results/", views.comment_results, name="comment_results"),
]
