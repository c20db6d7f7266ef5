"""PCE multi-index sets by brute-force enumeration (contract section 2.2)."""

from __future__ import annotations

import itertools


def multi_indices(num_inputs: int, degree: int, q: float = 1.0) -> list[tuple[int, ...]]:
    """The index set ``{alpha : (sum_i alpha_i ** q) ** (1 / q) <= degree}`` in the contract's order.

    Every tuple of the full grid ``{0..degree} ** num_inputs`` is enumerated and filtered (fine for
    the small sets a test needs), then sorted by total degree and lexicographically ascending,
    so the first input varies slowest.

    Args:
        num_inputs: Number of inputs ``d``.
        degree: Maximal total degree (or q-norm) ``p``.
        q: Norm exponent in ``(0, 1]``; ``1`` is the total-order set.

    Returns:
        The multi-indices as tuples, in contract order.
    """
    kept = []
    for alpha in itertools.product(range(degree + 1), repeat=num_inputs):
        if sum(alpha) > degree:
            continue
        if q != 1.0 and sum(a**q for a in alpha) ** (1.0 / q) > degree + 1e-9:
            continue
        kept.append(alpha)
    return sorted(kept, key=lambda alpha: (sum(alpha), alpha))
