"""``python -m sim`` and the ``baiji-sim`` command.

Starting the command line imports numpy, pydantic, typer and the model (about 0.3 s). A
Ctrl-C in that time printed a KeyboardInterrupt traceback from the middle of an import;
it now exits 130 quietly, as a stopped run does (nothing had started, so nothing is lost).
"""

import sys


def main() -> None:
    """Import the command line, then run it."""
    try:
        from sim.cli.app import main as run_cli
    except KeyboardInterrupt:
        sys.exit(130)
    run_cli()


if __name__ == "__main__":
    main()
