"""Reference losses: samples of any group from noise, deterministic distribution losses, and their gradients."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Callable

import numpy as np

from .._errors import PolymixTypeError
from .._group_specs import (
    DeterministicGroupSpec,
    GaussianGroupSpec,
    GroupSpec,
    IIDGaussianGroupSpec,
    LangevinGroupSpec,
    LowRankGaussianGroupSpec,
)
from .._prior_specs import LaplacePriorSpec, PriorSpec
from ._groups import prior_log_prob, sample_transform
from ._kl import kl_divergence
from ._langevin import langevin_from_noise

__all__ = ["sample_from_noise", "deterministic_loss", "finite_difference_gradients"]

GAUSSIAN_FAMILIES = (IIDGaussianGroupSpec, GaussianGroupSpec, LowRankGaussianGroupSpec)
#: Relative step of the fourth-order finite differences of ``finite_difference_gradients``.
FD_STEP_4 = 1e-3


def sample_from_noise(spec: GroupSpec, raw: Mapping[str, np.ndarray], noise: np.ndarray) -> np.ndarray:
    """Samples ``(num_samples, num_params)`` of any group from noise ``(num_samples, *spec.noise_shape)``.

    The Gaussian and deterministic families use ``sample_transform``; a Langevin group returns
    the last particles of ``langevin_from_noise``.

    Example:
        >>> raw = {"mean": np.zeros(2), "log_std": np.zeros(2)}
        >>> sample_from_noise(IIDGaussianGroupSpec(2), raw, np.full((1, 2), 2.0)).tolist()
        [[2.0, 2.0]]
    """
    if isinstance(spec, LangevinGroupSpec):
        return langevin_from_noise(spec, raw, noise)[-1]
    return sample_transform(spec, raw, noise)


def deterministic_loss(spec: GroupSpec, raw: Mapping[str, np.ndarray], prior: PriorSpec) -> float:
    """The distribution loss of a group whose loss has no Monte Carlo part.

    A deterministic group's ``-log p(params)``; a Gaussian family's analytic KL against a Gaussian prior.

    Raises:
        PolymixTypeError: any other pair (its distribution loss is a Monte Carlo estimate).
    """
    if isinstance(spec, DeterministicGroupSpec):
        return float(-prior_log_prob(prior, np.asarray(raw["params"])[None, :])[0])
    if isinstance(spec, GAUSSIAN_FAMILIES) and not isinstance(prior, LaplacePriorSpec):
        return kl_divergence(spec, raw, prior)
    raise PolymixTypeError(
        f"spec, prior: expected a deterministic group, or a Gaussian family with a Gaussian prior; received "
        f"{type(spec).__name__} with {type(prior).__name__} (its distribution loss is a Monte Carlo estimate)"
    )


def finite_difference_gradients(
    loss: Callable[[dict[str, np.ndarray]], float], raw: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Gradient of ``loss(raw)`` w.r.t. every raw array, by fourth-order central finite differences.

    The relative step is 1e-3, checked against half the step; where the two disagree (a ReLU
    kink inside the stencil) a second-order step of 1e-6 is used.

    Example:
        >>> g = finite_difference_gradients(lambda r: float(np.sum(r["a"] ** 2)), {"a": np.array([1.0, -2.0])})
        >>> np.round(g["a"], 8).tolist()
        [2.0, -4.0]
    """
    raw64 = {name: np.asarray(value, dtype=np.float64) for name, value in raw.items()}
    grads: dict[str, np.ndarray] = {}
    for name, value in raw64.items():
        flat = value.reshape(-1)

        def partial(k: int, step: float, order: int, name: str = name, flat: np.ndarray = flat) -> float:
            def at(shift: float) -> float:
                moved = flat.copy()
                moved[k] += shift
                return loss({**raw64, name: moved.reshape(raw64[name].shape)})

            if order == 2:
                return (at(step) - at(-step)) / (2.0 * step)
            return (at(-2 * step) - 8 * at(-step) + 8 * at(step) - at(2 * step)) / (12.0 * step)

        g = np.zeros(flat.size)
        for k in range(flat.size):
            h = FD_STEP_4 * max(1.0, abs(float(flat[k])))
            coarse, fine = partial(k, h, 4), partial(k, h / 2, 4)
            g[k] = fine if abs(coarse - fine) <= 1e-6 * (1.0 + abs(fine)) else partial(k, 1e-3 * h, 2)
        grads[name] = g.reshape(value.shape)
    return grads
