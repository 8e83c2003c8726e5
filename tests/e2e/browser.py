"""What both browser tests share: Debian's Chromium driven by Playwright, page sizes, and the
accessibility basics checked at every step."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Playwright cannot download a browser here; without the network flags Chromium keeps trying a closed network.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
BASICS = """() => {
  const unlabelled = [...document.querySelectorAll('input, select, textarea')]
    .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
    .map(e => e.name || e.id);
  return {lang: document.documentElement.lang, h1: document.querySelectorAll('h1').length, unlabelled,
          sideways: document.documentElement.scrollWidth - window.innerWidth};
}"""


def playwright_or_skip() -> ModuleType:
    """Playwright's sync API; the calling test module is skipped, saying how, where Chromium is missing."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is needed for the browser tests: install it with `apt-get install chromium` (Debian)",
                    allow_module_level=True)
    return pytest.importorskip("playwright.sync_api", reason="pip install playwright (requirements-test.txt)")
