"""Where replications run: this machine's processes, or a Dask cluster.

Every engine is a ``concurrent.futures.Executor``, so the batch code does not
care which one it has. Dask is optional (``pip install baiji-sim[dask]``); a
replication's numbers depend only on its seed, so a cluster gives the same
rows as the local pool. If a Dask worker dies mid-batch, the scheduler runs
its chunks again elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager


class ClusterError(Exception):
    """The requested engine cannot be used (Dask missing, scheduler unreachable)."""


@contextmanager
def engine(scheduler: str | None = None, local_dask: bool = False,
           workers: int = 1) -> Iterator[Executor | None]:
    """An executor for the batch, or None for the default local process pool."""
    if scheduler is None and not local_dask:
        yield None
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise ClusterError("Dask is not installed: pip install 'baiji-sim[dask]'") from exc
    cluster = None
    try:
        if local_dask:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None)
            client = Client(cluster)
        else:
            client = Client(scheduler, timeout="10s")
    except OSError as exc:
        if cluster is not None:
            cluster.close()
        raise ClusterError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from exc
    try:
        yield client.get_executor()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
