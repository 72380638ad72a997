"""The real client address behind trusted reverse proxies.

Behind a reverse proxy ``REMOTE_ADDR`` is the proxy's address, so every resident would share one
rate limit (public comments, online surveys, sign-in throttling). ``TrustedProxyMiddleware`` rewrites
``request.META["REMOTE_ADDR"]`` to the client's address, taken from ``X-Forwarded-For`` — but only
when the request comes from an address listed in ``SASAEAI_TRUSTED_PROXIES`` (IP addresses or CIDR
networks). Anyone can send an ``X-Forwarded-For`` header, so:

- a request whose ``REMOTE_ADDR`` is not a trusted proxy keeps its ``REMOTE_ADDR``; the header is
  ignored;
- otherwise the entries are walked from the right (each proxy appends the address it received the
  request from): trusted proxies are skipped, and the first entry that is not a trusted proxy is the
  client. Entries to the left of it were written by the client itself and are never read;
- an entry that is not an IP address (``unknown``, a host name, garbage) stops the walk and the
  request keeps the address of the nearest proxy (``REMOTE_ADDR``): the header cannot be trusted
  from there on, and falling back to the proxy's address errs toward a stricter limit, never a
  looser one. Ports (``203.0.113.7:4711``, ``[2001:db8::1]:443``) are removed;
- when every entry is a trusted proxy, the left-most one is the client (a request made by a proxy).

The proxy's own address is kept in ``request.META["SASAEAI_PROXY_ADDR"]`` for logs.
Placed right after ``SecurityMiddleware`` so that everything after it sees the client's address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_HOPS = 20  # entries read from the right at most; a longer header is cut (the walk stops there)


def _setting() -> tuple[str, ...]:
    value = getattr(settings, "SASAEAI_TRUSTED_PROXIES", ())
    if isinstance(value, str):
        value = value.split(",")
    return tuple(str(v).strip() for v in value if str(v).strip())


@lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """The networks of ``SASAEAI_TRUSTED_PROXIES``; a wrong entry is a configuration error at startup."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"SASAEAI_TRUSTED_PROXIES: {entry!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)"
            ) from None
    return tuple(networks)


def parse_address(value: str) -> IPAddress | None:
    """An address as a proxy writes it (``1.2.3.4``, ``1.2.3.4:80``, ``2001:db8::1``, ``[2001:db8::1]:80``),
    or None when it is not one. IPv4-mapped IPv6 addresses become IPv4."""
    value = value.strip()
    if not value or len(value) > 64:
        return None
    if value.startswith("["):
        end = value.find("]")
        if end == -1 or (value[end + 1 :] and not value[end + 1 :].startswith(":")):
            return None
        value = value[1:end]
    elif value.count(":") == 1:  # IPv4 with a port
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_address(remote_addr: str, forwarded_for: str, networks: tuple[IPNetwork, ...]) -> str:
    """The client's address for a request from ``remote_addr`` carrying ``forwarded_for`` (see the module)."""
    if not networks or not forwarded_for:
        return remote_addr
    proxy = parse_address(remote_addr)
    if proxy is None or not _is_trusted(proxy, networks):
        return remote_addr
    last_trusted: IPAddress = proxy
    for raw in reversed(forwarded_for.split(",")[-MAX_HOPS:]):
        hop = parse_address(raw)
        if hop is None:
            return remote_addr  # malformed: nothing left of here can be trusted
        if not _is_trusted(hop, networks):
            return str(hop)
        last_trusted = hop
    return str(last_trusted)


class TrustedProxyMiddleware:
    """Sets ``REMOTE_ADDR`` to the client's address when the request came through a trusted proxy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        trusted_networks(_setting())  # a wrong setting fails at startup, not on the first request

    def __call__(self, request: HttpRequest) -> HttpResponse:
        networks = trusted_networks(_setting())
        if networks:
            remote = request.META.get("REMOTE_ADDR", "") or ""
            forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "") or ""
            client = client_address(remote, forwarded, networks)
            if client != remote:
                request.META["SASAEAI_PROXY_ADDR"] = remote
                request.META["REMOTE_ADDR"] = client
        return self.get_response(request)


class MethodNotAllowedPageMiddleware:
    """A Japanese 405 page with a way back, in place of the empty body of ``HttpResponseNotAllowed``.

    Opening a POST-only address (``/logout/``, a bookmarked button's address) with GET otherwise shows
    the browser's own blank error. The status (405) and the ``Allow`` header stay as they were."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and not getattr(response, "streaming", False) and not response.content:
            from django.template import loader

            response.content = loader.render_to_string("405.html", {"allowed": response.get("Allow", "")}, request)
            response["Content-Type"] = "text/html; charset=utf-8"
        return response
