"""Error pages are Japanese, offer a way back, keep the cause to themselves and carry the right status."""

import re

import pytest
from django.template import loader
from django.test import Client, override_settings

JAPANESE = re.compile(r"[ぁ-んァ-ン一-龥]")
HOME_LINK = 'href="/"'
LOGIN_LINK = 'href="/login/"'


def _assert_error_page(response, status, heading):
    assert response.status_code == status
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert heading in html
    assert HOME_LINK in html and LOGIN_LINK in html
    assert "secret reason" not in html and "Traceback" not in html
    assert JAPANESE.search(html)
    return html


@pytest.fixture
def error_urls(settings):
    settings.ROOT_URLCONF = "sasaeai.core.tests.error_urls"
    assert settings.DEBUG is False


def test_missing_page_is_a_japanese_404(client_for, users):
    response = client_for(users["admin"]).get("/plans/999999/")
    _assert_error_page(response, 404, "ページが見つかりません")


def test_another_councils_plan_is_the_same_404(client_for, users, councils):
    from sasaeai.demo.generator import create_plan

    other = create_plan(council=councils["b"], nodes=3, issues=1, title="よその計画")
    response = client_for(users["admin"]).get(f"/plans/{other.pk}/")
    html = _assert_error_page(response, 404, "ページが見つかりません")
    assert "よその計画" not in html


@pytest.mark.django_db
def test_public_site_404_speaks_to_residents(client):
    """Under /public/ a resident is not told about accounts or sign-in; they are sent to the public site's top."""
    html = client.get("/public/no-such-council/").content.decode()
    assert "ページが見つかりません" in html and "公開が取り下げられた" in html
    assert 'href="/public/"' in html
    assert LOGIN_LINK not in html and "アカウント" not in html


@pytest.mark.django_db
def test_public_api_404_is_json_in_japanese(client):
    response = client.get("/public/api/v1/no/such/path")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "見つかりません" in response.json()["detail"]


def test_forbidden_is_a_japanese_403(client_for, users, error_urls):
    _assert_error_page(client_for(users["viewer"]).get("/__test__/forbidden/"), 403, "このページを開く権限がありません")


def test_bad_request_is_a_japanese_400(client, error_urls):
    _assert_error_page(client.get("/__test__/bad-request/"), 400, "リクエストを処理できませんでした")


def test_disallowed_host_is_a_japanese_400(client, settings):
    settings.ALLOWED_HOSTS = ["sasaeai.example.jp"]
    _assert_error_page(client.get("/login/", HTTP_HOST="evil.example"), 400, "リクエストを処理できませんでした")


def test_server_error_is_a_japanese_500_without_details(client, error_urls):
    client.raise_request_exception = False
    html = _assert_error_page(client.get("/__test__/broken/"), 500, "システムでエラーが起きました")
    assert "RuntimeError" not in html


def test_500_template_renders_without_a_request_or_the_database():
    # No db fixture: pytest-django makes any query here an error.
    html = loader.get_template("500.html").render()
    assert "システムでエラーが起きました" in html and HOME_LINK in html


def test_stale_form_is_a_japanese_csrf_page(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "x", "password": "y"})
    html = _assert_error_page(response, 403, "送信を受け付けられませんでした")
    assert "クッキー" in html and "長い時間" in html
    assert "CSRF" not in html  # no jargon, no reason string


@override_settings(DEBUG=False)
def test_favicon_answers(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/sasaeai/favicon.ico"
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"".join(icon.streaming_content if icon.streaming else [icon.content])[:4] == b"\x00\x00\x01\x00"


def test_pages_link_the_svg_icon(client):
    html = client.get("/login/").content.decode()
    assert '<link rel="icon" href="/static/sasaeai/favicon.svg" type="image/svg+xml">' in html
    assert client.get("/static/sasaeai/favicon.svg").status_code == 200


METHOD_PAGE = "sasaeai.core.middleware.MethodNotAllowedPageMiddleware"


@pytest.fixture
def method_page(settings):
    """The 405 page's middleware (added to settings.MIDDLEWARE by the merge; added here if not yet)."""
    if METHOD_PAGE not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, METHOD_PAGE]


POST_ONLY = [
    "/logout/",
    "/account/sign-out-everywhere/",
    "/account/two-factor/start/",
    "/account/two-factor/confirm/",
    "/account/two-factor/verify/",
    "/account/two-factor/disable/",
]


@pytest.mark.parametrize("path", POST_ONLY)
def test_a_get_on_a_post_only_address_is_a_japanese_405_with_a_way_back(client_for, users, method_page, path):
    for client in (client_for(users["editor"]), Client()):
        response = client.get(path)
        if response.status_code == 302:  # a visitor is sent to sign in first, which is fine too
            assert response["Location"].startswith("/login/")
            continue
        html = _assert_error_page(response, 405, "この操作は画面のボタンから行ってください")
        assert "POST" in response["Allow"]
        assert response["Content-Type"].startswith("text/html")
        assert "<script" not in html and "style=" not in html


def test_a_get_on_an_admins_post_only_address_is_the_405_page(client_for, users, councils, method_page):
    response = client_for(users["admin"]).get(f"/councils/{councils['a'].pk}/members/{users['editor'].pk}/unlock/")
    _assert_error_page(response, 405, "この操作は画面のボタンから行ってください")


def test_a_405_with_a_body_of_its_own_is_left_alone(rf, method_page):
    from django.http import HttpResponseNotAllowed

    from sasaeai.core.middleware import MethodNotAllowedPageMiddleware

    own = HttpResponseNotAllowed(["POST"], content=b"own")
    response = MethodNotAllowedPageMiddleware(lambda request: own)(rf.get("/x/"))
    assert response.content == b"own"
