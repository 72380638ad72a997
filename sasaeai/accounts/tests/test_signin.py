"""Sign-in security: lock-out per account and per address (django-axes), the admin's unlock, where
people land after signing in, the idle timeout and the two-step code."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from sasaeai.accounts.models import Membership, User
from sasaeai.accounts.selectors import is_locked_out
from sasaeai.core.models import AuditEntry

PASSWORD = "pw-for-tests-123"
LIMIT = settings.AXES_FAILURE_LIMIT


def sign_in(client, username, password=PASSWORD, address="192.0.2.1", **data):
    return client.post(reverse("login"), {"username": username, "password": password, **data}, REMOTE_ADDR=address)


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def test_the_probe_thirty_wrong_passwords_then_the_right_one_is_refused(client, users):
    for _ in range(30):
        sign_in(client, "editor_a", "wrong-password")
    response = sign_in(client, "editor_a")
    assert response.status_code == 429
    assert "ログインが一時的に止められています" in response.content.decode()
    assert signed_in_as(client) is None


def test_an_account_is_locked_after_the_limit_from_any_address(client, users):
    for i in range(LIMIT - 1):
        response = sign_in(client, "editor_a", "wrong-password", address=f"192.0.2.{i + 10}")
        assert response.status_code == 200  # the form again, with its message
        assert "ユーザー名またはパスワードが違います" in response.content.decode()
    assert not is_locked_out(users["editor"])
    response = sign_in(client, "editor_a", "wrong-password", address="192.0.2.99")
    assert response.status_code == 429
    assert is_locked_out(users["editor"])
    # the right password from a fresh address is refused too; the page says how long and whom to ask
    response = sign_in(client, "editor_a", address="198.51.100.7")
    html = response.content.decode()
    assert response.status_code == 429 and signed_in_as(client) is None
    assert f"{settings.AXES_COOLOFF_TIME.seconds // 60}分ほど" in html and "社協管理者" in html
    # another account from that address is not affected
    assert sign_in(client, "viewer_a", address="198.51.100.7").status_code == 302
    assert signed_in_as(client) == str(users["viewer"].pk)


def test_an_address_is_locked_after_its_own_higher_limit_whatever_the_account(client, users):
    assert settings.SASAEAI_LOGIN_ADDRESS_FAILURE_LIMIT > LIMIT
    for i in range(settings.SASAEAI_LOGIN_ADDRESS_FAILURE_LIMIT - 1):
        sign_in(client, f"nobody-{i}", "wrong-password", address="203.0.113.5")
    assert sign_in(client, "admin_a", "wrong-password", address="203.0.113.5").status_code == 200
    response = sign_in(client, "viewer_a", address="203.0.113.5")
    html = response.content.decode()
    assert response.status_code == 429 and signed_in_as(client) is None
    assert "この場所（同じネットワーク）からのログイン" in html
    assert not is_locked_out(users["viewer"])  # the account itself is not locked
    assert sign_in(client, "viewer_a", address="203.0.113.6").status_code == 302


def test_colleagues_typos_in_one_office_do_not_lock_the_office_or_its_admin(client, users):
    """The review's case: one office address, 5 wrong passwords each for two colleagues."""
    for username in ("editor_a", "viewer_a"):
        for _ in range(5):
            assert sign_in(client, username, "wrong-password", address="198.51.100.20").status_code == 200
    assert sign_in(client, "admin_a", address="198.51.100.20").status_code == 302
    assert signed_in_as(client) == str(users["admin"].pk)
    client.logout()
    # a success clears that account's own failures, and only those
    assert sign_in(client, "editor_a", address="198.51.100.20").status_code == 302
    for _ in range(LIMIT - 1):
        sign_in(client, "editor_a", "wrong-password", address="198.51.100.21")
    assert not is_locked_out(users["editor"])


def test_a_suspended_person_with_the_right_password_is_told_so_and_a_wrong_one_learns_nothing(client, users):
    users["viewer"].is_active = False
    users["viewer"].save()
    response = sign_in(client, "viewer_a", address="198.51.100.30")
    assert response.status_code == 200 and signed_in_as(client) is None
    assert "このアカウントは使えません" in response.content.decode()
    wrong = sign_in(client, "viewer_a", "wrong-password", address="198.51.100.30").content.decode()
    assert "ユーザー名またはパスワードが違います" in wrong and "このアカウントは使えません" not in wrong


def test_a_locked_out_person_is_not_let_in_by_an_already_open_login_form(client, users):
    for _ in range(LIMIT):
        sign_in(client, "admin_a", "wrong-password")
    client.get(reverse("login"))
    assert sign_in(client, "admin_a").status_code == 429
    assert signed_in_as(client) is None


def lock(client, username):
    for _ in range(LIMIT):
        sign_in(client, username, "wrong-password", address="192.0.2.50")


def test_an_admin_unlocks_a_member_of_their_council(client, users, councils):
    lock(client, "editor_a")
    assert is_locked_out(users["editor"])
    client.force_login(users["admin"])
    url = reverse("accounts:unlock", args=[councils["a"].pk, users["editor"].pk])
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("council_detail", args=[councils["a"].pk])
    assert not is_locked_out(users["editor"])
    entry = AuditEntry.objects.get(action="account.unlock")
    assert entry.council == councils["a"] and entry.actor == users["admin"] and entry.target_label == "editor_a"
    client.logout()
    assert sign_in(client, "editor_a", address="192.0.2.51").status_code == 302


def test_unlock_answers_404_outside_the_admins_council_and_for_other_roles(client, users, councils, make_user):
    lock(client, "editor_a")
    url = reverse("accounts:unlock", args=[councils["a"].pk, users["editor"].pk])
    client.force_login(users["outsider"])  # admin of council b
    assert client.post(url).status_code == 404
    # council b's admin names their own council but a member of a: the same 404
    assert client.post(reverse("accounts:unlock", args=[councils["b"].pk, users["editor"].pk])).status_code == 404
    client.force_login(users["viewer"])
    assert client.post(url).status_code == 404
    client.force_login(users["admin"])
    assert client.get(url).status_code == 405  # no write on a GET
    assert client.post(reverse("accounts:unlock", args=[councils["a"].pk, 10**9])).status_code == 404
    assert is_locked_out(users["editor"])
    assert not AuditEntry.objects.filter(action="account.unlock").exists()
    # a member of a council below the admin's council can be unlocked
    child_member = make_user("child_editor", "editor", councils["a_child"])
    lock(client, "child_editor")
    assert client.post(reverse("accounts:unlock", args=[councils["a"].pk, child_member.pk])).status_code == 302
    assert not is_locked_out(child_member)


def test_the_axes_reset_commands_still_work(client, users):
    lock(client, "editor_a")
    call_command("axes_reset_username", "editor_a", stdout=__import__("io").StringIO())
    assert not is_locked_out(users["editor"])
    lock(client, "editor_a")
    call_command("axes_reset", stdout=__import__("io").StringIO())
    assert not is_locked_out(users["editor"])


# --- Where people land ---


@pytest.mark.parametrize(
    ("role", "where"),
    [
        ("reporter", "running:my_items"),
        ("leader", "running:my_items"),
        ("admin", "home"),
        ("editor", "home"),
        ("viewer", "home"),
    ],
)
def test_each_person_lands_where_their_work_is(client, users, role, where):
    response = sign_in(client, users[role].username)
    assert response.status_code == 302 and response["Location"] == reverse(where)


def test_a_committee_member_lands_on_the_evaluation_of_their_one_plan(client, users, small_plan):
    response = sign_in(client, "committee_a")
    assert response["Location"] == reverse("evaluation:plan", kwargs={"plan_id": small_plan.pk})


def test_a_committee_member_with_several_plans_lands_home(client, users, councils, small_plan):
    from sasaeai.demo.generator import create_plan

    create_plan(council=councils["a"], nodes=3, issues=1, title="もう一つの計画")
    assert sign_in(client, "committee_a")["Location"] == reverse("home")


def test_a_safe_next_wins_and_an_unsafe_one_is_ignored(client, users, small_plan):
    target = reverse("plans:overview", args=[small_plan.pk])
    assert sign_in(client, "role_reporter_a", next=target)["Location"] == target
    client.logout()
    for bad in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        assert sign_in(client, "role_reporter_a", next=bad)["Location"] == reverse("running:my_items")
        client.logout()


# --- Idle timeout ---


def test_a_session_ends_after_the_idle_time_and_each_request_moves_it_on(client, users):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    assert settings.SESSION_COOKIE_AGE == settings.SASAEAI_SESSION_IDLE_SECONDS == 8 * 60 * 60
    sign_in(client, "viewer_a")
    key = client.session.session_key
    session = Session.objects.get(session_key=key)
    assert abs((session.expire_date - timezone.now()) - timedelta(hours=8)) < timedelta(minutes=1)
    # an hour of work later the expiry has moved on
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + timedelta(hours=1))
    assert client.get(reverse("home")).status_code == 200
    assert Session.objects.get(session_key=key).expire_date > timezone.now() + timedelta(hours=7)
    # idle past the limit: signed out
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- Two-step sign-in ---


def test_with_two_step_on_the_password_alone_does_not_sign_in(client, users, confirmed_device, totp_code):
    device = confirmed_device(users["reporter"])
    response = sign_in(client, "role_reporter_a")
    assert response.status_code == 302 and response["Location"] == reverse("login_code")
    assert signed_in_as(client) is None
    assert client.get(reverse("home")).status_code == 302  # still a visitor
    response = client.post(reverse("login_code"), {"token": "000000" if totp_code(device) != "000000" else "111111"})
    assert response.status_code == 200 and signed_in_as(client) is None
    assert "確認コードが違います" in response.content.decode()
    device.refresh_from_db()
    device.throttling_failure_count = 0  # skip django-otp's back-off in the test
    device.save()
    response = client.post(reverse("login_code"), {"token": totp_code(device)})
    assert response.status_code == 302 and response["Location"] == reverse("running:my_items")
    assert signed_in_as(client) == str(users["reporter"].pk)
    assert client.get(reverse("home")).status_code == 200


def test_the_code_page_without_a_password_first_goes_back_to_sign_in(client, users):
    response = client.get(reverse("login_code"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.post(reverse("login_code"), {"token": "123456"})["Location"] == reverse("login")


@pytest.mark.parametrize("token", ["", "abcdef", "12345", "1234567", "９９９９９９", "x" * 20])
def test_malformed_codes_are_refused_in_japanese(client, users, confirmed_device, token):
    confirmed_device(users["viewer"])
    sign_in(client, "viewer_a")
    response = client.post(reverse("login_code"), {"token": token})
    assert response.status_code == 200 and signed_in_as(client) is None
    assert "error-box" in response.content.decode() or "field-error" in response.content.decode()


def test_wrong_codes_count_as_failed_sign_ins(client, users, confirmed_device, totp_code):
    device = confirmed_device(users["viewer"])
    sign_in(client, "viewer_a", address="192.0.2.77")
    wrong = "000000" if totp_code(device) != "000000" else "111111"
    statuses = []
    for _ in range(LIMIT):
        statuses.append(client.post(reverse("login_code"), {"token": wrong}, REMOTE_ADDR="192.0.2.77").status_code)
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}
    assert is_locked_out(users["viewer"])
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.save()
    response = client.post(reverse("login_code"), {"token": totp_code(device)}, REMOTE_ADDR="192.0.2.77")
    assert response.status_code == 429 and signed_in_as(client) is None


def test_a_child_councils_requirement_reaches_the_admins_of_the_council_above(client, users, councils):
    """The admin of council a is an admin of a's child council too, so the child's rule applies to them."""
    from sasaeai.core.services import council_update

    council_update(council=councils["a_child"], by=users["admin"], require_admin_two_factor=True)
    client.force_login(users["admin"])
    assert client.get(reverse("home"))["Location"] == reverse("accounts:two_factor")
    client.force_login(users["outsider"])  # admin of council b: not concerned
    assert client.get(reverse("home")).status_code == 200


def test_a_council_can_require_two_step_of_its_admins(client, users, councils, totp_code):
    from sasaeai.core.services import council_update

    council_update(council=councils["a"], by=users["admin"], require_admin_two_factor=True)
    client.force_login(users["admin"])
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:two_factor")
    assert client.get(reverse("council_detail", args=[councils["a"].pk]))["Location"] == reverse("accounts:two_factor")
    # the set-up pages themselves open
    assert client.get(reverse("accounts:two_factor")).status_code == 200
    client.post(reverse("accounts:two_factor_start"))
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=users["admin"])
    assert client.get(reverse("accounts:two_factor_qr")).status_code == 200
    client.post(reverse("accounts:two_factor_confirm"), {"token": totp_code(device)})
    assert client.get(reverse("home")).status_code == 200
    # other roles of that council are not asked
    client.force_login(users["editor"])
    assert client.get(reverse("home")).status_code == 200
    # the admin cannot turn it off while the council requires it
    client.force_login(users["admin"])
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("accounts:two_factor")  # a new session: the code first
    client.post(reverse("accounts:two_factor_verify"), {"token": totp_code(device, offset=1)})
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("accounts:two_factor_disable"), {"token": totp_code(device, offset=2)}, follow=True)
    assert TOTPDevice.objects.filter(user=users["admin"], confirmed=True).exists()


def test_an_admin_resets_a_members_two_step_setting(client, users, councils, confirmed_device):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    confirmed_device(users["reporter"])
    url = reverse("accounts:two_factor_reset", args=[councils["a"].pk, users["reporter"].pk])
    client.force_login(users["outsider"])
    assert client.post(url).status_code == 404
    client.force_login(users["editor"])
    assert client.post(url).status_code == 404
    assert TOTPDevice.objects.filter(user=users["reporter"]).exists()
    client.force_login(users["admin"])
    assert client.post(url).status_code == 302
    assert not TOTPDevice.objects.filter(user=users["reporter"]).exists()
    entry = AuditEntry.objects.get(action="account.two_factor_reset")
    assert entry.actor == users["admin"] and entry.council == councils["a"]
    client.logout()
    assert sign_in(client, "role_reporter_a")["Location"] == reverse("running:my_items")  # password alone again


def test_an_admin_of_one_council_cannot_reset_two_step_of_someone_who_also_belongs_elsewhere(
    client, users, councils, confirmed_device
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    # the reporter of council a is also an admin of council b (which council a's admin does not manage)
    Membership.objects.create(user=users["reporter"], council=councils["b"], role="admin")
    confirmed_device(users["reporter"])
    client.force_login(users["admin"])
    url = reverse("accounts:two_factor_reset", args=[councils["a"].pk, users["reporter"].pk])
    response = client.post(url, follow=True)
    assert "ほかの社協にも所属しているため" in response.content.decode()
    assert TOTPDevice.objects.filter(user=users["reporter"], confirmed=True).exists()
    assert not AuditEntry.objects.filter(action="account.two_factor_reset").exists()
    # once that other membership is suspended, council a's admin covers every active one
    Membership.objects.filter(user=users["reporter"], council=councils["b"]).update(suspended_at=timezone.now())
    client.post(url)
    assert not TOTPDevice.objects.filter(user=users["reporter"]).exists()


def test_membership_and_user_counts_unchanged_by_sign_in(client, users):
    before = (User.objects.count(), Membership.objects.count())
    for _ in range(3):
        sign_in(client, "admin_a", "wrong")
    assert (User.objects.count(), Membership.objects.count()) == before


def test_attempt_records_keep_no_password_or_code(client, users, confirmed_device):
    from axes.models import AccessAttempt

    sign_in(client, "admin_a", "secret-guess-1")
    confirmed_device(users["viewer"])
    sign_in(client, "viewer_a")
    client.post(reverse("login_code"), {"token": "424242"})
    stored = " ".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert stored and "secret-guess-1" not in stored and "424242" not in stored


def test_the_bulk_lock_check_names_only_the_locked(client, users, django_assert_num_queries):
    from sasaeai.accounts.selectors import locked_out_usernames

    lock(client, "editor_a")
    sign_in(client, "viewer_a", "wrong", address="192.0.2.60")
    with django_assert_num_queries(1):
        assert locked_out_usernames(["editor_a", "viewer_a", "admin_a"]) == {"editor_a"}


def test_the_member_screens_show_a_lock_out_and_unlock_it_from_the_member_page(client, users, councils):
    lock(client, "editor_a")
    membership = Membership.objects.get(user=users["editor"], council=councils["a"])
    client.force_login(users["admin"])
    listing = client.get(reverse("members:list", args=[councils["a"].pk])).content.decode()
    assert listing.count("ログインがロック中") == 1
    detail_url = reverse("members:detail", args=[councils["a"].pk, membership.pk])
    page = client.get(detail_url).content.decode()
    assert "ログインがロックされています" in page
    assert reverse("accounts:unlock", args=[councils["a"].pk, users["editor"].pk]) in page
    response = client.post(
        reverse("accounts:unlock", args=[councils["a"].pk, users["editor"].pk]), {"next": detail_url}
    )
    assert response.status_code == 302 and response["Location"] == detail_url
    assert not is_locked_out(users["editor"])
    assert "ログインがロック中" not in client.get(reverse("members:list", args=[councils["a"].pk])).content.decode()
    assert "ログインはロックされていません" in client.get(detail_url).content.decode()


def test_logging_out_says_so_on_the_sign_in_page(client, users):
    client.force_login(users["editor"])
    response = client.post(reverse("logout"), follow=True)
    assert response.request["PATH_INFO"] == reverse("login")
    assert "ログアウトしました。" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302  # signed out indeed
    # a visitor posting to /logout/ is told nothing of the kind
    response = client.post(reverse("logout"), follow=True)
    assert "ログアウトしました。" not in response.content.decode()
