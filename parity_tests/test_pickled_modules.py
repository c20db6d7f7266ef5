"""Whole modules pickled by the real pypolymix 0.1.9 (``torch.save(module)``) load in the drop-in and work.

``POLYMIX_PARITY_PICKLES`` names the folder written by ``record_pickles.py`` under the original
package (``nox -s parity`` does both). Unpickling restores pypolymix's attributes only; the
drop-in rebuilds its derived state (specs, index buffers, layer tables) in ``__setstate__``,
so the first forward computes what pypolymix computed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pypolymix
import pytest
import torch

_DIR = os.environ.get("POLYMIX_PARITY_PICKLES")
if not _DIR or not (Path(_DIR) / "expected.npz").is_file():
    pytest.fail(
        "POLYMIX_PARITY_PICKLES must name a folder written by record_pickles.py under the original pypolymix "
        "(`nox -s parity` records it)",
        pytrace=False,
    )
DIR = Path(_DIR)
EXPECTED = dict(np.load(DIR / "expected.npz"))
META = json.loads(EXPECTED["__meta__"].tobytes().decode("utf-8"))

import cases  # noqa: E402 - the parity table, on sys.path via conftest.py

SEED = 4321
MODELS = sorted(cases.build_models(pypolymix.surrogate_models, pypolymix.parameter_groups, pypolymix.StochasticModel))
TOL = {"rtol": 1e-10, "atol": 1e-12}


def _load(name: str) -> torch.nn.Module:
    module = torch.load(DIR / f"{name}.pt", weights_only=False)  # trusted: written by the recorder above
    assert type(module).__module__.startswith("polymix_torch"), type(module)
    return module


def _close(actual: torch.Tensor, expected: np.ndarray) -> None:
    np.testing.assert_allclose(actual.detach().double().numpy(), expected, **TOL)


def test_every_recorded_module_is_tested() -> None:
    """The recorder pickled every surrogate and group of the table and the three full models."""
    names = set(META["names"])
    assert {f"surrogate.{n}" for n in cases.SURROGATES} <= names
    assert {f"group.{n}" for n in cases.GROUPS} <= names
    assert {f"model.{n}" for n in MODELS} <= names
    assert len(names) == len(cases.SURROGATES) + len(cases.GROUPS) + len(MODELS)


@pytest.mark.parametrize("name", sorted(cases.SURROGATES))
def test_pickled_surrogate_computes_pypolymix_forward(name: str) -> None:
    """The unpickled surrogate's first forward equals pypolymix's on the same inputs and parameters."""
    model = _load(f"surrogate.{name}")
    x = torch.as_tensor(EXPECTED[f"surrogate.{name}.x"])
    params = torch.as_tensor(EXPECTED[f"surrogate.{name}.params"])
    with torch.no_grad():
        _close(model(x, params), EXPECTED[f"surrogate.{name}.out"])
    assert model.spec.num_params == model.num_params()


@pytest.mark.parametrize("name", sorted(cases.GROUPS))
def test_pickled_group_samples_and_losses_as_pypolymix(name: str) -> None:
    """Seeded samples (and losses where comparable) of the unpickled group equal pypolymix's."""
    group = _load(f"group.{name}")
    with torch.no_grad():
        torch.manual_seed(SEED + 1)
        _close(group.sample_parameters(4), EXPECTED[f"group.{name}.samples"])
        if cases.GROUPS[name]["loss"]:
            torch.manual_seed(SEED + 2)
            np.testing.assert_allclose(
                group.distribution_loss().double().numpy(), EXPECTED[f"group.{name}.loss"], rtol=1e-8, atol=1e-10
            )
    assert group.spec.num_params == group.num_params


@pytest.mark.parametrize("name", MODELS)
def test_pickled_model_forward_as_pypolymix(name: str) -> None:
    """A whole pickled ``StochasticModel`` gives pypolymix's seeded forward."""
    model = _load(f"model.{name}")
    assert isinstance(model, pypolymix.StochasticModel)
    with torch.no_grad():
        torch.manual_seed(SEED + 3)
        _close(model(torch.as_tensor(EXPECTED[f"model.{name}.x"]), 3), EXPECTED[f"model.{name}.out"])
    assert model.spec.surrogate.num_params == model.num_params()
