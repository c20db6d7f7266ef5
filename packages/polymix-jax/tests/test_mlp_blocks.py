"""The unrolled and the CPU sample-blocked MLP forward agree with the plain one."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from polymix_core import MLPSpec
from polymix_jax.surrogate_models import _neural_network as nn_mod


def _reference(spec: MLPSpec, x: jax.Array, params: jax.Array) -> jax.Array:
    h = x
    for j in range(spec.depth + 1):
        w_sl, b_sl = spec.slices[2 * j], spec.slices[2 * j + 1]
        w = params[:, w_sl.start : w_sl.stop].reshape(params.shape[0], *w_sl.shape)
        h = jnp.einsum("bi,sio->sbo" if j == 0 else "sbi,sio->sbo", h, w) + params[:, None, b_sl.start : b_sl.stop]
        if j < spec.depth:
            h = jnp.tanh(h)
    return h


@pytest.mark.parametrize("depth", [0, 1, 3, 12])
@pytest.mark.parametrize("blocked", [False, True])
def test_mlp_apply_matches_reference(monkeypatch: pytest.MonkeyPatch, depth: int, blocked: bool) -> None:
    if blocked:
        if jax.default_backend() != "cpu":
            pytest.skip("sample blocks are a CPU path")
        monkeypatch.setattr(nn_mod, "_CHUNK_MIN_BYTES", 0)
        monkeypatch.setattr(nn_mod, "_CHUNK_BYTES", 1)
    spec = MLPSpec(3, 2, width=5, depth=depth, activation="tanh")
    k1, k2 = jax.random.split(jax.random.key(0))
    x = jax.random.normal(k1, (7, 3))
    params = 0.5 * jax.random.normal(k2, (6, spec.num_params))
    chunk = nn_mod._sample_chunk(spec, 6, 7, 4)
    assert (chunk < 6) == blocked

    def f(p: jax.Array) -> jax.Array:
        return nn_mod.mlp_apply(spec, jnp.tanh, x, p)

    out = jax.jit(f)(params)
    np.testing.assert_allclose(out, _reference(spec, x, params), rtol=1e-5, atol=1e-5)
    grad = jax.grad(lambda p: jnp.sum(f(p) ** 2))(params)
    ref_grad = jax.grad(lambda p: jnp.sum(_reference(spec, x, p) ** 2))(params)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-4, atol=1e-5)
    batched = jax.vmap(f)(jnp.stack([params, 2 * params]))
    np.testing.assert_allclose(batched[1], f(2 * params), rtol=1e-5, atol=1e-5)
