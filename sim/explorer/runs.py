"""The runs of the explorer's pages: one at a time per page, in the background, stoppable.

A run is ``baiji-sim run`` for one scenario: the same folder sink
(:func:`~sim.runner.store.run_to_folder`), the same analysis and the same writer, into a
folder of its own under the explorer's working folder, so its zip is the results folder the
command would write. It runs in a thread of the server, on the process's shared pool of
workers, and moves its progress on as chunks finish; the page polls it.

A page is known by a random token. A page that stops polling (closed, navigated away, the
laptop shut) is abandoned: after :data:`ABANDONED` seconds its run is stopped (the
progress callback raises ``KeyboardInterrupt``, which the runner treats as Ctrl-C: the
workers finish the chunks they hold and take no more), and after :data:`FORGOTTEN` seconds
its folders are removed.
"""

from __future__ import annotations

import contextlib
import importlib
import secrets
import shutil
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.explorer.catalogue import Catalogue, Entry
from sim.explorer.settings import RunRequest
from sim.runner.batch import BatchResult, ScenarioRuns

# Seconds without a word from a page before its run is stopped. A closed page says so at once
# (a beacon); this is for one that cannot (a crash, a laptop shut). Browsers slow the timers of
# a tab left in the background to one a minute, so less would stop the run of a student who
# only switched tabs.
ABANDONED = 75.0
FORGOTTEN = 1800.0  # seconds before an abandoned page's folders are removed
MAX_PAGES = 200  # pages kept at once; the longest silent goes first
MAX_RUNNING = 2  # runs at once, all pages together: a class shares one machine
KEPT_RUNS = 3  # finished runs a page keeps on disk (this one, the previous, one more)
PREVIOUS = "previous run"
THIS = "this run"


class Busy(Exception):
    """A run cannot start now (this page's is running, or the machine is full)."""


@dataclass
class Run:
    """One batch asked for by a page, and what became of it."""

    number: int
    request: RunRequest
    entry: Entry
    folder: Path
    state: str = "running"  # running, finished, stopped, failed
    done: int = 0
    message: str = ""
    started: float = field(default_factory=time.monotonic)
    seconds: float | None = None
    summary: dict[str, Any] | None = None
    runs: ScenarioRuns | None = None  # the finished replications' metrics, for comparisons
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    @property
    def total(self) -> int:
        return self.request.replications

    def advance(self, k: int) -> None:
        """The runner's progress callback: k more replications; stop if asked to."""
        self.done += k
        if self.stop.is_set():
            raise KeyboardInterrupt  # the runner's Ctrl-C: keep what finished, start no more

    def status(self) -> dict[str, Any]:
        elapsed = self.seconds if self.seconds is not None else time.monotonic() - self.started
        return {"number": self.number, "scenario": self.request.scenario,
                "state": self.state, "done": min(self.done, self.total), "total": self.total,
                "seconds": round(elapsed, 2), "message": self.message}


class Page:
    """One open page: its runs, newest last, and when it was last heard from."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.seen = time.monotonic()
        self.runs: list[Run] = []
        self.lock = threading.Lock()

    def touch(self) -> None:
        self.seen = time.monotonic()

    def running(self) -> Run | None:
        last = self.runs[-1] if self.runs else None
        return last if last is not None and last.state == "running" else None

    def run(self, number: int) -> Run | None:
        return next((r for r in self.runs if r.number == number), None)

    def previous(self, run: Run) -> Run | None:
        """The last finished run before ``run``: what "compare with the previous run" uses."""
        earlier = [r for r in self.runs if r.number < run.number and r.state == "finished"]
        return earlier[-1] if earlier else None


def compare(previous: Run, current: Run) -> dict[str, Any] | None:
    """The paired differences of ``current`` minus ``previous`` (Holm-corrected, as
    ``run --baseline``), or why there are none. Pairing needs the same seed: replication i
    of both runs then shares its random numbers (common random numbers)."""
    from sim.analysis.comparison import compare_to_baseline

    if previous.runs is None or current.runs is None:
        return None
    if previous.request.seed != current.request.seed:
        return {"paired": False, "note": f"the previous run used seed "
                f"{previous.request.seed} and this one {current.request.seed}: runs are "
                "compared replication by replication only with the same seed"}
    runs = []
    for label, r in ((PREVIOUS, previous.runs), (THIS, current.runs)):
        runs.append(ScenarioRuns(r.scenario.model_copy(update={"name": label}),
                                 r.replication, r.seed, r.metrics, None))
    batch = BatchResult(runs, current.request.seed,
                        max(previous.request.replications, current.request.replications))
    result = compare_to_baseline(batch, PREVIOUS)
    return {"paired": True, "previous": previous.number, "current": current.number,
            **result}


class Explorer:
    """Every page of one ``baiji-sim explore``, their runs and their folders."""

    def __init__(self, catalogue: Catalogue, workers: int | None = None,
                 workdir: Path | None = None, abandoned: float = ABANDONED,
                 forgotten: float = FORGOTTEN, max_running: int = MAX_RUNNING) -> None:
        from sim.runner.pool import default_workers

        self.catalogue = catalogue
        self.workers = workers or default_workers()
        self._own_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="baiji-explore-"))
        self.abandoned, self.forgotten, self.max_running = abandoned, forgotten, max_running
        self.pages: dict[str, Page] = {}
        self.lock = threading.Lock()
        self._numbers = 0
        self._closing = threading.Event()
        self._watchdog: threading.Thread | None = None

    # -- pages -------------------------------------------------------------------------
    def open_page(self) -> Page:
        with self.lock:
            if len(self.pages) >= MAX_PAGES:
                quiet = min(self.pages.values(), key=lambda p: p.seen)
                self._drop(quiet)
            page = Page(secrets.token_urlsafe(16))
            self.pages[page.token] = page
            return page

    def page(self, token: str) -> Page | None:
        """The page of ``token``, marked as heard from (None: unknown or forgotten)."""
        with self.lock:
            page = self.pages.get(token)
        if page is not None:
            page.touch()
        return page

    def _drop(self, page: Page) -> None:
        """Forget a page (lock held): stop its run; its folders go once the run has ended."""
        self.pages.pop(page.token, None)
        for run in page.runs:
            run.stop.set()
        folder = self.workdir / page.token
        threading.Thread(target=self._remove_after_runs, args=(page.runs, folder),
                         daemon=True).start()

    @staticmethod
    def _remove_after_runs(runs: list[Run], folder: Path) -> None:
        for run in runs:
            if run.thread is not None:
                run.thread.join()
        shutil.rmtree(folder, ignore_errors=True)

    # -- runs --------------------------------------------------------------------------
    def start(self, page: Page, request: RunRequest) -> Run:
        """Start ``request`` for ``page`` in the background (:class:`Busy` if it may not)."""
        entry = self.catalogue[request.scenario]
        scenario = request.scenario_for(entry)
        with self.lock, page.lock:
            if page.running() is not None:
                raise Busy("a run of this page is still going: wait for it, or stop it")
            running = sum(1 for p in self.pages.values() if p.running() is not None)
            if running >= self.max_running:
                raise Busy(f"{running} runs are going on this machine (the most at once): "
                           "try again when one has finished")
            self._numbers += 1
            folder = self.workdir / page.token / f"{entry.name}-run{self._numbers}"
            run = Run(self._numbers, request, entry, folder)
            page.runs.append(run)
            self._forget_old_runs(page)
            run.thread = threading.Thread(target=self._execute, args=(run, scenario),
                                          name=f"explore-run-{run.number}", daemon=True)
            run.thread.start()
        return run

    @staticmethod
    def _forget_old_runs(page: Page) -> None:
        finished = [r for r in page.runs if r.state != "running"]
        for old in finished[:-KEPT_RUNS]:
            page.runs.remove(old)
            shutil.rmtree(old.folder, ignore_errors=True)

    def stop(self, page: Page) -> Run | None:
        run = page.running()
        if run is not None:
            run.stop.set()
        return run

    def _execute(self, run: Run, scenario: Any) -> None:
        """The run's thread: the batch into its folder, then the results as ``run`` writes
        them (figures as SVG), then the metrics kept in memory for comparisons."""
        from sim.analysis.analyse import analyse
        from sim.output.results import write_results
        from sim.runner.store import finish, run_to_folder

        command = run.request.command(run.entry)
        sources = {scenario.name: str(run.entry.path)}
        try:
            batch = run_to_folder([scenario], run.request.replications, run.folder,
                                  seed=run.request.seed, workers=self.workers,
                                  progress=run.advance,
                                  options={"command": command, "sources": sources})
            if batch.interrupted:
                run.state, run.message = "stopped", "stopped before the end"
                shutil.rmtree(run.folder, ignore_errors=True)
                return
            run.message = "the statistics and the figures"
            summary = analyse(batch)
            write_results(batch, run.folder, summary, sources=sources, command=command,
                          workers=self.workers, plots=True, plot_format="svg")
            finish(run.folder)
            kept = batch.runs[0]
            run.runs = ScenarioRuns(kept.scenario, np.array(kept.replication),
                                    np.array(kept.seed), np.array(kept.metrics), None)
            run.summary = summary
            run.message = (f"{len(batch.failures)} replications failed (manifest.json in the "
                           "zip lists them)" if batch.failures else "")
            run.state = "finished"
        except Exception as exc:  # shown on the page; the server goes on
            traceback.print_exc(file=sys.stderr)
            run.state, run.message = "failed", f"{type(exc).__name__}: {exc}"
            shutil.rmtree(run.folder, ignore_errors=True)
        finally:
            run.seconds = time.monotonic() - run.started

    # -- housekeeping ------------------------------------------------------------------
    def reap(self) -> None:
        """Stop the runs of abandoned pages; forget pages silent for long."""
        now = time.monotonic()
        with self.lock:
            for page in list(self.pages.values()):
                silent = now - page.seen
                if silent > self.forgotten:
                    self._drop(page)
                elif silent > self.abandoned:
                    self.stop(page)

    def warm_up(self) -> None:
        """Start the worker processes now, and import the statistics and the figures here
        and in them, so that the first Run a student presses does not wait for them (a few
        seconds)."""
        from sim.runner.pool import shared_pool

        def start() -> None:
            for module in ("sim.analysis.analyse", "sim.output.results", "sim.output.plots"):
                importlib.import_module(module)
            if self.workers < 2:
                return
            pool = shared_pool(self.workers)
            for future in [pool.submit(importlib.import_module, "sim.output.plots")
                           for _ in range(self.workers)]:
                with contextlib.suppress(Exception):  # the first run would say what is wrong
                    future.result()

        threading.Thread(target=start, name="explore-warm-up", daemon=True).start()

    def start_watchdog(self, every: float = 1.0) -> None:
        def watch() -> None:
            while not self._closing.wait(every):
                self.reap()

        self._watchdog = threading.Thread(target=watch, name="explore-watchdog", daemon=True)
        self._watchdog.start()

    def close(self, timeout: float = 30.0) -> None:
        """Stop every run, wait for them, remove the working folder (if it is ours)."""
        self._closing.set()
        with self.lock:
            runs = [r for p in self.pages.values() for r in p.runs]
        for run in runs:
            run.stop.set()
        deadline = time.monotonic() + timeout
        for run in runs:
            if run.thread is not None:
                run.thread.join(max(0.0, deadline - time.monotonic()))
        if self._watchdog is not None:
            self._watchdog.join(2.0)
        if self._own_workdir:
            with contextlib.suppress(OSError):
                shutil.rmtree(self.workdir)
