"""polymix-core's index sets, layouts and reference forward maps against the independent oracle.

The oracle (``specs/polymix_oracle``) imports nothing from polymix-core; here it judges the
numpy reference on inputs hypothesis draws (derandomised: the same examples every run).
"""

import numpy as np
import polymix_core as pc
from hypothesis import given, settings, strategies as st
from polymix_core import reference
from polymix_oracle import index_sets, surrogates

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)
ACTIVATIONS = sorted(surrogates.ACTIVATIONS)


def _inputs(seed, spec, batch=5, samples=3):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, (batch, spec.num_inputs)), rng.normal(0.0, 1.0, (samples, spec.num_params))


def _close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-11, atol=1e-12 * max(1.0, np.abs(expected).max()))


@SETTINGS
@given(st.integers(1, 5), st.integers(0, 5), st.sampled_from([1.0, 0.75, 0.5, 0.3]))
def test_index_sets(d, p, q):
    expected = np.array(index_sets.multi_indices(d, p, q), dtype=np.int64).reshape(-1, d)
    actual = pc.total_order_indices(d, p) if q == 1.0 else pc.hyperbolic_cross_indices(d, p, q)
    np.testing.assert_array_equal(actual, expected)
    np.testing.assert_array_equal(pc.PCESpec(d, 1, degree=p, q=q).multi_indices, expected)


@SETTINGS
@given(
    st.integers(1, 3), st.integers(1, 3), st.integers(1, 5), st.integers(0, 3), st.sampled_from(ACTIVATIONS),
    st.integers(0, 2**32 - 1),
)  # fmt: skip
def test_mlp(num_inputs, num_outputs, width, depth, activation, seed):
    spec = pc.MLPSpec(num_inputs, num_outputs, width=width, depth=depth, activation=activation)
    assert spec.num_params == surrogates.num_params(spec.to_dict())
    assert [(s.name, s.start, s.stop, tuple(s.shape)) for s in spec.slices] == surrogates.slices(spec.to_dict())
    x, params = _inputs(seed, spec)
    _close(reference.forward(spec, x, params), surrogates.forward(spec.to_dict(), x, params))


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 3), st.integers(0, 4), st.sampled_from([1.0, 0.5]), st.integers(0, 2**32 - 1))
def test_pce(num_inputs, num_outputs, degree, q, seed):
    spec = pc.PCESpec(num_inputs, num_outputs, degree=degree, q=q)
    assert spec.num_params == surrogates.num_params(spec.to_dict())
    x, params = _inputs(seed, spec)
    _close(reference.forward(spec, x, params), surrogates.forward(spec.to_dict(), x, params))


@SETTINGS
@given(st.integers(1, 3), st.integers(2, 4), st.integers(1, 4), st.integers(0, 2), st.integers(0, 2**32 - 1))
def test_gating(num_inputs, num_experts, width, depth, seed):
    spec = pc.GatingSpec(num_inputs, num_experts, width=width, depth=depth, activation="tanh")
    x, params = _inputs(seed, spec)
    params *= 4.0  # large logits: the softmax must not overflow
    _close(reference.forward(spec, x, params), surrogates.forward(spec.to_dict(), x, params))


MIXTURES = [
    pc.MixtureSpec((pc.MLPSpec(2, 2, width=3),) * 3, pc.GatingSpec(2, 3, width=4)),
    pc.MixtureSpec(
        (pc.MLPSpec(2, 1, width=3, depth=2, activation="gelu"), pc.PCESpec(2, 1, degree=3), pc.MLPSpec(2, 1, width=2)),
        pc.GatingSpec(2, 3, width=2, depth=0),
    ),
]


@SETTINGS
@given(st.sampled_from(MIXTURES), st.integers(0, 2**32 - 1))
def test_mixture(spec, seed):
    d = spec.to_dict()
    assert [(s.name, s.start, s.stop, tuple(s.shape)) for s in spec.slices] == surrogates.slices(d)
    x, params = _inputs(seed, spec)
    _close(reference.expert_outputs(spec, x, params), surrogates.expert_outputs(d, x, params))
    _close(reference.gating_weights(spec, x, params), surrogates.gating_weights(d, x, params))
    _close(reference.forward(spec, x, params), surrogates.forward(d, x, params))
