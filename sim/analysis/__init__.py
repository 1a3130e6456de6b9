"""Numbers in, numbers out: estimates with intervals, paired comparisons, precision, sweeps,
sensitivity, and the sections of summary.json built from them."""
