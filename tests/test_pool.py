"""The shared local process pool: kept across batches, replaced when it cannot be trusted."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pytest

from sim.runner.batch import BatchResult, MemorySink, run_batch
from sim.runner.chunks import plan_chunks
from sim.runner.pool import iter_chunk_results, shared_pool, shutdown_shared_pool
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"
N = 40


@pytest.fixture(autouse=True)
def fresh_pool() -> Iterator[None]:
    """Each test starts without a shared pool and leaves none behind."""
    shutdown_shared_pool()
    yield
    shutdown_shared_pool()


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return load_scenario(BASELINE)


@pytest.fixture(scope="module")
def reference(baseline: Scenario) -> BatchResult:
    """The batch run in this process, no pool at all."""
    batch = run_batch([baseline], N, seed=3, workers=1)
    # Otherwise "equal rows" could hold for a batch that ignores the seeds.
    assert len(np.unique(batch.runs[0].column("supplies_delivered_t"))) > N // 2
    return batch


def same_rows(a: BatchResult, b: BatchResult) -> None:
    assert not a.interrupted and not b.interrupted
    for x, y in zip(a.runs, b.runs, strict=True):
        np.testing.assert_array_equal(x.replication, y.replication)
        np.testing.assert_array_equal(x.seed, y.seed)
        np.testing.assert_array_equal(x.metrics, y.metrics)  # NaN == NaN here
        np.testing.assert_array_equal(x.daily, y.daily)


def pooled(baseline: Scenario, workers: int = 2) -> BatchResult:
    # chunk_size=5: eight chunks, so both workers take part
    return run_batch([baseline], N, seed=3, workers=workers, chunk_size=5)


def refuses_work(pool: Executor) -> bool:
    try:
        pool.submit(int).result()
    except (RuntimeError, BrokenProcessPool):
        return True
    return False


def test_consecutive_batches_share_one_pool_and_its_processes(
        baseline: Scenario, reference: BatchResult) -> None:
    first = pooled(baseline)
    pool = shared_pool(2)
    pids = set(pool._processes)
    assert pids, "the batch ran in the shared pool, so its workers are up"
    second = pooled(baseline)
    assert shared_pool(2) is pool
    assert set(pool._processes) == pids  # no worker was started again
    assert not refuses_work(pool)  # still alive after two batches
    same_rows(reference, first)
    same_rows(reference, second)


def test_another_worker_count_replaces_the_pool(baseline: Scenario,
                                                reference: BatchResult) -> None:
    pooled(baseline, workers=2)
    two = shared_pool(2)
    three_workers = pooled(baseline, workers=3)
    three = shared_pool(3)
    assert three is not two
    assert three._max_workers == 3
    assert refuses_work(two)  # the old pool was shut down, not leaked
    same_rows(reference, three_workers)


def test_an_interrupted_batch_drops_the_pool_and_the_next_one_starts_clean(
        baseline: Scenario, reference: BatchResult) -> None:
    pooled(baseline)
    pool = shared_pool(2)

    def ctrl_c(_: int) -> None:
        raise KeyboardInterrupt

    part = run_batch([baseline], N, seed=3, workers=2, chunk_size=5, progress=ctrl_c)
    assert part.interrupted
    assert 0 < len(part.runs[0].seed) < N
    assert refuses_work(pool)  # shut down, not left running the cancelled chunks
    assert shared_pool(2) is not pool
    same_rows(reference, pooled(baseline))


def test_a_consumer_that_stops_early_drops_the_pool(baseline: Scenario) -> None:
    results = iter_chunk_results([baseline], plan_chunks(1, N, 3, 2, chunk_size=5), workers=2)
    next(results)
    pool = shared_pool(2)
    results.close()  # GeneratorExit at the yield
    assert refuses_work(pool)
    assert shared_pool(2) is not pool


def test_a_pool_whose_worker_was_killed_is_replaced(baseline: Scenario,
                                                    reference: BatchResult) -> None:
    pooled(baseline)
    pool = shared_pool(2)
    os.kill(next(iter(pool._processes)), signal.SIGKILL)
    deadline = time.monotonic() + 60
    while not pool._broken and time.monotonic() < deadline:  # the pool notices on its own
        time.sleep(0.02)
    assert pool._broken
    same_rows(reference, pooled(baseline))
    assert shared_pool(2) is not pool


class _KillsItsWorker:
    """Unpickled in a worker as ``raise_signal(SIGKILL)``: the worker dies mid-batch."""

    def __reduce__(self) -> tuple[object, tuple[int]]:
        return signal.raise_signal, (int(signal.SIGKILL),)


def test_a_chunk_that_always_kills_its_worker_ends_the_batch_after_one_retry(
        baseline: Scenario, reference: BatchResult) -> None:
    pooled(baseline)
    pool = shared_pool(2)
    chunks = plan_chunks(2, N, 3, 2, chunk_size=5)
    with pytest.raises(BrokenProcessPool):
        for _ in iter_chunk_results([baseline, _KillsItsWorker()], chunks, workers=2):
            pass
    assert refuses_work(pool)
    assert shared_pool(2) is not pool
    same_rows(reference, pooled(baseline))


def _die_once(marker: str, scenario: Scenario) -> Scenario:
    """Unpickling this in a worker kills the worker the first time only."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return scenario
    signal.raise_signal(signal.SIGKILL)
    raise AssertionError("unreachable")


class _KillsItsWorkerOnce:
    def __init__(self, marker: Path, scenario: Scenario) -> None:
        self.marker, self.scenario = marker, scenario

    def __reduce__(self) -> tuple[object, tuple[str, Scenario]]:
        return _die_once, (str(self.marker), self.scenario)


def test_the_chunks_of_a_worker_that_died_run_again_on_a_fresh_pool(
        baseline: Scenario, reference: BatchResult, tmp_path: Path) -> None:
    """A worker lost mid-batch (killed, out of memory) costs a retry, not the batch."""
    pooled(baseline)
    pool = shared_pool(2)
    marker = tmp_path / "died"
    dying = _KillsItsWorkerOnce(marker, baseline)
    # Every chunk carries the same scenario; the first worker to unpickle it dies.
    chunks = plan_chunks(1, N, 3, 2, chunk_size=5)
    results = list(iter_chunk_results([dying], chunks, workers=2))
    assert marker.exists(), "a worker really died"
    assert refuses_work(pool)  # the broken pool was shut down and replaced
    assert sorted(r.start for r in results) == [c.start for c in chunks]  # each chunk once
    sink = MemorySink([baseline], N, 3)
    for result in results:
        sink.keep(result)
    same_rows(reference, sink.batch(interrupted=False))


def test_a_worker_killed_just_before_a_batch_costs_nothing(
        baseline: Scenario, reference: BatchResult) -> None:
    """Whether or not the pool has noticed the death yet, the batch completes."""
    pooled(baseline)
    for pid in list(shared_pool(2)._processes):
        os.kill(pid, signal.SIGKILL)
    same_rows(reference, pooled(baseline))


def _other_thread_batch(thread: ThreadPoolExecutor, baseline: Scenario,
                        release: threading.Event) -> Future[BatchResult]:
    """A 2-worker batch in ``thread`` that, once its first chunk is in, waits for
    ``release``: it is then running on the shared pool, its other chunks submitted."""
    started = threading.Event()

    def progress(_: int) -> None:
        if not started.is_set():
            started.set()
            assert release.wait(60), "the other batch never finished"

    other = thread.submit(run_batch, [baseline], N, seed=3, workers=2, chunk_size=5,
                          progress=progress)
    assert started.wait(60)
    return other


def test_a_batch_interrupted_in_one_thread_leaves_another_threads_batch_running(
        baseline: Scenario, reference: BatchResult) -> None:
    release = threading.Event()
    with ThreadPoolExecutor(1) as thread:
        other = _other_thread_batch(thread, baseline, release)
        pool = shared_pool(2)

        def ctrl_c(_: int) -> None:
            raise KeyboardInterrupt

        part = run_batch([baseline], N, seed=3, workers=2, chunk_size=5, progress=ctrl_c)
        assert part.interrupted
        assert not refuses_work(pool)  # not shut down under the other batch
        release.set()
        same_rows(reference, other.result(timeout=60))
    assert shared_pool(2) is pool  # the other batch ran to its end: the pool is kept


def test_a_pool_replaced_while_a_batch_runs_on_it_is_shut_down_after_that_batch(
        baseline: Scenario, reference: BatchResult) -> None:
    release = threading.Event()
    with ThreadPoolExecutor(1) as thread:
        other = _other_thread_batch(thread, baseline, release)
        two = shared_pool(2)
        same_rows(reference, pooled(baseline, workers=3))
        assert not refuses_work(two)  # still serving the other batch
        release.set()
        same_rows(reference, other.result(timeout=60))
    assert refuses_work(two)  # retired: shut down once its last batch ended
    assert shared_pool(3)._max_workers == 3


FORKSERVER_HOOK = """
import sys
import sim.runner.forkserver_signals  # what the fork server preloads; this process is thrown away
code = compile("def __setstate__():\\n    raise FileNotFoundError(2, 'gone')\\n",
               "/usr/lib/python3/multiprocessing/synchronize.py", "exec")
space = {}
exec(code, space)
for failing in (space["__setstate__"], lambda: 1 / 0):
    try:
        failing()
    except Exception:
        sys.excepthook(*sys.exc_info())
"""


def test_the_fork_server_drops_only_the_traceback_of_a_worker_started_too_late() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", FORKSERVER_HOOK], capture_output=True,
                          text=True, timeout=60, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    assert "FileNotFoundError" not in done.stderr  # the pool's semaphores gone: dropped
    assert "ZeroDivisionError" in done.stderr  # any other error: printed as before


@pytest.mark.parametrize("outcome", ["finished", "bad input"])
def test_nothing_of_a_finished_run_is_left_in_its_process_group(tmp_path: Path,
                                                                outcome: str) -> None:
    """Issue 16: the fork server and the resource tracker are stopped and reaped at exit,
    so a harness that waits for the job's process group finds it empty at once. Also when
    the run stops on bad input after starting its fork server early (start_fork_server),
    before any pool used it."""
    import subprocess
    import sys

    scenario = BASELINE if outcome == "finished" else tmp_path / "missing.yaml"
    proc = subprocess.Popen([sys.executable, "-m", "sim", "run", str(scenario), "-n", "60",
                             "--workers", "2", "--no-plots", "--out", str(tmp_path / "r")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # its group id is its pid
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == (0 if outcome == "finished" else 2), err
    ps = subprocess.run(["ps", "-eo", "pid=,pgid=,stat="], capture_output=True, text=True)
    left = [line for line in ps.stdout.splitlines() if line.split()[1] == str(proc.pid)]
    assert not left, left  # not even a zombie waiting for init


def test_the_fork_server_started_early_is_the_one_the_workers_come_from() -> None:
    """``run`` starts the fork server before it loads its scenarios (start_fork_server), so
    that it boots meanwhile: the pool must then fork its workers from that server, not
    start another, and the batch's numbers are those of any other pool."""
    import subprocess
    import sys

    script = """
import os, sys
from multiprocessing import forkserver
from sim.runner import pool
from sim.runner.batch import run_batch
from sim.scenario.loading import load_scenario
if __name__ == "__main__":
    pool.start_fork_server()
    early = forkserver._forkserver._forkserver_pid
    assert early is not None and pool._early_fork_server == early
    batch = run_batch([load_scenario(sys.argv[1])], 40, seed=3, workers=2)
    workers = list(pool.shared_pool(2)._processes)
    parents = {int(open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[1]) for p in workers}
    assert forkserver._forkserver._forkserver_pid == early and parents == {early}, parents
    assert pool._early_fork_server is None  # a pool uses it: stopped as usual at exit
    print(repr(batch.runs[0].column("garrison_fall_day").tolist()))
"""
    done = subprocess.run([sys.executable, "-c", script, str(BASELINE)], capture_output=True,
                          text=True, timeout=120, cwd=BASELINE.parent.parent)
    assert done.returncode == 0, done.stderr
    plain = run_batch([load_scenario(BASELINE)], 40, seed=3, workers=1)
    assert done.stdout.strip() == repr(plain.runs[0].column("garrison_fall_day").tolist())
