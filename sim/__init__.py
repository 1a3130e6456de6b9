"""baiji-sim: a discrete-event Monte Carlo model of the 2014-15 siege of the Baiji refinery.

The public API, for notebooks as much as for the CLI::

    from sim import analyse, load_scenario, run_batch
    scenario = load_scenario("scenarios/baseline.yaml")
    batch = run_batch([scenario], replications=200, seed=1)
    rows = batch.rows()
    summary = analyse(batch)  # what summary.json holds, comparisons included
"""

__version__ = "0.1.0"

import importlib
from typing import Any

# The public names, imported on first use (PEP 562): worker processes import
# sim.runner.batch and sim.model.replication only, and must not pay for scipy (half a second),
# which the statistics need.
_EXPORTS = {
    "BatchResult": "sim.runner.batch",
    "run_batch": "sim.runner.batch",
    "ScenarioError": "sim.scenario.loading",
    "load_scenario": "sim.scenario.loading",
    "load_scenarios": "sim.scenario.loading",
    "run_replication": "sim.model.replication",
    "summarize": "sim.analysis.estimates",
    "analyse": "sim.analysis.analyse",
}

__all__ = [
    "BatchResult",
    "ScenarioError",
    "__version__",
    "analyse",
    "load_scenario",
    "load_scenarios",
    "run_batch",
    "run_replication",
    "summarize",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup finds it directly
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
