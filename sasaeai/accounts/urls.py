from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path

from .forms import LoginForm
from .views import members

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html", authentication_form=LoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]

# --- Members, invitations and new councils (issue 10) --------------------------------------------
member_patterns = [
    path("councils/<int:council_id>/members/", members.member_list, name="list"),
    path("councils/<int:council_id>/members/invite/", members.member_invite, name="invite"),
    path("councils/<int:council_id>/members/<int:membership_id>/", members.member_detail, name="detail"),
    path("councils/<int:council_id>/members/<int:membership_id>/role/", members.member_role, name="role"),
    path("councils/<int:council_id>/members/<int:membership_id>/suspend/", members.member_suspend, name="suspend"),
    path("councils/<int:council_id>/members/<int:membership_id>/restore/", members.member_restore, name="restore"),
    path(
        "councils/<int:council_id>/invitations/<int:invitation_id>/reissue/",
        members.invitation_reissue,
        name="reissue",
    ),
    path("councils/<int:council_id>/invitations/<int:invitation_id>/revoke/", members.invitation_revoke, name="revoke"),
    path("councils/<int:council_id>/invitations/<int:invitation_id>/sheet/", members.invitation_sheet, name="sheet"),
    path(
        "councils/<int:council_id>/invitations/<int:invitation_id>/sheet/qr.svg",
        members.invitation_sheet_qr,
        name="sheet_qr",
    ),
    path("councils/new/", members.council_create, name="council_new"),
    path("councils/<int:council_id>/new-child/", members.council_child_create, name="council_child_new"),
]
urlpatterns += [
    path("", include((member_patterns, "members"))),
    path("invite/", members.invitation_code, name="invitation_code"),
    path("invite/<str:token>/", members.invitation_accept, name="invitation_accept"),
]
