"""The classroom explorer: ``baiji-sim explore`` serves a page on which a class moves a
scenario's levers, runs a batch and watches one replication, without a command or a path.

It sits at the top of the layers, beside the command line: it uses the scenario layer (files,
levers, provenance), the runner (the same folder sink as ``run``), the analysis (the same
estimates and paired comparisons) and the output (the same files and figures). The web
framework (Starlette, served by uvicorn) is imported by :mod:`sim.explorer.app` alone, so
the logic here is tested without a server or a browser.
"""
