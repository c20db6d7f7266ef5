"""Parity of polymix-jax with the real pypolymix 0.1.9, from the same recorded baseline.

Each recorded surrogate and parameter group is described by the polymix_core spec of its
polymix-torch twin (same constructor arguments), rebuilt in polymix-jax, and evaluated on
the recorded values: float64 cases under ``jax_enable_x64`` to round-off, float32 cases to
float32 round-off. Surrogates: forward maps (mixtures: experts and gating weights). Groups:
pypolymix's seeded samples from the noise it drew (recorded and verified by the recorder),
variational and prior log-densities, and losses (equal where both are exact or both
estimate from the same recorded draws; a closed form against pypolymix's Monte Carlo
estimate within 5 standard errors of its 200-seed mean). Running in the parity session
(torch and jax installed side by side) keeps both backends measured against one baseline file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jax
import numpy as np
import polymix_jax
import pypolymix
import pypolymix.priors
import pytest
from polymix_core import GroupEntry

_PATH = os.environ.get("POLYMIX_PARITY_BASELINE")
if not _PATH or not Path(_PATH).is_file():
    pytest.fail("POLYMIX_PARITY_BASELINE must name the baseline .npz (see test_parity.py)", pytrace=False)

import cases  # noqa: E402 - the parity table, on sys.path via conftest.py

BASE = dict(np.load(_PATH))
META = json.loads(BASE["__cases__"].tobytes().decode("utf-8"))
TOL = {"float64": {"rtol": 1e-10, "atol": 1e-12}, "float32": {"rtol": 2e-5, "atol": 2e-6}}


@pytest.mark.parametrize("name", sorted(META["surrogates"]))
def test_jax_surrogate_forward_matches_pypolymix(name: str) -> None:
    """Equal flat parameters give pypolymix 0.1.9's outputs in polymix-jax (mixtures: experts and gating too)."""
    case = META["surrogates"][name]
    spec = cases.build_surrogate(case["desc"], pypolymix.surrogate_models).spec
    dtype = case["dtype"]
    with jax.enable_x64(dtype == "float64"):
        model = polymix_jax.build_surrogate(spec)
        x = jax.numpy.asarray(BASE[f"{name}.x"], dtype=dtype)
        params = jax.numpy.asarray(BASE[f"{name}.params"], dtype=dtype)
        out = np.asarray(model(x, params), dtype=np.float64)
        np.testing.assert_allclose(out, BASE[f"{name}.out"].astype(np.float64), **TOL[dtype])
        if case["desc"]["kind"] == "mixture":
            experts = np.asarray(model.get_expert_outputs(x, params), dtype=np.float64)
            gating = np.asarray(model.get_gating_weights(x, params), dtype=np.float64)
            np.testing.assert_allclose(experts, BASE[f"{name}.experts"].astype(np.float64), **TOL[dtype])
            np.testing.assert_allclose(gating, BASE[f"{name}.gating"].astype(np.float64), **TOL[dtype])


# --------------------------------------------------------------------------- parameter groups


def _jax_group(name: str) -> Any:
    """The polymix-jax group of a table entry (spec and prior of its polymix-torch twin) with pypolymix's raw values.

    The raw values are rounded to float32 first, as pypolymix held them in float32 parameters.
    """
    case = META["groups"][name]
    twin = cases.build_group(case["desc"], pypolymix.parameter_groups, pypolymix.surrogate_models, pypolymix.priors)
    raw = {k: BASE[f"{name}.raw.{k}"].astype(np.float32).astype(np.float64) for k in case["raw_keys"]}
    return polymix_jax.build_group(GroupEntry("g", twin.spec, twin.prior.spec), raw)


def _tol(name: str, dtype: str) -> dict[str, float]:
    # Langevin steps amplify float32 round-off a little (as in test_parity.py)
    langevin = META["groups"][name]["desc"]["family"] == "langevin"
    return {"rtol": 1e-4, "atol": 1e-5} if langevin and dtype == "float32" else TOL[dtype]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(META["groups"]))
def test_jax_samples_from_pypolymix_noise(name: str, dtype: str) -> None:
    """The seeded samples of pypolymix, from the noise it drew (recorded and verified by the recorder)."""
    with jax.enable_x64(dtype == "float64"):
        group = _jax_group(name)
        samples = np.asarray(group.sample_transform(BASE[f"{name}.{dtype}.noise"].astype(dtype)), dtype=np.float64)
        np.testing.assert_allclose(samples, BASE[f"{name}.{dtype}.samples"].astype(np.float64), **_tol(name, dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(META["groups"]))
def test_jax_log_densities_match_pypolymix(name: str, dtype: str) -> None:
    """Variational (Gaussian families) and prior log-densities at pypolymix's fixed ``theta``."""
    with jax.enable_x64(dtype == "float64"):
        group = _jax_group(name)
        theta = jax.numpy.asarray(BASE[f"{name}.theta"], dtype=dtype)
        prior = group.prior.distribution((group.num_params,), dtype=dtype)
        expected = BASE[f"{name}.{dtype}.prior_log_prob"].astype(np.float64)
        np.testing.assert_allclose(np.asarray(prior.log_prob(theta), dtype=np.float64), expected, **TOL[dtype])
        if f"{name}.{dtype}.log_prob" in BASE:
            actual = np.asarray(group.variational_distribution().log_prob(theta), dtype=np.float64)
            np.testing.assert_allclose(actual, BASE[f"{name}.{dtype}.log_prob"].astype(np.float64), **TOL[dtype])


def _jax_loss(name: str, group: Any, dtype: str) -> float:
    """polymix-jax's value of what pypolymix computed under the loss seed, from pypolymix's own noise."""
    case = META["groups"][name]
    if case["desc"]["family"] == "langevin":  # pypolymix: cross-entropy over the particles it just sampled
        particles = group.sample_transform(BASE[f"{name}.{dtype}.noise"].astype(dtype))
        return float(-group.prior.distribution((group.num_params,), dtype=dtype).log_prob(particles).mean())
    if case["monte_carlo"] and group.analytic_kl() is None:  # both estimate: the same draws
        z = group.sample_transform(BASE[f"{name}.{dtype}.loss_noise"].astype(dtype))
        prior = group.prior.distribution((group.num_params,), dtype=dtype)
        return float((group.variational_distribution().log_prob(z) - prior.log_prob(z)).mean())
    return float(group.distribution_loss())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(META["groups"]))
def test_jax_losses_match_pypolymix(name: str, dtype: str) -> None:
    """Equal losses where both are exact or both estimate from the same draws; else within 5 standard errors.

    Where pypolymix estimates a KL by Monte Carlo and polymix-jax has the closed form, the closed
    form must be within 5 standard errors of the mean of pypolymix's 200 per-seed estimates.
    """
    case = META["groups"][name]
    with jax.enable_x64(dtype == "float64"):
        group = _jax_group(name)
        actual = _jax_loss(name, group, dtype)
        if case["monte_carlo"] and group.analytic_kl() is not None:
            losses = BASE[f"{name}.float64.mc_losses"]
            se = float(np.std(losses, ddof=1)) / np.sqrt(losses.size)
            z = abs(float(losses.mean()) - actual) / se
            assert z <= 5.0, f"{name}: closed form {actual:.6f}, pypolymix {losses.mean():.6f}: {z:.2f} standard errors"
        else:
            np.testing.assert_allclose(actual, float(BASE[f"{name}.{dtype}.loss"]), **_tol(name, dtype))
