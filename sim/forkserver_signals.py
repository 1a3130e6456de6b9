"""Imported by the fork server alone, never by baiji-sim itself: it ignores SIGTERM.

``sim.batch.local_pool`` names this module in the fork server's preload list. A kill
sent to the whole process group (a batch scheduler stopping a job) must stop only the
parent, which then shuts its pool down: a fork server killed with it makes the pool
take every worker for dead, and its clean-up can then wait forever. The server still
ends when the parent does (it watches a pipe from the parent), and the workers it
forks inherit the setting (they ignore SIGTERM too, see ``sim.batch._init_worker``).
"""

from __future__ import annotations

import signal

signal.signal(signal.SIGTERM, signal.SIG_IGN)
