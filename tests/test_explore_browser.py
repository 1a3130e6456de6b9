"""The explorer in a real browser: ``baiji-sim explore`` on a free loopback port, driven in
headless Chromium (Debian's package) over the DevTools protocol (the pipe transport of
``tests/test_report.py``'s :class:`Chromium`; no extra package).

The test does what a student does: picks a scenario, runs it, moves a lever, runs again with
the same seed, reads the numbers and the paired difference, watches the replication, and
downloads the results folder. It checks that the page's numbers are summary.csv's of
``baiji-sim run`` with the same settings and seed, digit for digit, and that the zip holds
the same replications.csv; that every figure decoded; that the page printed nothing to the
console, raised nothing, and requested nothing but the explorer itself; and that Ctrl-C
stops the explorer cleanly. ``BAIJI_SCREENSHOTS=docs`` keeps its screenshots there
(docs/explorer.png, the README's, and docs/explorer-watch.png).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import select
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from test_report import Chromium

from sim.scenario.levers import scenario_levers, total_effort
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = ["scenarios/baseline.yaml", "scenarios/no-launchers.yaml"]
LEVER = "supply_operators.government helicopters.aircraft"
N, SEED = 40, 7


def _start_explorer(log: Path) -> tuple[subprocess.Popen[str], str]:
    pytest.importorskip("starlette", reason="the explorer's extra: pip install -e '.[test]'")
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim", "explore", *SCENARIOS, "--port", "0",
             "--workers", "2"], cwd=REPO, stdout=subprocess.PIPE, stderr=stderr, text=True)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    line = proc.stdout.readline() if ready else ""
    if not line.startswith("baiji-sim explorer: http://127.0.0.1:"):
        proc.kill()
        pytest.fail(f"the explorer did not start: {line!r}; {log.read_text()}")
    return proc, line.split()[2]


class Tab:
    """One page of the browser, and JavaScript run in it."""

    def __init__(self, browser: Chromium) -> None:
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget", {"targetId": target,
                                                              "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session=self.session)
        browser.send("Emulation.setDeviceMetricsOverride", {
            "width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
            session=self.session)

    def js(self, expression: str) -> Any:
        reply = self.browser.send("Runtime.evaluate", {
            "expression": expression, "awaitPromise": True, "returnByValue": True},
            session=self.session)
        assert "exceptionDetails" not in reply, reply["exceptionDetails"]
        return reply["result"].get("value")

    def wait(self, expression: str, timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        guarded = f"(() => {{ try {{ return {expression}; }} catch (e) {{ return false; }} }})()"
        while time.monotonic() < deadline:
            value = self.js(guarded)
            if value:
                return value
            time.sleep(0.1)
        pytest.fail(f"the page never got to {expression!r}: {self.js(STATUS)}")

    def run(self, number: int) -> None:
        """Press Run, then wait for the run's results, figures and watched replication."""
        self.js("document.getElementById('run').click()")
        self.wait(f"document.getElementById('results').dataset.run === '{number}' && "
                  "!document.getElementById('watch').hidden && "
                  "document.querySelectorAll('#figures img').length > 0 && Array.from("
                  "document.querySelectorAll('#figures img')).every(i => i.complete)")


STATUS = ("document.getElementById('status').textContent + ' | ' + "
          "document.getElementById('error').textContent")
NUMBERS = """Array.from(document.querySelectorAll('#numbers tbody tr, #all-numbers tbody tr'))
  .map(r => [r.dataset.metric, r.dataset.estimate, r.dataset.ciLow, r.dataset.ciHigh,
             r.dataset.p, r.cells[1].textContent])"""
DIFFERENCES = """Array.from(document.querySelectorAll('#differences tbody tr'))
  .map(r => [r.dataset.metric, Number(r.dataset.difference), Number(r.dataset.ciLow),
             Number(r.dataset.ciHigh), r.dataset.real, r.cells[2].textContent])"""
IMAGES = """Promise.all(Array.from(document.querySelectorAll('#figures img')).map(async i => {
  let ok = true; try { await i.decode(); } catch (e) { ok = false; }
  return [i.closest('figure').dataset.figure, ok, i.naturalWidth, i.naturalHeight]; }))"""


def _move(tab: Tab, path: str, value: float) -> None:
    tab.js(f"""(() => {{ const s = document.querySelector('input[type=range][data-path="{path}"]');
      s.value = {value}; s.dispatchEvent(new Event('input')); }})()""")


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_a_student_runs_moves_a_lever_and_compares(tmp_path: Path) -> None:
    proc, url = _start_explorer(tmp_path / "explore.log")
    browser = Chromium(tmp_path / "profile", tmp_path / "chromium.log", timeout=120)
    try:
        tab = Tab(browser)
        browser.send("Page.navigate", {"url": url}, session=tab.session)
        tab.wait("document.body.dataset.ready === 'true'")
        options = tab.js("Array.from(document.querySelectorAll('#scenario option'))"
                         ".map(o => o.value)")
        assert options == ["baseline", "no-launchers"]
        assert "Autumn 2014" in tab.js("document.getElementById('description').textContent")
        levers = tab.js("Array.from(document.querySelectorAll('.lever')).map(l => "
                        "[l.dataset.path, l.innerText])")
        lever = next(text for path, text in levers if path == LEVER)
        assert "aircraft" in lever and ("assumption" in lever or "fact" in lever), lever
        assert tab.js("document.querySelectorAll('#exercises details').length") >= 1
        tab.js(f"document.getElementById('replications').value = {N};"
               f"document.getElementById('seed').value = {SEED}")
        tab.run(1)
        first = tab.js(NUMBERS)
        assert tab.js("document.getElementById('comparison').hidden")
        low = tab.js(f"Number(document.querySelector('input[type=range]"
                     f"[data-path=\"{LEVER}\"]').min)")
        _move(tab, LEVER, low)
        assert tab.js(f"document.querySelector('.lever[data-path=\"{LEVER}\"]')"
                      ".classList.contains('moved')")
        effort = tab.js("document.getElementById('effort').textContent")
        tab.run(2)
        numbers = tab.js(NUMBERS)
        differences = tab.js(DIFFERENCES)
        command = tab.js("document.getElementById('command').textContent")
        images = tab.js(IMAGES)
        # the watched replication, stepped with the slider and played
        tab.js("(() => { const d = document.getElementById('day'); d.value = 60;"
               " d.dispatchEvent(new Event('input')); })()")
        label = tab.js("document.getElementById('day-label').textContent")
        areas = tab.js("document.querySelectorAll('#schematic circle[data-area]').length")
        log = tab.js("document.querySelectorAll('#log li').length")
        past = tab.js("document.querySelectorAll('#log li:not(.future)').length")
        tab.js("document.getElementById('play').click()")
        tab.wait("Number(document.getElementById('day').value) > 62")
        tab.js("document.getElementById('play').click()")
        zip_url = tab.js("document.getElementById('download').href")
        browser.send("Emulation.setDeviceMetricsOverride", {
            "width": 1400, "height": 1500, "deviceScaleFactor": 1, "mobile": False},
            session=tab.session)
        tab.js("window.scrollTo(0, 0)")
        shot = base64.b64decode(browser.send("Page.captureScreenshot", {"format": "png"},
                                             session=tab.session)["data"])
        box = tab.js("(() => { const r = document.getElementById('watch')"
                     ".getBoundingClientRect(); return {x: r.x + window.scrollX, "
                     "y: r.y + window.scrollY, width: r.width, height: r.height}; })()")
        watched = base64.b64decode(browser.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True, "clip": {**box, "scale": 1}},
            session=tab.session)["data"])
        with urllib.request.urlopen(zip_url, timeout=30) as reply:  # the server: loopback
            archive = zipfile.ZipFile(io.BytesIO(reply.read()))
    finally:
        browser.close()
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        finally:
            assert proc.stdout is not None
            proc.stdout.close()
    keep = Path(os.environ.get("BAIJI_SCREENSHOTS") or tmp_path)
    (keep / "explorer.png").write_bytes(shot)
    (keep / "explorer-watch.png").write_bytes(watched)
    # Ctrl-C: a clean stop
    log_text = (tmp_path / "explore.log").read_text()
    assert code in (0, 130) and "Traceback" not in log_text, log_text
    # the same settings on the command line give the same numbers, digit for digit
    setting = f"{LEVER}={int(low)}"
    assert command == (f"baiji-sim run scenarios/baseline.yaml --set '{setting}' -n {N} "
                       f"--seed {SEED} --plot-format svg")
    out = tmp_path / "cli"
    code, _, err = run_cli(["run", "scenarios/baseline.yaml", "--set", setting, "-n", str(N),
                            "--seed", str(SEED), "--out", out, "--no-plots", "--workers", "1"],
                           cwd=REPO)
    assert code == 0, err
    summary = _csv((out / "summary.csv").read_text(encoding="utf-8"))
    header = summary[0]
    cli = {r[1]: [r[header.index(k)] for k in ("estimate", "ci_low", "ci_high",
                                                "p_event_by_horizon")] for r in summary[1:]}
    page = {m: [e, lo, hi, p] for m, e, lo, hi, p, _ in numbers}
    assert page == cli
    assert numbers != first  # the lever moved the results
    shown = dict((m, text) for m, *_, text in numbers)
    assert shown["garrison_held"] and shown["helicopters_lost"] != "\u2013"
    # the zip is the results folder run writes: same rows, same summary
    names = archive.namelist()
    top = names[0].split("/")[0]
    for name in ("replications.csv", "summary.csv", "summary.json", "daily_bands.csv",
                 "manifest.json", "plots/outcomes.svg", "plots/fan_charts.svg"):
        assert f"{top}/{name}" in names, names
    for name in ("replications.csv", "summary.csv", "daily_bands.csv"):
        assert archive.read(f"{top}/{name}") == (out / name).read_bytes(), name
    manifest = json.loads(archive.read(f"{top}/manifest.json"))
    assert manifest["status"] == "complete" and manifest["replications"] == N
    # the paired difference with the previous run, each with its interval
    assert differences and {d[0] for d in differences} >= {"garrison_held", "helicopters_lost"}
    for metric, difference, lo, hi, real, interval in differences:
        assert lo <= difference <= hi and interval.startswith("["), metric
        # real: significant after Holm's correction, which only a clear interval can be
        assert real == "false" or (real == "true" and not lo <= 0 <= hi), metric
    assert any(d[1] != 0 for d in differences)  # the lever changed something
    # every figure decoded
    assert {i[0] for i in images} >= {"outcomes", "survival_curves", "fan_charts"}
    assert all(ok and w > 100 and h > 100 for _, ok, w, h in images), images
    # the effort of the setting, as sim.scenario.levers.total_effort computes it
    levers = scenario_levers(load_scenario(REPO / SCENARIOS[0]))
    points = total_effort(levers, {LEVER: low})
    own = total_effort(levers, {})
    assert effort.startswith(f"Effort of these settings: {points:,.2f}".rstrip("0").rstrip(".")
                             ) and f"own: {own:,.2f}".rstrip("0").rstrip(".") in effort, effort
    # the watched replication
    assert label == "after 60 days (end of 2014-11-29)", label  # from 2014-10-01
    assert areas == 15 and log > 10 and 0 < past < log
    # nothing requested but the explorer itself, nothing failed, nothing on the console
    urls = [e["params"]["request"]["url"] for e in browser.events
            if e["method"] == "Network.requestWillBeSent"]
    assert urls and all(u.startswith((url, "data:", "about:")) for u in urls), urls
    failed = [e["params"] for e in browser.events if e["method"] == "Network.loadingFailed"]
    assert not failed, failed
    console = [e["params"] for e in browser.events if e["method"] in (
        "Runtime.consoleAPICalled", "Runtime.exceptionThrown")]
    console += [e["params"]["entry"] for e in browser.events if e["method"] ==
                "Log.entryAdded" and e["params"]["entry"]["level"] == "error"]
    assert console == []
    chromium_log = (tmp_path / "chromium.log").read_text(encoding="utf-8", errors="replace")
    assert not [ln for ln in chromium_log.splitlines() if ":CONSOLE" in ln or "Uncaught" in ln]
