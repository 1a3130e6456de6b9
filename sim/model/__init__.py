"""One replication: the shared world, one module per mechanism, the recorder, the day clock.

Reads scenarios; never imports the runner, the analysis or the output.
"""
