"""Imported by the fork server alone, never by baiji-sim itself: signals and start-up noise.

``sim.runner.pool.local_pool`` names this module first in the fork server's preload list.

- It ignores SIGTERM: a kill sent to the whole process group (a batch scheduler stopping
  a job) must stop only the parent, which then shuts its pool down. A fork server killed
  with it makes the pool take every worker for dead, and its clean-up can then wait
  forever. The server still ends when the parent does (it watches a pipe from the
  parent).
- It ignores SIGINT: Ctrl-C also goes to the whole group. The fork server ignores it on
  its own, but only once its preload imports (numpy, pydantic: about 0.2 s) are done; a
  Ctrl-C in that window printed the server's KeyboardInterrupt traceback. One window is
  left: Python's own start-up in the server (about 60 ms, before this module runs).
  Ignoring SIGINT in the parent while it launches the server would close it, but
  would also lose a Ctrl-C meant for the run.
- A worker forked while the run is shutting its pool down (Ctrl-C within about half a
  second of the start) finds the pool's semaphores already gone and cannot start. The
  fork server reports that through ``sys.excepthook``, which printed a
  ``SemLock._rebuild`` FileNotFoundError traceback under the run's own "interrupted"
  message. That one case is dropped; every other error is printed as before.

The workers it forks inherit all three (``sim.runner.pool._init_worker`` sets the signals again).
"""

from __future__ import annotations

import signal
import sys
from types import TracebackType

signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool_gone_while_starting(exc_type: type[BaseException], tb: TracebackType | None) -> bool:
    """The error is a semaphore of the pool missing while a worker unpickles its start-up."""
    if not issubclass(exc_type, FileNotFoundError):
        return False
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name == "__setstate__" and code.co_filename.endswith("synchronize.py"):
            return True
        tb = tb.tb_next
    return False


def _excepthook(exc_type: type[BaseException], exc: BaseException,
                tb: TracebackType | None) -> None:
    if not _pool_gone_while_starting(exc_type, tb):
        sys.__excepthook__(exc_type, exc, tb)


sys.excepthook = _excepthook
