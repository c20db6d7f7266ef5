"""Parameter counts, slices and index sets: the backend's objects agree with polymix-core and specs/golden.

The adapter protocol exposes behaviour only, so layout is probed through ``forward``:
a backend must accept exactly ``spec.num_params`` parameters, each named slice must act
like the reference's when it alone is non-zero, and PCE term ``k`` must be the Legendre
product of golden multi-index ``k``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cases import SURROGATE_CASES, f32, rng_for
from checks import REFERENCE, assert_close
from numpy.polynomial import legendre as npleg
from polymix_core import PCESpec, PolymixError

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "specs" / "golden"
MAX_PROBED_TERMS = 256


@pytest.mark.parametrize("case", SURROGATE_CASES, ids=lambda c: c.id)
def test_accepts_exactly_num_params(backend, require, case):
    require(backend, "forward", "float64")
    x, n = case.x(), case.num_samples
    out = backend.forward(case.spec, x, case.params(), dtype="float64")
    assert out.shape == (n, x.shape[0], case.spec.num_outputs)
    for wrong in (case.spec.num_params - 1, case.spec.num_params + 1):
        with pytest.raises(PolymixError):
            backend.forward(case.spec, x, np.zeros((n, wrong)), dtype="float64")


@pytest.mark.reference_expected
@pytest.mark.parametrize("case", SURROGATE_CASES, ids=lambda c: c.id)
def test_slices_tile_and_act_like_reference(backend, require, case):
    require(backend, "forward", "float64")
    slices = case.spec.slices
    assert slices[0].start == 0 and slices[-1].stop == case.spec.num_params
    assert all(a.stop == b.start for a, b in zip(slices[:-1], slices[1:]))
    x, base = case.x(), case.params()
    for sl in slices:  # only this slice non-zero (same shapes as test_forward: compiled kernels are reused)
        params = np.zeros_like(base)
        params[:, sl.start : sl.stop] = base[:, sl.start : sl.stop]
        expected = REFERENCE.forward(case.spec, x, params, dtype="float64")
        actual = backend.forward(case.spec, x, params, dtype="float64")
        assert_close(actual, expected, "float64", what=f"{case.id}: only slice {sl.name} non-zero")


def _golden_index_sets() -> list[dict]:
    """Index-set entries of every JSON file under specs/golden (each with num_inputs, degree, indices)."""
    entries: list[dict] = []

    def visit(node, source):
        if isinstance(node, dict):
            indices = node.get("multi_indices", node.get("indices"))
            if "num_inputs" in node and "degree" in node and isinstance(indices, list):
                entries.append({**node, "indices": indices, "source": source})
                return
            for value in node.values():
                visit(value, source)
        elif isinstance(node, list):
            for value in node:
                visit(value, source)

    for path in sorted(GOLDEN_DIR.glob("*.json")):
        visit(json.loads(path.read_text()), path.name)
    return entries


GOLDEN = _golden_index_sets()


def _golden_id(entry: dict) -> str:
    q = entry.get("q", 1.0)
    return f"{entry['source']}:d{entry['num_inputs']}-p{entry['degree']}" + ("" if q in (1, 1.0, None) else f"-q{q}")


def test_golden_vectors_present():
    assert GOLDEN, f"no PCE index sets found in {GOLDEN_DIR}/*.json (expected entries with num_inputs, degree, indices)"


@pytest.mark.parametrize("entry", GOLDEN, ids=_golden_id)
def test_index_set_matches_golden(backend, require, entry):
    require(backend, "forward", "float64")
    q = entry.get("q", 1.0)
    spec = PCESpec(int(entry["num_inputs"]), 1, degree=int(entry["degree"]), q=1.0 if q is None else float(q))
    golden = np.asarray(entry["indices"], dtype=np.int64).reshape(-1, spec.num_inputs)
    np.testing.assert_array_equal(spec.multi_indices, golden, err_msg="polymix-core's index set differs from golden")
    assert spec.num_terms == golden.shape[0]
    # Probe the backend: the unit coefficient vector e_k must evaluate term k's Legendre product.
    rng = rng_for("golden", _golden_id(entry))
    if spec.num_terms <= MAX_PROBED_TERMS:
        terms = np.arange(spec.num_terms)
    else:
        picked = rng.choice(spec.num_terms - 1, MAX_PROBED_TERMS - 1, replace=False)
        terms = np.sort(np.append(picked, spec.num_terms - 1))  # always the last (highest) term
    x = f32(rng.uniform(-1.0, 1.0, (6, spec.num_inputs)))
    params = np.zeros((terms.size, spec.num_params))
    params[np.arange(terms.size), terms] = 1.0
    expected = np.ones((terms.size, x.shape[0]))
    for s, k in enumerate(terms):
        for i, n in enumerate(golden[k]):
            if n:
                expected[s] *= npleg.legval(x[:, i], np.eye(n + 1)[n])
    actual = backend.forward(spec, x, params, dtype="float64")
    assert actual.shape == (terms.size, x.shape[0], 1)
    assert_close(actual[:, :, 0], expected, "float64", what=f"PCE terms of golden {_golden_id(entry)}")
