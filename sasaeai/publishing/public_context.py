"""What every public page's template receives, and the cache of rendered public pages.

The reader's choices travel in the address (no cookie, no JavaScript): ``?ruby=1`` shows ふりがな,
``?easy=1`` the やさしい日本語 summaries. Any other query text is ignored.

With ``?ruby=1`` every text of the page gets ふりがな, not only the published text ``{% rb %}`` prints: after a
page is rendered, ``apply_ruby`` puts ruby on every text inside ``<body>`` that has kanji (headings and labels
written in the templates, addresses…), with the council's dictionary (``furigana.readings_for``). ``cached``
does it before keeping the page, so it runs once per page version. Text already inside ``<ruby>``, in
``<title>``, ``<svg>``, ``<script>``, ``<style>``, ``<textarea>``, ``<option>``, ``<code>`` or ``<pre>``, and
every attribute value, is left as it is; the rest of the page stays byte for byte the same (entities included).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode

from . import furigana, selectors
from .models import PublicSite
from .templatetags.public import ruby_html

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


# ------------------------------------------------------------------------------------------- ruby on the whole page

# A tag (its quoted attribute values may hold ">"), a comment, a doctype or other declaration.
_MARKUP = re.compile(
    r"<!--.*?-->|<![^>]*>|<\?[^>]*>|</?[A-Za-z][^\s/>]*(?:[^>\"']|\"[^\"]*\"|'[^']*')*>",
    re.DOTALL,
)
_TAG_NAME = re.compile(r"</?([A-Za-z][^\s/>]*)")
# Elements whose text keeps no ruby: ruby already, text that is not read as prose, or raw text.
_SKIP = frozenset({"ruby", "rt", "rp", "title", "svg", "script", "style", "textarea", "option", "code", "pre"})
_RAW_TEXT = frozenset({"script", "style"})
# Character references inside a text: analysed around, never through.
_ENTITY = re.compile(r"(&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?)")


def _text_pieces(html: str) -> list[tuple[str, bool]]:
    """The page cut into pieces (markup or text, as they are), each with whether it is text to put ruby on."""
    pieces: list[tuple[str, bool]] = []
    depth = {name: 0 for name in _SKIP}
    in_body = False
    position = 0
    while position < len(html):
        match = _MARKUP.search(html, position)
        start = match.start() if match else len(html)
        if start > position:
            text = html[position:start]
            pieces.append((text, in_body and not any(depth.values()) and furigana.has_kanji(text)))
        if match is None:
            break
        tag = match.group()
        pieces.append((tag, False))
        position = match.end()
        name_match = _TAG_NAME.match(tag)
        if name_match is None:
            continue
        name = name_match.group(1).lower()
        closing = tag.startswith("</")
        if name == "body":
            in_body = not closing
        elif name in _SKIP:
            if closing:
                depth[name] = max(0, depth[name] - 1)
            elif not tag.endswith("/>"):
                depth[name] += 1
                if name in _RAW_TEXT:  # its text may hold "<": jump to its end tag
                    end = re.compile(rf"</{name}\s*>", re.IGNORECASE).search(html, position)
                    stop = end.start() if end else len(html)
                    pieces.append((html[position:stop], False))
                    position = stop
    return pieces


def add_ruby(html: str, council_id: int | None) -> str:
    """``html`` with ruby on every text inside ``<body>`` that has kanji and no ruby yet (see the module)."""
    pieces = _text_pieces(html)
    texts = [
        part
        for text, readable in pieces
        if readable
        for part in _ENTITY.split(text)
        if part and not part.startswith("&") and furigana.has_kanji(part)
    ]
    if not texts:
        return html
    readings = furigana.readings_for(council_id, texts)
    out: list[str] = []
    for text, readable in pieces:
        if not readable:
            out.append(text)
            continue
        for part in _ENTITY.split(text):
            segments = readings.get(part) if not part.startswith("&") else None
            # The text is already escaped HTML without references: its characters go out as they are.
            out.append(_ruby_raw(segments) if segments else part)
    return "".join(out)


def _ruby_raw(segments: Segments) -> str:
    """Like ``ruby_html`` but for text that is HTML already: only the readings are added (and escaped)."""
    return "".join(str(ruby_html([[s, r]])) if r else s for s, r in segments)


def apply_ruby(request: HttpRequest, response: HttpResponse, council_id: int | None) -> HttpResponse:
    """Ruby on the whole rendered page when the reader asked for it (``?ruby=1``), for a 200 HTML page only."""
    if (
        not toggles(request)["ruby_on"]
        or response.status_code != 200
        or getattr(response, "streaming", False)
        or not response.get("Content-Type", "").startswith("text/html")
    ):
        return response
    charset = response.charset or "utf-8"
    response.content = add_ruby(response.content.decode(charset), council_id).encode(charset)
    return response


# ------------------------------------------------------------------------------------------- the page cache


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
    gzip_wanted = _accepts_gzip(request)
    # Two entries, so a request reads only the copy it is sent: most browsers take the small gzipped one.
    if gzip_wanted:
        hit: Any = cache.get(full + ":gz")
        if hit is not None:
            return _response(*hit, encoding="gzip")
    entry: Any = cache.get(full)
    if entry is None:
        response = apply_ruby(request, render(), site.council_id if site else None)
        if response.status_code != 200 or getattr(response, "streaming", False):
            return response
        # Gzipped once when kept: a city's residents on phones get the small copy, and no request pays for
        # compressing (GZipMiddleware would compress the same bytes on every request).
        entry = (response.content, response["Content-Type"])
        cache.set(full, entry, settings.SASAEAI_PUBLIC_CACHE_SECONDS)
        compressed = _gzip(entry[0])
        if compressed is not None:
            cache.set(full + ":gz", (compressed, entry[1]), settings.SASAEAI_PUBLIC_CACHE_SECONDS)
            if gzip_wanted:
                return _response(compressed, entry[1], encoding="gzip")
    return _response(*entry)


def _response(content: bytes, content_type: str, *, encoding: str = "") -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    patch_vary_headers(response, ["Accept-Encoding"])
    if encoding:
        response["Content-Encoding"] = encoding
    return response


GZIP_MIN_BYTES = 1024


def _gzip(content: bytes) -> bytes | None:
    """``content`` gzipped (fixed mtime, so the same page gives the same bytes), or None when it would not help."""
    if len(content) < GZIP_MIN_BYTES:
        return None
    compressed = gzip.compress(content, compresslevel=6, mtime=0)
    return compressed if len(compressed) < len(content) else None


def _accepts_gzip(request: HttpRequest) -> bool:
    return bool(re.search(r"\bgzip\b", request.headers.get("Accept-Encoding", "")))
