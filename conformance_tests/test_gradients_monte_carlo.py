"""Gradients of the losses that ``loss_gradients`` cannot take: Monte Carlo KLs and Langevin groups.

The adapter protocol's ``loss_gradients`` differentiates a deterministic loss only, so every
adapter rejects a Gaussian family with a Laplace prior (its KL is a Monte Carlo estimate) and a
Langevin group. Their gradients are checked here through the existing protocol, by finite
differences of what the adapter returns, against the independent oracle:

* Laplace prior: a seeded ``distribution_loss`` is a smooth function of the raw parameters
  (the same noise at every evaluation), so its directional derivative is an unbiased estimate
  of the exact KL's; the mean over seeds must lie within 5 standard errors (their spread over
  the square root of the number of seeds) of the oracle's derivative of the folded-normal
  closed form. A backend with a closed form must hit it exactly.
* Langevin: the derivative of the final particles with respect to the surrogate parameters,
  by the same central differences of ``langevin_trajectory`` and of the oracle's trajectory.

The expectation is the oracle, not the reference, so the numpy backend takes part.

Each backend's autodiff of these losses is checked in its own test suite
(``packages/polymix-{torch,jax}/tests/test_monte_carlo_gradients.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from cases import FAMILY_CASES, LANGEVIN_CASES, LAPLACE_PRIOR_CASES, rng_for
from checks import assert_close, assert_within_se
from polymix_oracle import divergences, groups as oracle_groups, langevin

#: Seeds averaged per directional derivative, and the number of random directions.
SEEDS = tuple(range(32))
NUM_DIRECTIONS = 2
#: Central-difference step along a unit direction of the raw parameters (small: few Laplace kinks are crossed).
STEP = 1e-6
#: Relative step of the fourth-order differences of the particles (large enough that the energy-mode
#: oracle's own finite-difference score adds no noise).
PARTICLE_STEP = 1e-3
LAPLACE_CASES = [
    pytest.param(f, p, id=f"{f.id}-{p.id}")
    for f, p in [
        (FAMILY_CASES[1], LAPLACE_PRIOR_CASES[0]),  # iid, laplace-scalar
        (FAMILY_CASES[2], LAPLACE_PRIOR_CASES[1]),  # gaussian, laplace-vector
        (FAMILY_CASES[4], LAPLACE_PRIOR_CASES[1]),  # lowrank-r3, laplace-vector
    ]
]


def _flatten(raw: dict[str, np.ndarray]) -> np.ndarray:
    return np.concatenate([v.ravel() for v in raw.values()])


def _unflatten(flat: np.ndarray, like: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out, start = {}, 0
    for name, value in like.items():
        out[name] = flat[start : start + value.size].reshape(value.shape)
        start += value.size
    return out


def _directions(key: str, n: int) -> np.ndarray:
    v = rng_for("directions", key).standard_normal((NUM_DIRECTIONS, n))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _exact_kl(spec, flat, like, prior_dict) -> float:
    mean, cov = oracle_groups.moments(spec.to_dict(), _unflatten(flat, like))
    return divergences.laplace_kl(mean, cov, prior_dict)


@pytest.mark.parametrize(("family", "prior"), LAPLACE_CASES)
def test_laplace_kl_gradient_in_expectation(backend, require, family, prior):
    require(backend, "distribution_loss", "float64")
    spec, raw = family.spec, family.raw
    prior_spec = prior.spec(spec.num_params)
    flat = _flatten(raw)
    for k, v in enumerate(_directions(f"{family.id}|{prior.id}", flat.size)):
        up, down = _unflatten(flat + STEP * v, raw), _unflatten(flat - STEP * v, raw)
        exact = (
            _exact_kl(spec, flat + STEP * v, raw, prior_spec.to_dict())
            - _exact_kl(spec, flat - STEP * v, raw, prior_spec.to_dict())
        ) / (2 * STEP)
        per_seed = np.array(
            [
                (
                    backend.distribution_loss(spec, up, prior_spec, seed=s, dtype="float64")
                    - backend.distribution_loss(spec, down, prior_spec, seed=s, dtype="float64")
                )
                / (2 * STEP)
                for s in SEEDS
            ]
        )
        what = f"{backend.name} d KL({family.id} || {prior.id}) along direction {k}"
        if np.ptp(per_seed) == 0.0:  # a closed form: no Monte Carlo noise, it must be the exact derivative
            assert_close(per_seed[:1], [exact], "float64", factor=1e4, what=what)
        else:
            se = float(np.std(per_seed, ddof=1)) / math.sqrt(len(SEEDS))
            assert_within_se(float(per_seed.mean()), exact, se, what=what)


#: Cheap Langevin cases (few surrogate parameters): a PCE score, a one-layer energy and a PCE energy.
LANGEVIN_GRADIENT_CASES = [c for c in LANGEVIN_CASES if c.id in ("score-pce", "energy-mlp-depth0", "energy-pce")]


def _final_particles_jacobian(run, params: np.ndarray) -> np.ndarray:
    """Fourth-order central differences ``d theta_final / d surrogate_params``: ``(num_particles * d, num_params)``."""
    columns = []
    for j in range(params.size):
        h = PARTICLE_STEP * max(1.0, abs(float(params[j])))

        def at(shift: float, j: int = j, h: float = h) -> np.ndarray:
            moved = params.copy()
            moved[j] += shift * h
            return run(moved)

        columns.append(((at(-2) - 8 * at(-1) + 8 * at(1) - at(2)) / (12 * h)).ravel())
    return np.stack(columns, axis=1)


@pytest.mark.parametrize("case", LANGEVIN_GRADIENT_CASES, ids=lambda c: c.id)
def test_langevin_particles_derivative_wrt_surrogate_params(backend, require, case):
    require(backend, "langevin_trajectory", "float64")
    theta0, noise = case.theta0(), case.noise()
    params = case.raw["surrogate_params"]

    def backend_run(p):
        raw = {"surrogate_params": p}
        return backend.langevin_trajectory(case.spec, case.surrogate, raw, theta0, noise, dtype="float64")[-1]

    def oracle_run(p):
        return langevin.trajectory(case.spec.to_dict(), p, theta0, noise)[-1]

    expected = _final_particles_jacobian(oracle_run, params)
    actual = _final_particles_jacobian(backend_run, params)
    assert np.abs(expected).max() > 1e-3, "the surrogate parameters must move the particles"
    # both sides: the same differences of a float64 trajectory (energies: of a finite-difference score, ~1e-10)
    assert_close(actual, expected, "float64", scale=float(np.abs(expected).max()), factor=1e3, what=case.id)
