"""Scenario files: the typed schema, YAML loading with ``extends`` and ``--set``, provenance.

The first layer: it knows nothing of the model that runs a scenario.
"""
