"""Parity of polymix-torch with the real pypolymix 0.1.9, from a recorded baseline.

``POLYMIX_PARITY_BASELINE`` names the ``.npz`` written by ``record_baseline.py`` under
the original package (``nox -s parity`` does both). The same flat parameters must give
the same outputs: float64 to round-off; float32 (pypolymix's PCE runs in the default
dtype) to float32 round-off. Seeded sampling draws the same noise in the same order,
so seeded samples and Monte Carlo losses agree too, and pypolymix's ``state_dict``s
load with ``strict=True``. Where pypolymix estimates a KL by Monte Carlo and polymix-torch
has the closed form, pypolymix's estimates over 200 seeds must lie within 5 standard errors
of it. Full models of every surrogate kind predict the same in float32 and float64.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pypolymix
import pypolymix.priors
import pytest
import torch
from polymix_oracle import divergences

_PATH = os.environ.get("POLYMIX_PARITY_BASELINE")
if not _PATH:
    pytest.fail(
        "POLYMIX_PARITY_BASELINE is not set: record a baseline with the original pypolymix "
        "(`nox -s parity`, or `python parity_tests/record_baseline.py OUT.npz` in its own "
        "virtualenv) and point the variable at the .npz",
        pytrace=False,
    )
if not Path(_PATH).is_file():
    pytest.fail(f"POLYMIX_PARITY_BASELINE={_PATH!r} is not a file", pytrace=False)

import cases  # noqa: E402 - the parity table, on sys.path via conftest.py

BASE = dict(np.load(_PATH))
META = json.loads(BASE["__cases__"].tobytes().decode("utf-8"))
TOL = {"float64": {"rtol": 1e-10, "atol": 1e-12}, "float32": {"rtol": 2e-5, "atol": 2e-6}}
SM, PG, PRIORS = pypolymix.surrogate_models, pypolymix.parameter_groups, pypolymix.priors


def _close(actual: torch.Tensor, expected: np.ndarray, dtype: str) -> None:
    np.testing.assert_allclose(actual.detach().double().numpy(), expected.astype(np.float64), **TOL[dtype])


def test_baseline_is_the_original_package() -> None:
    """The baseline was recorded by pypolymix 0.1.9 from this table."""
    assert META["pypolymix"] == "0.1.9"
    assert len(META["surrogates"]) == len(cases.SURROGATES)
    assert len(META["groups"]) == len(cases.GROUPS)


@pytest.mark.parametrize("name", sorted(META["surrogates"]))
def test_surrogate_forward(name: str) -> None:
    """Equal flat parameters give equal outputs (mixtures: also experts and gating weights)."""
    case = META["surrogates"][name]
    dt = getattr(torch, case["dtype"])
    model = cases.build_surrogate(case["desc"], SM).to(dt)
    x = torch.as_tensor(BASE[f"{name}.x"], dtype=dt)
    params = torch.as_tensor(BASE[f"{name}.params"], dtype=dt)
    _close(model(x, params), BASE[f"{name}.out"], case["dtype"])
    if case["desc"]["kind"] == "mixture":
        _close(model.get_expert_outputs(x, params), BASE[f"{name}.experts"], case["dtype"])
        _close(model.get_gating_weights(x, params), BASE[f"{name}.gating"], case["dtype"])


@pytest.mark.parametrize("name", sorted(META["surrogates"]))
def test_surrogate_state_dict_loads_strictly(name: str) -> None:
    """The surrogate ``state_dict`` of pypolymix loads with ``strict=True``."""
    case = META["surrogates"][name]
    model = cases.build_surrogate(case["desc"], SM)
    assert sorted(model.state_dict()) == sorted(case["sd"])
    state = {k: torch.as_tensor(BASE[f"{name}.sd.{k}"]) for k in case["sd"]}
    result = model.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys


def _group(name: str) -> Any:
    case = META["groups"][name]
    torch.manual_seed(case["seed"])
    return case, cases.build_group(case["desc"], PG, SM, PRIORS)


@pytest.mark.parametrize("name", sorted(META["groups"]))
def test_group_initial_values_under_a_seed(name: str) -> None:
    """Under one seed, the initial raw values equal pypolymix's."""
    case, group = _group(name)
    state = group.state_dict()
    assert sorted(state) == sorted(case["init_keys"])
    for k in case["init_keys"]:
        np.testing.assert_allclose(state[k].numpy(), BASE[f"{name}.init.sd.{k}"], rtol=1e-6, atol=1e-7)


def _loaded_group(name: str, dtype: str) -> Any:
    """A polymix-torch group holding pypolymix's initial buffers and perturbed raw values (rounded to float32)."""
    case, group = _group(name)
    state = {k: torch.as_tensor(BASE[f"{name}.init.sd.{k}"]) for k in case["init_keys"]}
    state.update({k: torch.as_tensor(BASE[f"{name}.raw.{k}"], dtype=torch.float32) for k in case["raw_keys"]})
    group.load_state_dict(state, strict=True)
    return case, group.double() if dtype == "float64" else group


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(META["groups"]))
def test_group_seeded_samples_and_loss(name: str, dtype: str) -> None:
    """Under one seed, samples and (comparable) losses equal pypolymix's."""
    case, group = _loaded_group(name, dtype)
    torch.manual_seed(case["seed"] + 1)
    samples = group.sample_parameters(7)
    # float32 raw values were rounded once on both sides; Langevin steps amplify float32 round-off a little
    tol = (
        dict(TOL[dtype]) if case["desc"]["family"] != "langevin" or dtype == "float64" else {"rtol": 1e-4, "atol": 1e-5}
    )
    np.testing.assert_allclose(samples.detach().double().numpy(), BASE[f"{name}.{dtype}.samples"], **tol)
    if case["desc"]["loss"]:
        torch.manual_seed(case["seed"] + 2)
        loss = float(group.distribution_loss().detach())
        np.testing.assert_allclose(loss, float(BASE[f"{name}.{dtype}.loss"]), **tol)


MONTE_CARLO_GROUPS = sorted(n for n, c in META["groups"].items() if c["monte_carlo"])


def test_monte_carlo_groups_are_the_expected_ones() -> None:
    """The groups whose KL pypolymix estimates by Monte Carlo include every one not comparable seed by seed."""
    assert {n for n, c in META["groups"].items() if not c["desc"]["loss"]} <= set(MONTE_CARLO_GROUPS)
    assert {"full_default", "lowrank_default", "iid_gaussprior"} <= set(MONTE_CARLO_GROUPS)


@pytest.mark.parametrize("name", MONTE_CARLO_GROUPS)
def test_pypolymix_monte_carlo_kl_is_within_five_standard_errors_of_the_exact_value(name: str) -> None:
    """The Monte Carlo KL of pypolymix over 200 seeds against the exact KL of the same raw values.

    Exact: polymix-torch's closed form against Gaussian priors; against a Laplace prior the
    independent oracle's folded-normal value. The bound is 5 standard errors of the mean of the
    200 per-seed estimates.
    """
    case, group = _loaded_group(name, "float64")
    losses = BASE[f"{name}.float64.mc_losses"]
    prior = case["desc"]["prior"]
    if prior is not None and prior["kind"] == "laplace":
        q = group.variational_distribution()
        mean, cov = q.mean.detach().numpy(), q.covariance_matrix.detach().numpy()
        exact = divergences.laplace_kl(mean, cov, {"kind": "laplace", "loc": prior["loc"], "scale": prior["scale"]})
    else:
        exact = float(group.kl_divergence().detach())
        assert float(group.distribution_loss().detach()) == pytest.approx(exact, rel=1e-12)  # analytic here
    se = float(np.std(losses, ddof=1)) / np.sqrt(losses.size)
    z = abs(float(losses.mean()) - exact) / se
    assert z <= 5.0, f"{name}: pypolymix mean {losses.mean():.6f} vs exact {exact:.6f}: {z:.2f} standard errors"


@pytest.mark.parametrize("name", sorted(META["models"]))
def test_pypolymix_checkpoint_loads_strictly_and_predicts_the_same(name: str) -> None:
    """A pypolymix checkpoint loads strictly and predicts the same under one seed."""
    case = META["models"][name]
    model = cases.build_models(SM, PG, pypolymix.StochasticModel)[name]
    state = torch.load(io.BytesIO(BASE[f"{name}.torch_state"].tobytes()), weights_only=True)
    assert sorted(model.state_dict()) == sorted(case["keys"]) == sorted(state)
    result = model.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    x = BASE[f"{name}.x"]
    for dtype in case["dtypes"]:
        dt = getattr(torch, dtype)
        model.to(dt)
        torch.manual_seed(case["seed"])
        with torch.no_grad():
            _close(model(torch.as_tensor(x, dtype=dt), num_samples=5), BASE[f"{name}.{dtype}.out"], dtype)
