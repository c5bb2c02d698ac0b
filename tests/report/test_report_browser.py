"""The report in a real headless browser (Debian's chromium): every image decodes and is laid
out, the page as shipped (with its Content-Security-Policy) looks exactly like the probed copy,
and hostile page texts and URLs stay text. Skips only when chromium is not installed
(`make test` installs it as root: apt-get install chromium)."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from webcurate.report import StageOutput
from webcurate.report.build import render

BROWSER_TIMEOUT_S = 120
#: Runs after load in a copy of the page (the shipped page's CSP forbids every script): counts
#: images that decoded and are laid out, and the elements a successful injection would leave.
PROBE = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const good = images.filter(
    i => i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().width > 0);
  const handlers = document.querySelectorAll("[onerror],[onload],[onclick],iframe,object,embed");
  const links = Array.from(document.links).filter(
    a => !/^(https?:|#)/.test(a.getAttribute("href")));
  document.body.setAttribute("data-probe", JSON.stringify({
    images: images.length, decoded: good.length, scripts: document.scripts.length,
    handlers: handlers.length, bad_links: links.length, pwned: window.__pwned === true,
    title: document.title}));
});
</script>"""


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium; "
                    "`make test` installs it when run as root)")
    return found


def _browser(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
         "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}",
         "--virtual-time-budget=10000", *args],
        capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S, check=True)


def probe(chromium: str, page: Path, tmp_path: Path) -> dict:
    """Load a copy of ``page`` without its CSP and with :data:`PROBE`; return what it saw."""
    text = page.read_text(encoding="utf-8")
    copy = tmp_path / f"probed-{page.stem}.html"
    unlocked = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)
    copy.write_text(unlocked.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = _browser(chromium, tmp_path / "profile-probe", "--dump-dom", copy.as_uri()).stdout
    found = re.search(r'data-probe="([^"]*)"', dom)
    assert found, f"the probe did not run: {dom[:500]}"
    return json.loads(html.unescape(found.group(1)))


def screenshot(chromium: str, page: Path, tmp_path: Path, name: str) -> Image.Image:
    out = tmp_path / f"{name}.png"
    _browser(chromium, tmp_path / f"profile-{name}", f"--screenshot={out}",
             "--window-size=1200,3000", page.as_uri())
    with Image.open(out) as image:
        return image.convert("RGB")


def test_the_report_renders_with_every_image(chromium, pipeline_run, tmp_path):
    seen = probe(chromium, pipeline_run.index, tmp_path)
    assert seen["images"] == seen["decoded"] == 5
    assert seen["scripts"] == 1 and seen["handlers"] == 0 and seen["bad_links"] == 0
    assert seen["title"] == "webcurate report"
    shipped = screenshot(chromium, pipeline_run.index, tmp_path, "shipped")
    colours = shipped.resize((300, 750)).getcolors(maxcolors=1 << 16)
    assert colours is not None and len(colours) > 50, "the page rendered (almost) blank"
    # The shipped page, CSP and all, draws exactly what the probed copy (images checked) draws.
    copy = tmp_path / "probed-index.html"
    assert ImageChops.difference(shipped, screenshot(chromium, copy, tmp_path, "probed")) \
        .getbbox() is None


HOSTILE_TEXT = ('</pre><script>window.__pwned = true</script><img src=x '
                'onerror="window.__pwned = true"><a href="javascript:alert(1)">x</a> & "quotes"')


def test_hostile_texts_urls_and_reasons_stay_text(chromium, tmp_path):
    """Web pages may contain anything: rendered as text, nothing runs even without the CSP."""
    reason = '<b onclick="window.__pwned=true">gopher_short_doc</b>'
    stats = {"documents_in": 3, "documents_kept": 1, "documents_removed": 2,
             "removed_by_filter": {"gopher_quality": 2},
             "reasons_by_filter": {"gopher_quality": {reason: 2}}}
    rows = [{"filter": "gopher_quality", "reason": reason, "doc_id": '"><svg onload=alert(1)>',
             "url": "javascript:window.__pwned=true", "excerpt": HOSTILE_TEXT},
            {"filter": "gopher_quality", "reason": reason, "doc_id": "b",
             "url": 'https://example.com/"onmouseover="window.__pwned=true', "excerpt": "ok"}]
    stage = StageOutput("filter", "/out/<script>filter", stats)
    page = tmp_path / "hostile.html"
    page.write_text(render([stage], "/out/<img src=x onerror=alert(1)>", {},
                           {"filter": rows, "kept": []}), encoding="utf-8")
    seen = probe(chromium, page, tmp_path)
    assert seen == {"images": 2, "decoded": 2, "scripts": 1, "handlers": 0, "bad_links": 0,
                    "pwned": False, "title": "webcurate report"}
    dom = _browser(chromium, tmp_path / "profile-dom", "--dump-dom", page.as_uri()).stdout
    assert HOSTILE_TEXT.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in dom
    text = page.read_text(encoding="utf-8")
    assert not any(raw in text for raw in ("<script", "<svg", "<b ", 'href="javascript'))
