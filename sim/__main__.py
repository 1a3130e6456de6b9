"""``python -m sim`` works like ``baiji-sim``."""

from sim.cli import main

main()
