from django.urls import URLPattern, URLResolver, include, path

from .views import account, login, members

# Own account, password reset and the admin's unlock / two-step reset: namespace ``accounts:``.
account_patterns = [
    path("account/", account.account_home, name="home"),
    path("account/name/", account.display_name, name="display_name"),
    path("account/password/", account.AccountPasswordChangeView.as_view(), name="password_change"),
    path("account/email/", account.email_change, name="email_change"),
    path("account/email/confirm/<str:token>/", account.email_confirm, name="email_confirm"),
    path("account/sign-out-everywhere/", account.sign_out_everywhere, name="sign_out_everywhere"),
    path("account/two-factor/", account.two_factor, name="two_factor"),
    path("account/two-factor/start/", account.two_factor_start, name="two_factor_start"),
    path("account/two-factor/qr.svg", account.two_factor_qr, name="two_factor_qr"),
    path("account/two-factor/confirm/", account.two_factor_confirm, name="two_factor_confirm"),
    path("account/two-factor/verify/", account.two_factor_verify, name="two_factor_verify"),
    path("account/two-factor/disable/", account.two_factor_disable, name="two_factor_disable"),
    path("councils/<int:council_id>/members/<int:user_id>/unlock/", account.unlock, name="unlock"),
    path(
        "councils/<int:council_id>/members/<int:user_id>/two-factor-reset/",
        account.two_factor_reset,
        name="two_factor_reset",
    ),
    path("password-reset/", account.AccountPasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", account.AccountPasswordResetSentView.as_view(), name="password_reset_sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        account.AccountPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", account.AccountPasswordResetCompleteView.as_view(), name="password_reset_complete"),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("login/", login.SasaeaiLoginView.as_view(), name="login"),
    path("login/code/", login.login_code, name="login_code"),
    path("logout/", account.AccountLogoutView.as_view(), name="logout"),
    path("", include((account_patterns, "accounts"))),
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
        "councils/<int:council_id>/members/<int:membership_id>/reset-sheet/",
        members.member_reset_sheet,
        name="reset_sheet",
    ),
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
