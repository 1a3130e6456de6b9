"""baiji-sim: a discrete-event Monte Carlo model of the 2014-15 siege of the Baiji refinery.

The public API, for notebooks as much as for the CLI::

    from sim import load_scenario, run_batch, summarize
    scenario = load_scenario("scenarios/baseline.yaml")
    batch = run_batch([scenario], replications=200, seed=1)
    rows = batch.rows()
    summary = summarize(batch)
"""

__version__ = "0.1.0"

from sim.batch import BatchResult, run_batch
from sim.loading import ScenarioError, load_scenario, load_scenarios
from sim.replication import run_replication
from sim.statistics import summarize

__all__ = [
    "BatchResult",
    "ScenarioError",
    "__version__",
    "load_scenario",
    "load_scenarios",
    "run_batch",
    "run_replication",
    "summarize",
]
