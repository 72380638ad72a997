"""QR codes for printed matter (概要版, flyer): one segno symbol, drawn as inline SVG or onto a ReportLab canvas.

Both drawings come from the same horizontal runs of dark modules (``runs``), so what the page shows and what
the PDF prints are the same symbol. The public pages forbid ``data:`` images, so the SVG is inline markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    import segno

QUIET_ZONE = 4  # modules of white border the standard asks for


def absolute_url(path: str) -> str:
    """``path`` on the installation's public address (``SASAEAI_BASE_URL``): printed QR codes must be absolute."""
    return settings.SASAEAI_BASE_URL.rstrip("/") + path


def make(url: str) -> segno.QRCode:
    import segno

    return segno.make(url, error="m")


def matrix(url: str) -> list[list[bool]]:
    """The symbol's modules (True = dark), without the quiet zone."""
    return [[bool(v) for v in row] for row in make(url).matrix]


def runs(modules: list[list[bool]]) -> list[tuple[int, int, int]]:
    """Horizontal runs of dark modules as (row, first column, length)."""
    result = []
    for y, row in enumerate(modules):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                result.append((y, start, x - start))
            else:
                x += 1
    return result


def svg(url: str, *, label: str = "", css_class: str = "qr") -> SafeString:
    """The QR code of ``url`` as an inline ``<svg>`` (one path; the size comes from CSS). ``label`` is what a
    screen reader says; by default the address itself."""
    modules = matrix(url)
    size = len(modules) + 2 * QUIET_ZONE
    d = "".join(f"M{x + QUIET_ZONE} {y + QUIET_ZONE}h{n}v1h-{n}z" for y, x, n in runs(modules))
    text = escape(label or url)
    return mark_safe(  # every piece is a number or escaped above
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{escape(css_class)}" viewBox="0 0 {size} {size}" '
        f'role="img" aria-label="{text}" shape-rendering="crispEdges" focusable="false">'
        f"<title>{text}</title>"
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{d}"/></svg>'
    )


def svg_modules(markup: str) -> list[list[bool]]:
    """Read the modules back from ``svg`` markup (for tests and checks): the inverse of the path above."""
    import re

    match = re.search(r'viewBox="0 0 (\d+) \d+"', markup)
    path = re.search(r'<path fill="#000" d="([^"]*)"', markup)
    if not match or not path:
        return []
    n = int(match.group(1)) - 2 * QUIET_ZONE
    modules = [[False] * n for _ in range(n)]
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", path.group(1)):
        for i in range(int(w)):
            modules[int(y) - QUIET_ZONE][int(x) - QUIET_ZONE + i] = True
    return modules


def flowable(url: str, size: float) -> Any:
    """A ReportLab flowable drawing the QR code of ``url`` as a ``size`` × ``size`` square (quiet zone included).

    Typed ``Any``: ReportLab has no type information, so a ``Flowable`` (and this subclass) is ``Any`` to mypy."""
    from reportlab.lib import colors
    from reportlab.platypus import Flowable

    modules = matrix(url)

    # ReportLab has no type information (no stubs in the lock), so its Flowable is Any to mypy.
    class QRCode(Flowable):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.url, self.modules = url, modules
            self.width = self.height = size
            self.drawn_runs: list[tuple[int, int, int]] = []

        def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
            return size, size

        def draw(self) -> None:
            count = len(self.modules) + 2 * QUIET_ZONE
            unit = size / count
            canv = self.canv
            canv.saveState()
            canv.setFillColor(colors.white)
            canv.rect(0, 0, size, size, stroke=0, fill=1)
            canv.setFillColor(colors.black)
            self.drawn_runs = runs(self.modules)
            for y, x, n in self.drawn_runs:
                # PDF y grows upwards: row 0 is at the top
                top = size - (y + QUIET_ZONE) * unit
                canv.rect((x + QUIET_ZONE) * unit, top - unit, n * unit, unit, stroke=0, fill=1)
            canv.restoreState()

    return QRCode()
