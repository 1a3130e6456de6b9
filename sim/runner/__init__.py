"""Many replications: batches over worker processes or Dask, streamed to disk, resumable.

Runs the model; knows nothing of the analysis or the output.
"""
