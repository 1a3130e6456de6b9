"""The sections of the report, one module each: the results (outcomes, comparisons, validity,
figures), the caveats, and the STRESS-DES account (objectives, logic, data, study)."""
