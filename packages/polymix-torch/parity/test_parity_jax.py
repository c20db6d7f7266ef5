"""Parity of polymix-jax with the real pypolymix 0.1.9, from the same recorded baseline.

Each recorded surrogate is described by the polymix_core spec of its polymix-torch twin
(same constructor arguments), rebuilt in polymix-jax, and evaluated on the recorded flat
parameters: float64 cases under ``jax_enable_x64`` to round-off, float32 cases to float32
round-off. Running in the parity session (torch and jax installed side by side) keeps
both backends measured against one baseline file.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import jax
import numpy as np
import polymix_jax
import pypolymix
import pytest

_PATH = os.environ.get("POLYMIX_PARITY_BASELINE")
if not _PATH or not Path(_PATH).is_file():
    pytest.fail("POLYMIX_PARITY_BASELINE must name the baseline .npz (see test_parity.py)", pytrace=False)

_spec = importlib.util.spec_from_file_location("polymix_parity_cases_jax", Path(__file__).with_name("cases.py"))
assert _spec is not None and _spec.loader is not None
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)

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
