"""Issue 10 in Chromium: a 社協管理者 invites a member by e-mail; the member sets a password and sees only
their council; the admin changes the role, then suspends them, and the member's open session stops working."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from .conftest import login

pytestmark = pytest.mark.browser


@pytest.fixture
def council_site(live_server, transactional_db, settings):
    from sasaeai.accounts.models import Membership, User
    from sasaeai.core.services import council_create

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SASAEAI_BASE_URL = live_server.url
    council = council_create(name="テスト市社会福祉協議会")
    council_create(name="よそ市社会福祉協議会")
    admin = User.objects.create_user("kanri", password="pw-for-browser-1", display_name="管理 一郎")
    Membership.objects.create(user=admin, council=council, role="admin")
    return {"base": live_server.url, "council": council}


def test_admin_invites_a_member_who_joins_then_is_demoted_and_suspended(browser, council_site):
    base, council = council_site["base"], council_site["council"]
    contexts = [browser.new_context(viewport={"width": 1300, "height": 900}, locale="ja-JP") for _ in range(2)]
    try:
        admin, member = (context.new_page() for context in contexts)
        login(admin, base, "kanri", "pw-for-browser-1")
        admin.goto(f"{base}/councils/{council.pk}/")
        admin.get_by_role("link", name="メンバー", exact=True).click()
        admin.get_by_role("link", name="メンバーを招待する").click()
        admin.get_by_label("氏名").fill("山田 花子")
        admin.get_by_label("メールアドレス").fill("hanako@example.jp")
        admin.get_by_label("役割").select_option(label="閲覧者")
        admin.get_by_role("button", name="招待する").click()
        expect(admin.locator(".messages")).to_contain_text("hanako@example.jp に招待のメールを送りました")
        expect(admin.locator("tr.member-invited, tr.member-active", has_text="山田 花子")).to_contain_text("招待中")

        (message,) = mail.outbox
        link = re.search(r"http://\S+/invite/[A-Z0-9]+/", message.body).group(0)
        member.goto(link)
        expect(member.locator("h1")).to_have_text("ささえあいへの参加")
        member.get_by_label("ユーザー名").fill("hanako")
        member.locator("#id_password1").fill("hanako-no-himitsu-7")
        member.locator("#id_password2").fill("hanako-no-himitsu-7")
        member.get_by_role("button", name="パスワードを決めて参加する").click()
        member.wait_for_url(base + "/")
        expect(member.locator("main")).to_contain_text("テスト市社会福祉協議会")
        expect(member.locator("main")).to_contain_text("あなたの役割: 閲覧者")
        expect(member.locator("main")).not_to_contain_text("よそ市社会福祉協議会")

        # The member signs out and in again with the password they chose.
        member.get_by_role("button", name="ログアウト").click()
        login(member, base, "hanako", "hanako-no-himitsu-7")

        admin.reload()
        row = admin.locator("tr.member-invited, tr.member-active", has_text="山田 花子")
        expect(row).to_contain_text("有効")
        row.get_by_role("link", name="役割・利用の変更").click()
        admin.locator("#id_role").select_option(label="報告担当者")
        admin.get_by_role("button", name="役割を保存する").click()
        expect(admin.locator(".messages")).to_contain_text("山田 花子 さんの役割を変えました")
        member.reload()
        expect(member.locator("main")).to_contain_text("あなたの役割: 報告担当者")

        admin.get_by_role("button", name="利用を停止する").click()
        expect(admin.locator(".messages")).to_contain_text("山田 花子 さんの利用を停止しました")
        member.goto(f"{base}/councils/{council.pk}/")
        member.wait_for_url(re.compile(r".*/login/.*"))
        expect(member.locator("h1")).to_have_text("ログイン")
        # And the password no longer signs them in.
        member.get_by_label("ユーザー名").fill("hanako")
        member.get_by_label("パスワード").fill("hanako-no-himitsu-7")
        member.get_by_role("button", name="ログイン").click()
        expect(member.locator(".error-box")).to_be_visible()
    finally:
        for context in contexts:
            context.close()


def test_a_volunteer_who_forgot_the_password_gets_a_new_sheet_and_types_its_code_full_width(browser, council_site):
    from sasaeai.accounts.models import Membership, User

    base, council = council_site["base"], council_site["council"]
    volunteer = User.objects.create_user("yamada", password="old-password-42", display_name="山田 太郎")
    membership = Membership.objects.create(user=volunteer, council=council, role="reporter")
    contexts = [browser.new_context(viewport={"width": 375, "height": 800}, locale="ja-JP") for _ in range(2)]
    try:
        admin, person = (context.new_page() for context in contexts)
        login(admin, base, "kanri", "pw-for-browser-1")
        admin.goto(f"{base}/councils/{council.pk}/members/{membership.pk}/")
        admin.get_by_role("button", name="ログイン用紙を発行し直す（パスワードを忘れたとき）").click()
        expect(admin.locator(".sheet-title")).to_contain_text("パスワードの再設定")
        expect(admin.get_by_role("button", name="印刷する")).to_be_visible()
        expect(admin.locator(".signin-sheet")).not_to_contain_text("左のQRコード")
        code = admin.locator(".sheet-code").inner_text().strip()

        # Typed with the Japanese IME on: full-width letters and a full-width dash.
        full_width = code.replace("-", "－").translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
        person.goto(f"{base}/invite/")
        person.get_by_label("ログイン用紙のコード").fill(full_width)
        person.get_by_role("button", name="次へ").click()
        expect(person.locator("h1")).to_have_text("パスワードを決め直す")
        person.locator("#id_password1").fill("new-password-for-yamada")
        person.locator("#id_password2").fill("new-password-for-yamada")
        person.get_by_role("button", name="パスワードを決めてログインする").click()
        person.wait_for_url(lambda url: "/invite/" not in url)
        expect(person.locator(".messages")).to_contain_text("新しいパスワードを決めました")
        person.get_by_role("button", name="ログアウト").click()
        login(person, base, "yamada", "new-password-for-yamada")
    finally:
        for context in contexts:
            context.close()
