"""How long the dashboard's first page takes with many runs in the store (issue 7: < 2 s).

Not a test (wall-clock times on a shared machine are not assertable); run it by hand::

    .venv/bin/python tests/dashboards/first_page_timing.py --runs 50

It logs ``--runs`` published validation runs of tenant ``demo`` (factory evidence) to a
temporary store, then times the Overview page: in AppTest (script run only, a new session
each time, so the first one fills the MLflow caches and the next ones read them), and in a
real `testbench dashboard` opened by headless Chromium (first load, then a new browser
context). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "support"))


def _log_store(home: Path, runs: int) -> str:
    from testbench.config import Settings
    from testkit.evidence_factory import build_evidence, for_tenant, log_runs

    settings = Settings(home=home)
    evidence = build_evidence(seed=7, n=1500, bootstrap=200)
    for i in range(runs):
        log_runs(
            settings.tracking_uri,
            settings.artifact_root,
            for_tenant(evidence, "demo", f"model-{i:02d}"),
        )
    return settings.tracking_uri


def _apptest(home: Path, sessions: int) -> list[float]:
    from streamlit.testing.v1 import AppTest

    os.environ.update(TESTBENCH_HOME=str(home), TESTBENCH_DEMO_MODE="1")
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    times = []
    for _ in range(sessions):
        started = time.perf_counter()
        at = AppTest.from_file(str(REPO / "dashboards" / "app.py"), default_timeout=120).run()
        times.append(round(time.perf_counter() - started, 3))
        assert not at.exception and at.title[0].value == "Overblik"
    return times


def _browser(home: Path, loads: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TESTBENCH_", "MLFLOW_"))}
    env |= {"TESTBENCH_HOME": str(home), "TESTBENCH_DEMO_MODE": "1"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "testbench"), "dashboard", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://localhost:{port}"
    times = []
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium"),
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            for _ in range(loads):
                context = browser.new_context(viewport={"width": 1600, "height": 1000})
                page = context.new_page()
                started = time.perf_counter()
                page.goto(url)
                page.get_by_role("heading", name="Overblik", exact=True).wait_for(timeout=120_000)
                page.get_by_text("AUROC, trænet på rigtige data").first.wait_for()
                times.append(round(time.perf_counter() - started, 3))
                context.close()
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        started = time.perf_counter()
        _log_store(home, args.runs)
        logged = round(time.perf_counter() - started, 1)
        apptest = _apptest(home, 4)
        browser = _browser(home, 4) if shutil.which("chromium") else []
    print(
        json.dumps(
            {
                "runs": args.runs,
                "store_seconds": logged,
                "apptest_seconds": apptest,
                "browser_seconds": browser,
            }
        )
    )


if __name__ == "__main__":
    main()
