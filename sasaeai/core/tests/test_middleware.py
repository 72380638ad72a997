"""TrustedProxyMiddleware: the client's address behind trusted proxies, and spoofing attempts."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import RequestFactory

from sasaeai.core.middleware import TrustedProxyMiddleware, client_address, parse_address, trusted_networks

PROXY = "10.0.0.5"


def seen(settings, remote, xff=None, proxies=(PROXY,)):
    """The REMOTE_ADDR the view sees for a request from ``remote`` carrying ``xff``."""
    settings.SASAEAI_TRUSTED_PROXIES = tuple(proxies)
    captured = {}

    def view(request):
        captured["addr"] = request.META["REMOTE_ADDR"]
        captured["proxy"] = request.META.get("SASAEAI_PROXY_ADDR")
        return HttpResponse("ok")

    extra = {"REMOTE_ADDR": remote}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    response = TrustedProxyMiddleware(view)(RequestFactory().get("/", **extra))
    assert response.status_code == 200
    return captured["addr"]


def test_the_client_behind_a_trusted_proxy(settings):
    assert seen(settings, PROXY, "203.0.113.7") == "203.0.113.7"


def test_without_trusted_proxies_the_header_is_ignored(settings):
    assert seen(settings, PROXY, "203.0.113.7", proxies=()) == PROXY


def test_a_client_sending_its_own_header_is_not_believed(settings):
    # no proxy in between: REMOTE_ADDR is the client, whatever it claims
    assert seen(settings, "198.51.100.9", "203.0.113.7") == "198.51.100.9"
    assert seen(settings, "198.51.100.9", PROXY) == "198.51.100.9"


def test_spoofed_entries_left_of_the_client_are_ignored(settings):
    # the client sent "X-Forwarded-For: 1.1.1.1, 10.0.0.5"; the proxy appended the real address
    assert seen(settings, PROXY, "1.1.1.1, 10.0.0.5, 203.0.113.7") == "203.0.113.7"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(settings):
    proxies = ("10.0.0.0/24", "192.168.1.1")
    assert seen(settings, "192.168.1.1", "8.8.8.8, 203.0.113.7, 10.0.0.9", proxies=proxies) == "203.0.113.7"
    # a request made by a proxy itself: the left-most trusted hop
    assert seen(settings, "192.168.1.1", "10.0.0.3, 10.0.0.9", proxies=proxies) == "10.0.0.3"


@pytest.mark.parametrize(
    "xff",
    [
        "unknown",
        "203.0.113.7, unknown",
        "203.0.113.7, <script>",
        "",
        " , ",
        "999.1.1.1",
        "203.0.113.7:notaport:x",
        "[2001:db8::1",
        "a" * 5000,
        "\x00",
    ],
)
def test_a_malformed_header_keeps_the_proxy_address(settings, xff):
    assert seen(settings, PROXY, xff) == PROXY


def test_a_malformed_entry_left_of_the_client_does_not_matter(settings):
    assert seen(settings, PROXY, "garbage, 203.0.113.7") == "203.0.113.7"


def test_ports_and_ipv6(settings):
    assert seen(settings, PROXY, "203.0.113.7:4711") == "203.0.113.7"
    assert seen(settings, PROXY, "[2001:db8::1]:443") == "2001:db8::1"
    assert seen(settings, PROXY, "2001:db8::1") == "2001:db8::1"
    assert seen(settings, "::ffff:10.0.0.5", "203.0.113.7") == "203.0.113.7"
    assert seen(settings, "fd00::1", "203.0.113.7", proxies=("fd00::/8",)) == "203.0.113.7"


def test_a_long_chain_is_cut(settings):
    xff = ", ".join(["203.0.113.7"] + [PROXY] * 50)
    assert seen(settings, PROXY, xff) == PROXY  # the walk stops after 20 trusted hops


def test_the_proxy_address_is_kept_for_logs(settings):
    settings.SASAEAI_TRUSTED_PROXIES = (PROXY,)
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7")
    TrustedProxyMiddleware(lambda r: HttpResponse())(request)
    assert request.META["REMOTE_ADDR"] == "203.0.113.7" and request.META["SASAEAI_PROXY_ADDR"] == PROXY


def test_a_wrong_setting_fails_at_startup(settings):
    settings.SASAEAI_TRUSTED_PROXIES = ("10.0.0.5", "proxy.example")
    with pytest.raises(ImproperlyConfigured, match=r"proxy\.example"):
        TrustedProxyMiddleware(lambda r: HttpResponse())
    settings.SASAEAI_TRUSTED_PROXIES = "10.0.0.5, 10.1.0.0/16"  # a string is accepted too
    TrustedProxyMiddleware(lambda r: HttpResponse())


def test_parse_address():
    assert str(parse_address(" 203.0.113.7 ")) == "203.0.113.7"
    assert parse_address("example.com") is None
    assert parse_address("[::1]x") is None
    nets = trusted_networks(("10.0.0.0/8",))
    assert client_address("", "203.0.113.7", nets) == ""
    assert client_address("not-an-ip", "203.0.113.7", nets) == "not-an-ip"


def test_the_middleware_runs_first_after_security(settings):
    from django.conf import settings as live

    assert live.MIDDLEWARE.index("sasaeai.core.middleware.TrustedProxyMiddleware") == 1
    assert live.MIDDLEWARE[0] == "django.middleware.security.SecurityMiddleware"
