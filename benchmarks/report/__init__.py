"""Report side of the benchmarks: statistics, the benchmark targets, the Markdown report and the PNG chart.

Runs in the orchestrator's interpreter and reads only the raw times the harness collected (or a
results JSON, for ``run.py --render``).
"""
