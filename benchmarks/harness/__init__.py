"""Orchestrator side of the benchmarks: runner processes, interleaved rounds, the baseline virtualenv, load.

Runs in the orchestrator's interpreter (the one that runs ``run.py``, with polymix-core, numpy and
matplotlib); it starts the runners in ``runners/`` under each column's own interpreter and talks to
them only through JSON lines on stdin/stdout.
"""
