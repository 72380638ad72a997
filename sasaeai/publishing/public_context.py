"""What every public page's template receives, and the cache of rendered public pages.

The reader's choices travel in the address (no cookie, no JavaScript): ``?ruby=1`` shows ふりがな,
``?easy=1`` the やさしい日本語 summaries. Any other query text is ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.http import urlencode

from . import selectors
from .models import PublicSite

if TYPE_CHECKING:
    from .furigana import Segments


def toggles(request: HttpRequest) -> dict[str, bool]:
    return {"ruby_on": request.GET.get("ruby") == "1", "easy_on": request.GET.get("easy") == "1"}


def toggle_query(*, ruby_on: bool, easy_on: bool) -> str:
    params = {k: "1" for k, on in (("ruby", ruby_on), ("easy", easy_on)) if on}
    return ("?" + urlencode(params)) if params else ""


def public_context(
    request: HttpRequest, *, site: PublicSite | None = None, readings: dict[str, Segments] | None = None
) -> dict[str, Any]:
    t = toggles(request)
    return {
        "site": site,
        "council": site.council if site else None,
        "readings": readings or {},
        **t,
        # The same page with one choice switched (links in the header), and the query to keep on links.
        "keep_query": toggle_query(**t),
        "ruby_toggle_query": toggle_query(ruby_on=not t["ruby_on"], easy_on=t["easy_on"]),
        "easy_toggle_query": toggle_query(ruby_on=t["ruby_on"], easy_on=not t["easy_on"]),
    }


def cached(request: HttpRequest, site: PublicSite | None, key: str, render: Callable[[], HttpResponse]) -> HttpResponse:
    """The page from the cache, or rendered and kept. The key holds the site's version (bumped on every publish)
    and the reader's choices, so a publication or withdrawal shows at once."""
    t = toggles(request)
    full = ":".join(
        [
            selectors.cache_key(site, key) if site else f"public:-:{key}",
            "r" if t["ruby_on"] else "",
            "e" if t["easy_on"] else "",
        ]
    )
    entry: Any = cache.get(full)
    if entry is not None:
        content, content_type = entry
        return HttpResponse(content, content_type=content_type)
    response = render()
    if response.status_code == 200 and not getattr(response, "streaming", False):
        cache.set(full, (response.content, response["Content-Type"]), settings.SASAEAI_PUBLIC_CACHE_SECONDS)
    return response
