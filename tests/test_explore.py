"""The explorer's logic without a browser: lever values to overrides, bounds on what a page
may ask, the watched replication, and the runs of a page through the web application
(Starlette's TestClient: no server, no port). The browser test is test_explore_browser.py.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

from sim.analysis.comparison import compare_to_baseline
from sim.explorer.catalogue import Catalogue, read_exercises
from sim.explorer.runs import PREVIOUS, Explorer, compare
from sim.explorer.settings import (
    MAX_REPLICATIONS,
    MIN_REPLICATIONS,
    RequestError,
    parse_request,
)
from sim.explorer.watch import watch
from sim.model.replication import run_replication
from sim.output.results import SUMMARY_HEADER
from sim.rng import replication_seeds
from sim.runner.batch import run_batch
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "scenarios" / "baseline.yaml"
FILES = [BASELINE, REPO / "scenarios" / "no-launchers.yaml"]
HELICOPTERS = "supply_operators.government helicopters.aircraft"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue(FILES)


# -- lever values to a run -------------------------------------------------------------------
def test_lever_values_become_the_overrides_of_run_set(catalogue: Catalogue) -> None:
    entry = catalogue["baseline"]
    lever = entry.lever(HELICOPTERS)
    assert lever is not None and lever.integer and lever.low < lever.value
    values = {lv.path: lv.value for lv in entry.levers}  # the page sends every lever
    values[HELICOPTERS] = lever.value - 1
    request = parse_request({"scenario": "baseline", "levers": values, "replications": 50,
                             "seed": 9}, catalogue)
    setting = f"{HELICOPTERS}={int(lever.value - 1)}"
    assert request.overrides(entry) == [setting]  # only the lever moved
    assert request.command_line(entry) == (
        f"baiji-sim run {BASELINE} --set '{setting}' -n 50 --seed 9 --plot-format svg")
    moved = request.scenario_for(entry)
    assert moved == load_scenario(BASELINE, [setting])
    assert moved.supply_operators[0].aircraft == lever.value - 1
    unmoved = parse_request({"scenario": "baseline", "levers": {
        lv.path: lv.value for lv in entry.levers}}, catalogue)
    assert unmoved.overrides(entry) == [] and unmoved.replications == 200
    big = parse_request({"scenario": "baseline", "seed": str((1 << 64) - 1)}, catalogue)
    assert big.seed == (1 << 64) - 1  # exact: the page sends the seed as text
    assert unmoved.scenario_for(entry) == load_scenario(BASELINE)


@pytest.mark.parametrize(("payload", "field"), [
    ({"scenario": "nowhere"}, "scenario"),
    ({"scenario": "../../etc/passwd"}, "scenario"),
    ({"scenario": "baseline", "replications": MIN_REPLICATIONS - 1}, "replications"),
    ({"scenario": "baseline", "replications": MAX_REPLICATIONS + 1}, "replications"),
    ({"scenario": "baseline", "replications": 20.5}, "replications"),
    ({"scenario": "baseline", "replications": True}, "replications"),
    ({"scenario": "baseline", "replications": "200"}, "replications"),
    ({"scenario": "baseline", "seed": -1}, "seed"),
    ({"scenario": "baseline", "seed": 1 << 64}, "seed"),
    ({"scenario": "baseline", "seed": str(1 << 64)}, "seed"),
    ({"scenario": "baseline", "seed": "12a"}, "seed"),
    ({"scenario": "baseline", "seed": "\u0661"}, "seed"),  # an Arabic-Indic digit
    ({"scenario": "baseline", "levers": {"garrison.nothing": 1}}, "levers"),
    ({"scenario": "baseline", "levers": {HELICOPTERS: 2.5}}, f"levers.{HELICOPTERS}"),
    ({"scenario": "baseline", "levers": {HELICOPTERS: 10_000}}, f"levers.{HELICOPTERS}"),
    ({"scenario": "baseline", "levers": {HELICOPTERS: math.nan}}, f"levers.{HELICOPTERS}"),
    ({"scenario": "baseline", "levers": [1, 2]}, "levers"),
    ({"scenario": "baseline", "path": "/etc"}, "path"),
])
def test_a_value_out_of_bounds_is_refused_naming_its_field(catalogue: Catalogue, payload: dict,
                                                           field: str) -> None:
    with pytest.raises(RequestError) as caught:
        parse_request(payload, catalogue)
    assert str(caught.value).startswith(f"{field}:"), caught.value
    assert "\n" not in str(caught.value)


def test_every_lever_shows_its_unit_range_and_source(catalogue: Catalogue) -> None:
    shown = catalogue.to_json()["scenarios"]
    assert [s["name"] for s in shown] == ["baseline", "no-launchers"]
    levers = shown[0]["levers"]
    assert HELICOPTERS in [lv["path"] for lv in levers]
    for lever in levers:
        assert lever["unit"] and lever["low"] <= lever["value"] <= lever["high"], lever
        assert lever["source"]["kind"] in ("fact", "assumption"), lever
        assert lever["source"]["text"], lever
        assert lever["step"] > 0 and (lever["step"] == 1 or not lever["integer"])
        assert lever["effort_per_unit"] >= 0 and lever["free_end"] in (lever["low"],
                                                                      lever["high"])


def test_things_to_try_come_from_the_exercises_that_run_the_scenario(
        catalogue: Catalogue) -> None:
    exercises = read_exercises(REPO / "docs" / "exercises")
    assert [e.number for e in exercises] == [str(k) for k in range(1, len(exercises) + 1)]
    first = exercises[0]
    assert first.title == "Why the government stopped its flights"
    assert first.goal.startswith("Understand how a small per-sortie loss probability")
    assert len(first.questions) >= 5 and "`" not in " ".join(first.questions)
    assert {"baseline", "no-launchers", "flights-halted"} <= first.scenarios
    baseline = catalogue.to_json()["scenarios"][0]["exercises"]
    assert "1" in [e["number"] for e in baseline]
    assert all("baseline" in e.scenarios for e in exercises
               if e.number in [x["number"] for x in baseline])
    assert read_exercises(None) == []


# -- one replication, watched ----------------------------------------------------------------
@pytest.mark.parametrize("name", ["baseline", "campaign-2014-15"])
def test_the_watched_replication_is_the_replication_itself(name: str) -> None:
    """Stepping the clock day by day changes nothing: the same metrics and event log as
    run_replication, and frames that agree with them."""
    scenario = load_scenario(REPO / "scenarios" / f"{name}.yaml")
    seed = replication_seeds(20141015, 1)[0]
    watched = watch(scenario, seed)
    plain = run_replication(scenario, seed, trace=True)
    for metric, value in plain.metrics.items():
        got = watched["metrics"][metric]
        assert (got is None and math.isnan(value)) or got == value, metric
    assert [(e["kind"], e["text"]) for e in watched["log"]] == [
        (e.kind, e.text) for e in plain.trace or ()]
    frames = watched["frames"]
    assert [f["day"] for f in frames] == list(range(scenario.horizon_days + 1))
    last = frames[-1]
    assert last["gov_share"] == plain.metrics["gov_control_final"]
    assert last["garrison"] == bool(plain.metrics["garrison_held"])
    assert len(last["holders"]) == len(scenario.areas)
    assert len(last["cut"]) == len(scenario.links)
    lost = sum(f["flights"]["lost"] for f in frames)
    assert lost == sum(1 for e in plain.trace or () if "shot down" in e.text)
    if name == "baseline":  # helicopters only: every loss is one
        assert lost == plain.metrics["helicopters_lost"]
    assert frames[0]["holders"] == "".join(
        "gi"[a.holder == "insurgent"] for a in scenario.areas)


# -- a page's runs through the web application ---------------------------------------------
class Reply:
    def __init__(self, status: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code, self.headers, self.content = status, headers, content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.content)


class Client:
    """Requests to the explorer served on a loopback port by uvicorn, in a thread."""

    def __init__(self, base: str, explorer: Explorer) -> None:
        self.base, self.explorer = base, explorer

    def request(self, method: str, path: str, json_body: Any = None,
                content: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
        data = content if json_body is None else json.dumps(json_body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json",
                                                  **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                return Reply(reply.status, dict(reply.headers), reply.read())
        except urllib.error.HTTPError as error:
            with error:
                return Reply(error.code, dict(error.headers), error.read())

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, json: Any = None, content: bytes | None = None) -> Reply:
        return self.request("POST", path, json_body=json, content=content or b"")


@pytest.fixture
def client(catalogue: Catalogue, tmp_path: Path) -> Iterator[Client]:
    uvicorn = pytest.importorskip("uvicorn")
    from sim.explorer.app import build_app, listen

    explorer = Explorer(catalogue, workers=1, workdir=tmp_path / "work")
    sock = listen("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(build_app(explorer), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield Client(f"http://127.0.0.1:{sock.getsockname()[1]}", explorer)
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def _finished(client, page: str, number: int, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/pages/{page}").json()["runs"][-1]
        if run["number"] == number and run["state"] != "running":
            return run
        time.sleep(0.05)
    pytest.fail(f"run {number} did not finish")


def _run(client, page: str, body: dict) -> dict:
    reply = client.post(f"/api/pages/{page}/runs", json=body)
    assert reply.status_code == 202, reply.text
    number = reply.json()["run"]["number"]
    assert _finished(client, page, number)["state"] == "finished"
    return client.get(f"/api/pages/{page}/runs/{number}").json()


def test_a_page_runs_compares_with_the_previous_run_and_downloads(client) -> None:
    explorer = client.explorer
    page = client.post("/api/pages").json()["page"]
    base = {"scenario": "baseline", "replications": 12, "seed": 5}
    first = _run(client, page, base)
    assert first["comparison"] is None
    run = explorer.pages[page].run(first["run"]["number"])
    rows = (run.folder / "summary.csv").read_text(encoding="utf-8").splitlines()[1:]
    written = {r[1]: r for r in csv.reader(rows)}
    for shown in first["numbers"]:  # summary.csv's rows, every digit
        assert [str(shown[k]) for k in SUMMARY_HEADER[1:]] == written[shown["metric"]][1:]
    assert [n["key"] for n in first["numbers"]] == sorted(
        (n["key"] for n in first["numbers"]), reverse=True)
    names = [f["name"] for f in first["figures"]]
    assert names[:3] == ["outcomes", "survival_curves", "fan_charts"]
    figure = client.get(f"/api/pages/{page}/runs/1/plots/outcomes.svg")
    assert figure.status_code == 200 and figure.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in figure.content[:2000]
    # the watched replication is the run's replication 0: the trace the folder keeps
    watched = client.get(f"/api/pages/{page}/runs/1/watch").json()
    trace = json.loads((run.folder / "traces" / "baseline.json").read_text())
    assert watched["seed"] == str(trace["seed"])  # as text: exact in JavaScript
    assert [[e["kind"], e["text"]] for e in watched["log"]] == [e[1:] for e in trace["entries"]]
    # a lever moved, the same seed: the paired differences are run --baseline's
    lever = explorer.catalogue["baseline"].lever(HELICOPTERS)
    second = _run(client, page, {**base, "levers": {HELICOPTERS: lever.low}})
    comparison = second["comparison"]
    assert comparison["paired"] and comparison["previous"] == 1 and comparison["current"] == 2
    moved = load_scenario(BASELINE, [lever.setting(lever.low)])
    batch = run_batch([load_scenario(BASELINE).model_copy(update={"name": PREVIOUS}),
                       moved.model_copy(update={"name": "this run"})], 12, seed=5, workers=1,
                      daily=False)
    expected = compare_to_baseline(batch, PREVIOUS)["comparisons"]
    got = comparison["comparisons"]
    assert [r["metric"] for r in got] == [r["metric"] for r in expected]
    for mine, theirs in zip(got, expected, strict=True):
        assert mine["mean_difference"] == theirs["mean_difference"], mine["metric"]
        assert mine["significant"] == theirs["significant"]
        assert mine["title"] and "unit" in mine
    assert any(r["mean_difference"] != 0 for r in got)  # the lever changed something
    # another seed: no pairing, and the page says why
    this = explorer.pages[page].run(2)
    reseeded = dataclasses.replace(this, request=dataclasses.replace(this.request, seed=6))
    unpaired = compare(run, reseeded)
    assert unpaired is not None and unpaired["paired"] is False and "seed" in unpaired["note"]
    # the zip is the run's results folder
    archive = zipfile.ZipFile(io.BytesIO(client.get(
        f"/api/pages/{page}/runs/2/results.zip").content))
    files = {n.split("/", 1)[1] for n in archive.namelist()}
    assert {"replications.csv", "summary.json", "summary.csv", "daily_bands.csv",
            "manifest.json", "plots/outcomes.svg", "traces/baseline.json",
            "scenarios/baseline.yaml"} <= files
    assert not any(n.startswith("parts/") for n in files)
    manifest = json.loads(archive.read(next(n for n in archive.namelist()
                                            if n.endswith("manifest.json"))))
    assert manifest["command"][:2] == ["baiji-sim", "run"] and manifest["seed"] == 5
    assert manifest["command"][-6:] == ["-n", "12", "--seed", "5", "--plot-format", "svg"]


def test_what_a_page_may_not_ask_is_refused(client) -> None:
    page = client.post("/api/pages").json()["page"]
    runs = f"/api/pages/{page}/runs"
    reply = client.post(runs, json={"scenario": "baseline", "replications": 5})
    assert reply.status_code == 400 and reply.json()["error"].startswith("replications:")
    assert client.post(runs, content=b"{not json").status_code == 400
    assert client.post(runs, content=b" " * 70_000).status_code == 413
    assert client.get("/api/pages/nobody").status_code == 404
    assert client.post("/api/pages/nobody/runs", json={}).status_code == 404
    for path in ("/api/pages/{p}/runs/1", "/api/pages/{p}/runs/1/plots/outcomes.svg",
                 "/api/pages/{p}/runs/1/results.zip", "/api/pages/{p}/runs/1/watch",
                 "/static/..%2f..%2fapp.py", "/static/index.html"):
        assert client.get(path.format(p=page)).status_code == 404, path
    # another site's page (DNS rebinding) is not answered
    assert client.get("/api/catalogue", headers={"Host": "evil.example"}).status_code == 400
    page_html = client.get("/")
    assert "default-src 'none'" in page_html.headers["content-security-policy"]
    assert "http" not in page_html.text.replace("http-equiv", "")  # no address elsewhere
    script = client.get("/static/explorer.js").text
    assert "http://" not in script.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in script and "innerHTML" not in script


def test_a_closed_page_stops_its_run_and_stop_stops_one(client) -> None:
    """What the page's Stop button and its last beacon (pagehide) send."""
    page = client.post("/api/pages").json()["page"]
    assert client.post(f"/api/pages/{page}/stop").json() == {"run": None}
    long = {"scenario": "baseline", "replications": MAX_REPLICATIONS}
    for how in ("leave", "stop"):
        started = client.post(f"/api/pages/{page}/runs", json=long)
        assert started.status_code == 202
        busy = client.post(f"/api/pages/{page}/runs", json=long)
        assert busy.status_code == 409 and "this page" in busy.json()["error"]
        reply = client.post(f"/api/pages/{page}/{how}")
        assert reply.status_code == (204 if how == "leave" else 200)
        run = _finished(client, page, started.json()["run"]["number"])
        assert run["state"] == "stopped" and run["done"] < MAX_REPLICATIONS, run


def test_one_run_at_a_time_and_an_abandoned_run_stops(catalogue: Catalogue,
                                                      tmp_path: Path) -> None:
    explorer = Explorer(catalogue, workers=1, workdir=tmp_path, abandoned=0.2,
                        max_running=1)
    try:
        page = explorer.open_page()
        long = parse_request({"scenario": "baseline", "replications": MAX_REPLICATIONS},
                             catalogue)
        run = explorer.start(page, long)
        from sim.explorer.runs import Busy

        with pytest.raises(Busy, match="this page"):
            explorer.start(page, long)
        other = explorer.open_page()
        with pytest.raises(Busy, match="at once"):
            explorer.start(other, long)
        time.sleep(0.3)
        other.touch()
        explorer.reap()  # the first page has gone quiet: its run stops
        assert run.stop.is_set() and not other.runs
        assert run.thread is not None
        run.thread.join(30)
        assert run.state == "stopped" and run.done < MAX_REPLICATIONS
        assert not run.folder.exists()
        # the page is back: a new run starts
        page.touch()
        again = explorer.start(page, parse_request({"scenario": "baseline",
                                                    "replications": MAX_REPLICATIONS},
                                                   catalogue))
        explorer.stop(page)  # as the page's Stop button, or the beacon of a closed tab
        assert again.thread is not None
        again.thread.join(30)
        assert again.state == "stopped"
    finally:
        explorer.close()
    assert tmp_path.exists()  # a working folder given is not removed, only ours


def test_a_finished_page_is_forgotten_with_its_folders(catalogue: Catalogue,
                                                       tmp_path: Path) -> None:
    explorer = Explorer(catalogue, workers=1, workdir=tmp_path, abandoned=0.0, forgotten=0.0)
    page = explorer.open_page()
    (tmp_path / page.token).mkdir()
    time.sleep(0.01)
    explorer.reap()
    deadline = time.monotonic() + 5
    while (tmp_path / page.token).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert page.token not in explorer.pages and not (tmp_path / page.token).exists()
    explorer.close()


# -- the command ---------------------------------------------------------------------------
def test_explore_refuses_a_bad_scenario_and_a_busy_port(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    code, _, err = run_cli(["explore", bad, "--port", "0"])
    assert code == 2 and err.startswith(f"error: {bad}") and err.count("\n") == 1, err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        code, _, err = run_cli(["explore", BASELINE, "--port", str(port)])
    assert code == 2 and err.startswith("error: --port: cannot listen on 127.0.0.1:"), err


def test_explore_without_its_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setitem(sys.modules, "sim.explorer.app", None)  # as if starlette were missing
    code, _, err = run_cli(["explore", BASELINE])
    assert code == 2 and "pip install 'baiji-sim[explore]'" in err and "Traceback" not in err


def test_the_page_s_files_are_installed_with_the_package() -> None:
    """The page, its script and its stylesheet are read with importlib.resources: a wheel
    must hold them, and the app serves no other file."""
    tomllib = pytest.importorskip("tomllib")
    from sim.explorer.app import STATIC

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["setuptools"]["package-data"]["sim.explorer"] == ["static/*"]
    shipped = {p.name for p in (REPO / "sim" / "explorer" / "static").iterdir()}
    assert shipped == set(STATIC) == {"index.html", "explorer.js", "explorer.css"}
    extra = config["project"]["optional-dependencies"]
    assert set(extra["explore"]) <= set(extra["test"])  # CI tests the explorer
