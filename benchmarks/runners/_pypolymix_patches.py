"""Opt-in patches of the pypolymix baseline, applied only to workloads that declare them.

``fast_pce_indices``: pypolymix 0.1.9 builds the total-order index set by filtering all
``(degree + 1) ** num_inputs`` tuples of ``itertools.product`` (``5 ** 20 ~ 9.5e13`` for 20
inputs at degree 4), so its constructor does not finish. The patch enumerates the same tuples
in the same order directly (compositions of each total degree, lexicographically ascending);
the forward pass, the part that is timed, is pypolymix's own. The patch checks itself against
the original on small cases before it is installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def _compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """Tuples of ``parts`` non-negative ints summing to ``total``, lexicographically ascending."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)


def total_order_tuples(num_inputs: int, degree: int) -> list[tuple[int, ...]]:
    """pypolymix's index order: by total degree, then lexicographically ascending."""
    return [t for total in range(degree + 1) for t in _compositions(total, num_inputs)]


def _fast_pce_indices(pypolymix: Any, torch: Any) -> None:
    pce_cls = pypolymix.surrogate_models.PolynomialChaosExpansion
    original = pce_cls._get_indices
    for d, p in ((1, 5), (3, 4), (4, 3), (6, 2)):
        probe = pce_cls(d, 1, degree=p)
        if probe.multi_indices.tolist() != [list(t) for t in total_order_tuples(d, p)]:
            raise AssertionError(f"fast_pce_indices disagrees with pypolymix for num_inputs={d}, degree={p}")

    def _get_indices(self: Any) -> Any:
        return torch.tensor(total_order_tuples(self.num_inputs, self.degree), dtype=torch.long)

    _get_indices.__doc__ = original.__doc__
    pce_cls._get_indices = _get_indices


PATCHES = {"fast_pce_indices": _fast_pce_indices}


def apply(names: list[str], pypolymix: Any, torch: Any) -> None:
    """Install the named patches (unknown names raise)."""
    for name in names:
        PATCHES[name](pypolymix, torch)
