"""The dashboard as a buyer sees it: `testbench dashboard` driven by headless Chromium.

Starts the real command on a free port against the factory's store, checks the Danish
first page, switches to English, opens every page from the navigation, checks what each
shows and saves a screenshot per page under ``test-output/screenshots/``; then, at projector
width (1280 px) and at 1920 px, that no page cuts a metric's number or label.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboards.i18n import day, estimate, t
from testkit.evidence_factory import EvidenceStore
from testkit.network import free_port

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-output" / "screenshots"
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.cli,  # runs `testbench dashboard`
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Chromium is not installed; `make test` installs it (apt-get install chromium)",
    ),
]


@pytest.fixture
def dashboard(store: EvidenceStore, tmp_path: Path) -> Iterator[str]:
    """`testbench dashboard` on a free port, in demo mode; its URL. Stopped afterwards."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TESTBENCH_", "MLFLOW_"))}
    env |= {"TESTBENCH_HOME": str(store.home), "TESTBENCH_DEMO_MODE": "1"}
    log_path = tmp_path / "dashboard.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "testbench"), "dashboard", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopping it stops streamlit too
        )
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dashboard did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _expected(store: EvidenceStore, lang: str) -> dict[str, tuple[str, list[str]]]:
    """Per page: (catalogue key of its title, texts it must show), from the logged evidence."""
    ev, twin = store.evidence.validation, store.evidence.twin_evaluation
    trtr = ev["regimes"]["TRTR"]["metrics"]
    return {
        "overview": ("overview.title", [estimate(trtr["auroc"], lang)]),
        "discrimination": ("discrimination.title", [t("figure.roc.title", lang)]),
        "calibration": ("calibration.title", [estimate(trtr["calibration_slope"], lang)]),
        "clinical_utility": ("utility.title", [t("figure.treat_all", lang)]),
        "subgroups": ("subgroups.title", ["<5", t("figure.forest.title", lang)]),
        "synthetic_twin": (
            "twin.title",
            [estimate({"value": twin["fidelity"]["quality"]}, lang)],
        ),
        "privacy": ("privacy.title", [t("privacy.check.singling_out", lang)]),
        "data": ("data.title", [day(ev["sources"][0]["first"], lang)]),
        "model_card": ("card.title", [t("card.download_pdf", lang), f"Model card: {ev['name']}"]),
        "catalogue": (
            "catalogue.title",
            [store.catalogues.description["title"][lang], t("catalogue.twin", lang)],
        ),
    }


def test_a_buyer_reads_every_page_in_danish_and_english(
    dashboard: str, store: EvidenceStore
) -> None:
    from playwright.sync_api import Page, sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shows(page: Page, title: str, texts: list[str]) -> None:
        page.get_by_role("heading", name=title, exact=True).wait_for()
        for text in texts:
            page.get_by_text(text, exact=False).first.wait_for()
        charts = page.locator('[data-testid="stPlotlyChart"]')
        for i in range(charts.count()):  # drawn, not just placed
            charts.nth(i).locator(".main-svg").first.wait_for()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1600})
            page.set_default_timeout(30_000)
            page.goto(dashboard)
            title, texts = _expected(store, "da")["overview"]
            shows(page, t(title, "da"), texts)  # Danish first: "0,72 (0,66–0,78)"
            page.screenshot(path=str(SCREENSHOTS / "da-overview.png"), full_page=True)

            page.get_by_text(t("lang.en", "en"), exact=True).click()
            for name, (title, texts) in _expected(store, "en").items():
                nav = t(f"nav.{name}", "en")
                page.get_by_role("link", name=nav, exact=True).click()
                shows(page, t(title, "en"), texts)
                page.screenshot(path=str(SCREENSHOTS / f"en-{name}.png"), full_page=True)

            # A buyer's link with a viewer token opens that tenant's run, not the demo's.
            page.goto(f"{dashboard}/?token={store.acme_token}")
            page.get_by_text("acme-readmission", exact=False).first.wait_for()
            assert page.get_by_text("home-care-after-hip-fracture", exact=False).count() == 0
            # Not left in the address bar, where a projector would show it.
            page.wait_for_function("() => !window.location.search.includes('token')")
        finally:
            browser.close()
    assert len(list(SCREENSHOTS.glob("*.png"))) >= 10


# Every metric box (its value, label and what they hold) whose text is wider than its box:
# Streamlit cuts such text with an ellipsis, which is how "0.03 (-0.06 to 0.…" got on screen.
_CUT_METRICS = """() => [...document.querySelectorAll(
    '[data-testid="stMetricValue"], [data-testid="stMetricLabel"]')]
  .flatMap(box => [box, ...box.querySelectorAll("*")])
  .filter(el => el.scrollWidth > el.clientWidth || el.textContent.includes("\u2026"))
  .map(el => `${el.closest('[data-testid="stMetric"]').innerText.replace(/\\n/g, " | ")}`
             + ` (${el.scrollWidth} > ${el.clientWidth} px)`)"""


@pytest.mark.parametrize("width", [1280, 1920])
def test_no_page_cuts_a_number_at_projector_width_or_on_a_wide_screen(
    dashboard: str, store: EvidenceStore, width: int
) -> None:
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    cut: dict[str, list[str]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 1000})
            page.set_default_timeout(30_000)
            page.goto(dashboard)
            # Danish: its negative intervals ("-0,06 til 0,12") are the longest numbers.
            for name, (title, _texts) in _expected(store, "da").items():
                page.get_by_role("link", name=t(f"nav.{name}", "da"), exact=True).click()
                page.get_by_role("heading", name=t(title, "da"), exact=True).wait_for()
                # The page has run to its end ("Running..." gone), and has been laid out.
                page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached")
                page.wait_for_timeout(300)
                if page.evaluate(_CUT_METRICS):
                    cut[name] = page.evaluate(_CUT_METRICS)
                    page.screenshot(path=str(SCREENSHOTS / f"cut-{width}-{name}.png"))
        finally:
            browser.close()
    assert not cut, f"metrics cut at {width} px: {cut}"
