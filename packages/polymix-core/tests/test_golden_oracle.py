"""Every golden vector against the independent oracle (``specs/polymix_oracle``), case by case.

This module imports nothing from polymix-core: the golden files are generated from
polymix-core, and the oracle recomputes each value from the contract's prose rules, so a
bug in polymix-core's numerics that reaches a regenerated golden file fails here.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from polymix_oracle import divergences, groups, index_sets, langevin, priors, surrogates

GOLDEN = Path(__file__).resolve().parents[3] / "specs" / "golden"
#: Golden values carry 12 significant digits; sums that cancel get an absolute floor at the operands' scale.
RTOL, ATOL = 1e-10, 1e-11


def _cases(name):
    return json.loads((GOLDEN / name).read_text(encoding="utf-8"))["cases"]


def _params(name):
    return pytest.mark.parametrize("case", _cases(name), ids=lambda c: c["id"])


def _raw(pairs):
    return {name: np.asarray(value, dtype=np.float64) for name, value in pairs}


def _close(actual, expected, scale=None, what=""):
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1.0) if scale is None else scale
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL * scale, err_msg=what)


def test_every_golden_file_has_an_oracle_check():
    checked = {
        "index_sets.json", "surrogate_layouts.json", "group_layouts.json", "forward.json",
        "sample_transform.json", "prior_log_prob.json", "kl.json", "langevin.json",
    }  # fmt: skip
    assert {p.name for p in GOLDEN.glob("*.json")} == checked


@_params("index_sets.json")
def test_index_set(case):
    expected = index_sets.multi_indices(case["num_inputs"], case["degree"], case["q"])
    assert [tuple(r) for r in case["indices"]] == expected
    assert case["num_terms"] == len(expected)


def _slices_json(spec):
    return [{"name": n, "start": a, "stop": b, "shape": list(s)} for n, a, b, s in surrogates.slices(spec)]


def _expert_batches(experts):
    batches = {}
    for e, spec in enumerate(experts):
        batches.setdefault(json.dumps(spec, sort_keys=True), []).append(e)
    return list(batches.values())


@_params("surrogate_layouts.json")
def test_surrogate_layout(case):
    spec = case["spec"]
    assert case["num_params"] == surrogates.num_params(spec)
    assert case["slices"] == _slices_json(spec)
    if spec["kind"] == "pce":
        assert case["num_terms"] == math.comb(spec["num_inputs"] + spec["degree"], spec["degree"]) or spec["q"] < 1
        assert case["num_terms"] == surrogates.num_terms(spec)
    if spec["kind"] == "mixture":
        assert case["expert_slices"] == [_slices_json(e) for e in spec["experts"]]
        assert case["gating_slices"] == _slices_json(spec["gating"])
        assert case["expert_batches"] == _expert_batches(spec["experts"])


@_params("group_layouts.json")
def test_group_layout(case):
    spec = case["spec"]
    assert case["raw_shapes"] == [[n, list(s)] for n, s in groups.raw_shapes(spec)]
    assert case["noise_shape"] == list(groups.noise_shape(spec))
    expected = groups.initial(spec)
    assert [name for name, _ in case["initial"]] == [name for name, _, _ in expected]
    for (name, init), (_, constant, noise_scale) in zip(case["initial"], expected):
        _close(init["constant"], constant, what=name)
        assert init["noise_scale"] == noise_scale, name


def test_tril_packing():
    tril = json.loads((GOLDEN / "group_layouts.json").read_text(encoding="utf-8"))["tril"]
    assert [t["num_params"] for t in tril] == [1, 2, 3, 4, 5]
    for t in tril:
        d = t["num_params"]
        assert t["packed_positions"] == [list(p) for p in groups.tril_positions(d)]
        assert t["diag_positions"] == groups.diag_positions(d) == [i * (i + 3) // 2 for i in range(d)]
        assert t["num_tril"] == d * (d + 1) // 2


@_params("forward.json")
def test_forward(case):
    spec, x, params = case["spec"], np.asarray(case["x"]), np.asarray(case["params"])
    _close(surrogates.forward(spec, x, params), case["output"], what="output")
    if spec["kind"] == "mixture":
        _close(surrogates.expert_outputs(spec, x, params), case["expert_outputs"], what="expert_outputs")
        _close(surrogates.gating_weights(spec, x, params), case["gating_weights"], what="gating_weights")


@_params("sample_transform.json")
def test_sample_transform(case):
    spec, raw = case["spec"], _raw(case["raw"])
    noise = np.asarray(case["noise"]).reshape(len(case["noise"]), *groups.noise_shape(spec))
    _close(groups.sample_transform(spec, raw, noise), case["samples"], what="samples")
    if spec["family"] == "deterministic":
        assert "log_prob" not in case
        return
    mean, cov = groups.moments(spec, raw)
    _close(mean, case["mean"], what="mean")
    _close(cov, case["covariance"], what="covariance")
    expected = np.asarray(case["log_prob"])
    _close(groups.log_prob(spec, raw, case["theta"]), expected, scale=np.abs(expected).max() + 10, what="log_prob")
    if spec["family"] == "gaussian":
        _close(groups.scale_tril(spec, raw["raw_tril"]), case["scale_tril"], what="scale_tril")


@_params("prior_log_prob.json")
def test_prior_log_prob(case):
    expected = np.asarray(case["log_prob"])
    actual = priors.log_prob(case["prior"], np.asarray(case["theta"]).reshape(-1, case["num_params"]))
    _close(actual, expected, scale=np.abs(expected).max() + case["num_params"])


@_params("kl.json")
def test_kl(case):
    spec, raw = case["spec"], _raw(case["raw"])
    mean, cov = groups.moments(spec, raw)
    actual = divergences.kl_to_prior(mean, cov, case["prior"])
    _close(actual, case["kl"], scale=abs(case["kl"]) + 10 * spec["num_params"])


@_params("langevin.json")
def test_langevin_trajectory(case):
    spec = case["spec"]
    ((name, params),) = case["raw"]
    assert name == "surrogate_params"
    actual = langevin.trajectory(spec, params, case["theta0"], case["noise"])
    _close(actual, case["trajectory"])
    assert not np.allclose(actual[-1], actual[0]), "the case must move the particles"
