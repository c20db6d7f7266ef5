"""The parity suite: only its tests are collected (``record_baseline.py`` runs under the original pypolymix)."""

collect_ignore = ["record_baseline.py"]
