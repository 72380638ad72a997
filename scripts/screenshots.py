"""Take Chromium screenshots of pages (a development aid: `python scripts/screenshots.py URL_PATH ...`).

Logs in as the demo admin against a running server and writes PNGs to ./screenshots/.
"""

import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = "http://127.0.0.1:8000"
OUT = Path("screenshots")


def main(paths, width=1400):
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(BASE + "/login/")
        page.fill("#id_username", "demo")
        page.fill("#id_password", "sasaeai-demo")
        page.click("button[type=submit]")
        for path in paths:
            page.goto(BASE + path)
            name = re.sub(r"[^a-zA-Z0-9]+", "_", path).strip("_") or "home"
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            print(OUT / f"{name}.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
