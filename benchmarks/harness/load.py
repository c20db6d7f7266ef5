"""How busy the machine was with *other* processes while the harness measured.

The harness's own CPU time (this process and every runner it started and reaped) is taken
from ``getrusage``; the machine's busy time from ``/proc/stat``. Their difference, divided by
the wall time, is the average number of CPUs other processes kept busy.
"""

from __future__ import annotations

import os
import resource
import time


def _busy_seconds() -> float:
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total


class CpuMeter:
    """Start on construction; ``background_cpus()`` after every runner started since has been reaped."""

    def __init__(self) -> None:
        self._wall, self._busy, self._own = time.perf_counter(), _busy_seconds(), _own_seconds()

    def background_cpus(self) -> float:
        """Average CPUs used by other processes since the start (>= 0)."""
        wall = time.perf_counter() - self._wall
        other = (_busy_seconds() - self._busy) - (_own_seconds() - self._own)
        return max(0.0, other / wall) if wall > 0 else 0.0
