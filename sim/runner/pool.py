"""Where chunks run: this process, a local process pool, or any executor (Dask).

The local pool is started once per process and reused by later batches (sweeps,
sequential runs and sensitivity designs run many); workers leave Ctrl-C and kills to
the parent, which shuts its pool down, and end themselves if the parent dies.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from functools import partial

from sim.runner.chunks import Chunk, ChunkResult, parcels, run_chunk, run_parcel
from sim.scenario.schema import Scenario


def _init_worker() -> None:
    # The parent handles Ctrl-C and kill (SIGINT, SIGTERM), then shuts its pool down. Sent to
    # the whole process group (Ctrl-C in a terminal, a batch scheduler stopping a job), they
    # must not also kill the workers mid-chunk: a worker killed while sending its result
    # leaves the pool's manager thread waiting forever for the rest, and the run never exits.
    # So each worker leaves the run's process group. It stays killable by SIGTERM (which the
    # fork server ignores, see sim.runner.forkserver_signals): the pool's own clean-up of a broken
    # pool terminates the workers left with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.setpgid(0, 0)
    parent = multiprocessing.parent_process()  # the run, even when forked by the fork server
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: multiprocessing.process.BaseProcess) -> None:
    """End this worker once the run that started it is gone (killed outright: SIGKILL, the
    out-of-memory killer): it would otherwise wait for work, and keep the fork server up,
    forever."""
    parent.join()
    os._exit(1)


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# What the fork server imports before it forks a worker: the signals module first.
FORK_SERVER_PRELOAD = ("sim.runner.forkserver_signals", "sim.runner.chunks")
_early_fork_server: int | None = None  # the pid start_fork_server started, until a pool uses it


def _fork_server_context() -> multiprocessing.context.BaseContext | None:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("forkserver")


def local_pool(workers: int) -> Executor:
    """A process pool of ``workers`` processes that leaves Ctrl-C to the parent.

    forkserver (where available) starts workers from a clean, preloaded server
    process: faster than spawn, and safe with the threads a progress bar runs.
    """
    global _early_fork_server
    context = _fork_server_context()
    if context is None:
        context = multiprocessing.get_context("spawn")
    else:
        context.set_forkserver_preload(list(FORK_SERVER_PRELOAD))
    _early_fork_server = None  # a pool now uses the server: it is stopped as usual at exit
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker)


def start_fork_server() -> None:
    """Start the fork server now, and return at once.

    A command that will run a pool calls this before it loads and checks its scenarios: the
    server boots and imports the model (about 0.4 s) on the other core meanwhile, instead of
    after, while the batch waits for its first worker. Nothing happens without the fork
    server, or once it runs. (Importing the figures' module there too was measured and not
    kept: the batch then waited for matplotlib, and the figures gained nothing, their
    workers' imports being hidden behind the main process's writing already.)"""
    global _early_fork_server
    from multiprocessing import forkserver

    context = _fork_server_context()
    server = getattr(forkserver, "_forkserver", None)
    if context is None or server is None or getattr(server, "_forkserver_pid", 1) is not None:
        return
    context.set_forkserver_preload(list(FORK_SERVER_PRELOAD))
    forkserver.ensure_running()
    _early_fork_server = server._forkserver_pid


# The process-wide pool: (pid that made it, its worker count, the pool), or None.
_shared: tuple[int, int, Executor] | None = None
# Batches running now on each local pool of this process. A pool is shut down only by the
# last batch running on it: batches run from several threads share the pool, and one
# that stops early, or asks for another worker count, must not stop it under the others.
_running: dict[Executor, int] = {}
_retired: set[Executor] = set()  # replaced while batches ran on it: shut down after them
_shared_lock = threading.Lock()


def _usable(pool: Executor) -> bool:
    # A worker that died marks the pool broken; a shut-down pool refuses work. Either way
    # submit() would raise, so the pool must be replaced rather than handed out.
    return not getattr(pool, "_broken", False) and not getattr(pool, "_shutdown_thread", False)


def _current_pool(workers: int) -> Executor:
    """The shared pool of ``workers`` processes, replacing one that will not do.

    Call with the lock held. A replaced pool that batches still run on is retired:
    the last of them shuts it down.
    """
    global _shared
    if _shared is not None:
        pid, size, pool = _shared
        if pid == os.getpid() and size == workers and _usable(pool):
            return pool
        _shared = None
        if pid == os.getpid():  # after a fork the pool is the parent's: leave it alone
            if _running.get(pool):
                _retired.add(pool)
            else:
                pool.shutdown(wait=True)
    pool = local_pool(workers)
    _shared = (os.getpid(), workers, pool)
    return pool


def shared_pool(workers: int) -> Executor:
    """This process's local pool of ``workers`` processes, started on first use and kept.

    Sweeps, sequential runs and sensitivity analyses run many batches in one
    process; reusing the pool saves starting its processes for every one.
    A pool of another size, or one that can no longer take work (a worker
    died), is replaced. Workers start on demand, so a batch of fewer chunks
    than workers starts no idle processes.
    """
    with _shared_lock:
        return _current_pool(workers)


def preload(workers: int, modules: Sequence[str]) -> None:
    """Have the shared pool's idle workers import ``modules`` now, without waiting for them.

    What the next work on the pool needs loads while this process does something else: the
    figures' matplotlib and scipy (about a second of CPU a process) while the run analyses
    and writes its results. Best effort: a worker that takes two of these imports once."""
    pool = shared_pool(workers)
    for _ in range(workers):
        pool.submit(_import, list(modules))


def _import(modules: list[str]) -> None:
    for module in modules:
        importlib.import_module(module)


@contextmanager
def _leased_pool(workers: int) -> Iterator[Executor]:
    """The shared pool, for one batch. A batch that does not run to its end (Ctrl-C,
    the consumer stopping, a dead worker) shuts the pool down, so that the next batch
    starts clean instead of queueing behind what is left of it, unless other batches
    are still running on it."""
    global _shared
    with _shared_lock:
        pool = _current_pool(workers)
        _running[pool] = _running.get(pool, 0) + 1
    completed = False
    try:
        yield pool
        completed = True
    finally:
        with _shared_lock:
            others = _running.pop(pool) - 1
            if others:
                _running[pool] = others
            stop = not others and (not completed or pool in _retired)
            if stop:
                _retired.discard(pool)
                if _shared is not None and _shared[2] is pool:
                    _shared = None
        if stop:
            # Workers ignore SIGINT, so running chunks finish and this returns; pending
            # ones are dropped.
            pool.shutdown(wait=True, cancel_futures=True)


def shutdown_shared_pool() -> None:
    """Stop the shared pool's processes now (also done at exit); the next batch starts one."""
    global _shared
    with _shared_lock:
        shared, _shared = _shared, None
    if shared is not None and shared[0] == os.getpid():
        shared[2].shutdown(wait=True, cancel_futures=True)


def _stop_helpers() -> None:
    """At exit, stop and reap multiprocessing's own helper processes (the fork server, the
    resource tracker), so that nothing of the run is left in its process group once it has
    exited (issue 16): they would otherwise end only after noticing the run is gone, and
    stay as zombies until init reaps them. ``_stop`` is what CPython's tests use for this;
    a Python without it leaves them to end on their own, as before.

    A fork server started early that no pool used (the command stopped on bad input) may
    still be importing, and would finish before it noticed: it has forked nothing, so it is
    killed, and the error's exit is not held up by its imports."""
    from multiprocessing import forkserver, resource_tracker

    if _early_fork_server is not None:
        with contextlib.suppress(OSError):
            os.kill(_early_fork_server, signal.SIGKILL)

    for helper in (getattr(forkserver, "_forkserver", None),
                   getattr(resource_tracker, "_resource_tracker", None)):
        stop = getattr(helper, "_stop", None)
        if stop is None:
            continue
        with contextlib.suppress(OSError, ChildProcessError, RuntimeError):  # already gone
            stop()


def _at_exit() -> None:
    shutdown_shared_pool()
    _stop_helpers()


atexit.register(_at_exit)


def _workers_of(pool: Executor) -> int:
    """How many processes ``pool`` runs chunks on (a Dask executor: assume 2 a machine)."""
    return int(getattr(pool, "_max_workers", 0) or 2)


def iter_chunk_results(scenarios: Sequence[Scenario], chunks: Sequence[Chunk],
                       workers: int = 1, executor: Executor | None = None,
                       daily: bool = True) -> Generator[ChunkResult, None, None]:
    """Run chunks and yield their results as they finish (in any order).

    ``executor`` is any ``concurrent.futures`` executor: a local process pool,
    or a Dask cluster's ``Client.get_executor()``. Without one, ``workers == 1``
    runs in this process and more use :func:`shared_pool`, kept for the next
    batch. A batch that does not run to its end (Ctrl-C, the consumer stopping,
    a dead worker) cancels what has not started and shuts the shared pool down
    (unless batches of other threads are running on it).
    A local worker that dies (killed, out of memory) breaks the whole pool: the
    chunks not yet finished then run once more on a fresh pool, as Dask retries a
    lost worker's tasks. A chunk's rows depend only on its seeds, so the result
    is unchanged; a chunk that kills its worker again ends the batch.
    """
    if executor is None and workers == 1:
        for chunk in chunks:
            yield run_chunk(scenarios[chunk.scenario_index], chunk, daily)
        return
    work = partial(run_parcel, daily=daily)
    if not chunks:  # nothing to do (e.g. a resume of a finished batch): start no processes
        return
    if executor is not None:
        yield from _run_on(executor, work, scenarios, chunks, set())
        return
    done: set[int] = set()  # indices of the chunks already yielded
    try:
        with _leased_pool(workers) as pool:
            yield from _run_on(pool, work, scenarios, chunks, done)
    except BrokenProcessPool:
        left = [c for i, c in enumerate(chunks) if i not in done]
        with _leased_pool(workers) as pool:
            yield from _run_on(pool, work, scenarios, left, set())


def _run_on(pool: Executor, work: partial[list[ChunkResult]], scenarios: Sequence[Scenario],
            chunks: Sequence[Chunk], done: set[int]) -> Iterator[ChunkResult]:
    """Submit the chunks to ``pool`` in parcels (:func:`~sim.runner.chunks.parcels`) and
    yield the results, noting in ``done`` the index of each chunk yielded. A batch that
    stops early cancels what has not started."""
    futures: dict[Future[list[ChunkResult]], list[int]] = {}
    try:
        for parcel in parcels(chunks, _workers_of(pool)):
            pairs = [(scenarios[chunks[i].scenario_index], chunks[i]) for i in parcel]
            futures[pool.submit(work, pairs)] = parcel
        for future in as_completed(futures):
            results = future.result()
            done.update(futures[future])
            yield from results
    finally:
        for future in futures:
            future.cancel()
