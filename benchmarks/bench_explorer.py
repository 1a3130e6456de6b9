"""How long a class waits for a run in the explorer: Run to results, through the page's API.

Starts ``baiji-sim explore`` on a free loopback port with 2 workers, opens a page, and for
each scenario runs ``--repeat`` batches of ``-n`` replications as the page does (start the
run, poll until it ends, fetch the results and the watched replication), printing the
server's own run time and the wall time the page saw. Issue 19 asks for the 200-replication
figure on 2 cores::

    .venv/bin/python benchmarks/bench_explorer.py baseline campaign-2014-15
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="+", help="scenario names (file stems)")
    parser.add_argument("-n", type=int, default=200, help="replications per run")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-m", "sim", "explore", "--port", "0",
                               "--workers", "2"], stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert server.stdout is not None
    url = server.stdout.readline().split()[2]

    def call(path: str, data: Any = None) -> Any:
        body = json.dumps(data).encode() if data is not None else None
        request = urllib.request.Request(url + path, data=body, method="POST" if body else "GET",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            return json.load(response)

    try:
        time.sleep(5)  # the workers start with the explorer; a class presses Run later
        page = call("api/pages", {})["page"]
        print("scenario            n  server s  page s  load")
        for name in args.scenarios:
            for _ in range(args.repeat):
                start = time.monotonic()
                call(f"api/pages/{page}/runs", {"scenario": name, "replications": args.n,
                                                "seed": 1})
                while (state := call(f"api/pages/{page}")["runs"][-1])["state"] == "running":
                    time.sleep(0.1)
                call(f"api/pages/{page}/runs/{state['number']}")
                call(f"api/pages/{page}/runs/{state['number']}/watch")
                print(f"{name:<18}{args.n:>4}{state['seconds']:>10.2f}"
                      f"{time.monotonic() - start:>8.2f}  {os.getloadavg()[0]:.1f}")
    finally:
        server.send_signal(2)
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
