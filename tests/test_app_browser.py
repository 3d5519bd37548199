"""End to end: `peuplement app` on a free localhost port, driven in Debian's headless Chromium
(Playwright) with every non-local host unreachable. A trainer's session: pick the single-rent
preset, play, see the picture and the charts change, switch preset, open a commission replay.
Every request the browser made must have stayed on this machine (the view works offline).

Set PEUPLEMENT_SCREENSHOTS=DIR to also write the screenshots there (docs/ holds two of them).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from simulation import palette

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (.ci/run installs it)")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run",
        # no name resolves but this machine's: the network is as cut as in a training room
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    exe = shutil.which("peuplement") or str(Path(sys.executable).parent / "peuplement")
    log = tmp_path_factory.mktemp("app") / "server.log"
    out = open(log, "wb")
    proc = subprocess.Popen([exe, "app", "--port", str(port), "--no-browser"], stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"peuplement app exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        os.killpg(proc.pid, signal.SIGTERM)
        raise AssertionError("peuplement app did not answer within 180 s")
    yield url, log
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    out.close()


def _town_colours(page) -> set[str]:
    """Colours of the town's cells, read from the picture the browser shows."""
    import base64
    import io

    from PIL import Image

    href = page.locator(".town svg image").get_attribute("href")
    img = Image.open(io.BytesIO(base64.b64decode(href.split(",", 1)[1]))).convert("RGB")
    return {"#%02x%02x%02x" % c for _, c in img.getcolors(maxcolors=1 << 16)}


def _month(page) -> int:
    return int(page.locator(".town svg").get_attribute("data-month"))


def _wait_month(page, pred, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if pred(_month(page)):
                return _month(page)
        except Exception:
            pass
        time.sleep(0.25)
    raise AssertionError(f"the town never reached the expected month (at {_month(page)})")


def test_trainer_session_offline(server, tmp_path):
    from playwright.sync_api import sync_playwright

    server, log = server
    shots = [tmp_path]
    if os.environ.get("PEUPLEMENT_SCREENSHOTS"):
        shots.append(Path(os.environ["PEUPLEMENT_SCREENSHOTS"]))
        shots[-1].mkdir(parents=True, exist_ok=True)
    requests = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1500, "height": 1900})
        page.on("request", lambda r: requests.append(r.url))
        page.set_default_timeout(120_000)
        page.goto(server)
        page.locator(".town svg").wait_for()
        assert "Villeneuve-sur-Brague" in page.locator(".town svg").inner_html()
        assert page.get_by_text("Réinitialiser").count() >= 1        # French by default

        # the single-rent preset: a fresh town at month 0, its text says what to watch
        page.locator(".preset-single_rent").click()
        page.get_by_text("chaque relocation se fait au même loyer").wait_for()
        _wait_month(page, lambda m: m == 0)
        town0 = page.locator(".town svg").inner_html()
        page.locator(".chart-q1 canvas").first.wait_for()
        time.sleep(1.0)
        chart0 = page.locator(".chart-q1").screenshot()
        legal0 = page.locator(".chart-legal").screenshot()

        # play two years and pause: the picture and the charts have moved on
        page.get_by_role("button", name="▶ Lecture").click()
        reached = _wait_month(page, lambda m: m >= 25)
        page.get_by_role("button", name="❚❚ Pause").click()
        time.sleep(1.0)
        assert _month(page) >= reached
        assert page.locator(".town svg").inner_html() != town0
        assert "2027" in page.locator(".town svg").inner_html()
        assert page.locator(".chart-q1").screenshot() != chart0
        assert page.locator(".chart-legal").screenshot() != legal0
        for d in shots:
            page.screenshot(path=str(d / "app_town.png"), full_page=True)

        # switch to rehousing outside QPV, reset, play past the announcement of Tour A's demolition
        page.locator(".preset-rehousing_outside_qpv").click()
        page.get_by_text("La Tour A se vide").wait_for()
        _wait_month(page, lambda m: m == 0)
        page.get_by_text("Relogement : cible hors QPV : 50 %").wait_for()     # the preset's lever
        page.get_by_role("button", name="Réinitialiser").click()
        _wait_month(page, lambda m: m == 0)
        page.get_by_role("button", name="▶ Lecture").click()
        _wait_month(page, lambda m: m >= 30)
        page.get_by_role("button", name="❚❚ Pause").click()
        time.sleep(1.0)
        assert palette.FROZEN.lower() in _town_colours(page)                # Tour A is emptying
        if page.get_by_text("Aucun logement attribué ce mois-ci").count():
            page.get_by_role("button", name="+1 mois").click()

        # commission replay of a vacancy of the month
        replay = page.locator(".replay")
        replay.get_by_text("Pourquoi cet ordre").wait_for()
        text = replay.inner_text()
        assert "Réservataire" in text and "Reste à charge" in text and "Cotation" in text
        assert "accepte" in text or "refuse" in text
        rows = replay.locator("tbody tr")
        assert 1 <= rows.count() <= 3
        # open another vacancy of the month from the list
        replay.locator(".v-select").click()
        items = page.locator(".v-menu__content .v-list-item")
        items.first.wait_for()
        if items.count() > 1:
            before = replay.locator("p").first.inner_text()
            items.nth(1).click()
            deadline = time.time() + 30
            while replay.locator("p").first.inner_text() == before and time.time() < deadline:
                time.sleep(0.2)
            assert replay.locator("p").first.inner_text() != before
        replay.scroll_into_view_if_needed()
        for d in shots:
            page.screenshot(path=str(d / "app_replay.png"), full_page=True)

        # English switch
        page.locator(".lang-switch input").click(force=True)
        page.get_by_role("button", name="Reset").wait_for()
        browser.close()

    assert (tmp_path / "app_town.png").stat().st_size > 10_000
    hosts = {urlparse(u).hostname for u in requests if urlparse(u).scheme in ("http", "https", "ws", "wss")}
    assert hosts and hosts <= {"127.0.0.1", "localhost"}, f"requests left this machine: {hosts}"
    # nor did the server fetch a front-end asset from the internet on the browser's behalf
    assert "Could not load URL" not in log.read_text(errors="replace")
    assert len([u for u in requests if "/_solara/cdn/" in u]) >= 3     # assets came from the local copy
