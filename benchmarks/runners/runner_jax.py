"""polymix-jax column: an ``eqx.filter_jit``-compiled training step with optax Adam.

The step carries its PRNG key (split inside the jitted function) so that no eager op runs
between steps; data are passed as arguments, never baked into the compiled program as
constants. ``POLYMIX_BENCH_JAX_API`` names the module (default ``polymix_jax``).
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from _runner_loop import configure_threads, serve_module

THREADS = configure_threads()
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import equinox as eqx  # noqa: E402 - after the thread configuration
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from _build import build_model  # noqa: E402

API_NAME = os.environ.get("POLYMIX_BENCH_JAX_API", "polymix_jax")


class JaxSession:
    """A workload in the jax column: Adam on ``MSE(model(x, S, key), y) + distribution_loss(key) / N``."""

    def __init__(self, api: Any, job: dict[str, Any], data_path: str) -> None:
        init_keys = iter(jax.random.split(jax.random.key(0), 64))
        model = build_model(api, job["model"], rng_kwargs=lambda: {"key": next(init_keys)})
        with np.load(data_path) as data:
            self.x = jnp.asarray(data["x"], dtype=jnp.float32)
            self.y = jnp.asarray(data["y"], dtype=jnp.float32)
        num_samples = int(job["num_samples"])
        optimizer = optax.adam(float(job["learning_rate"]))

        def loss_fn(model: Any, x: jax.Array, y: jax.Array, key: jax.Array) -> jax.Array:
            k_fwd, k_dist = jax.random.split(key)
            f = model(x, num_samples=num_samples, key=k_fwd)  # (S, N, O)
            return jnp.mean((f - y) ** 2) + model.distribution_loss(key=k_dist) / x.shape[0]

        @eqx.filter_jit
        def train_step(model: Any, opt_state: Any, x: jax.Array, y: jax.Array, key: jax.Array) -> Any:
            key, sub = jax.random.split(key)
            loss, grads = eqx.filter_value_and_grad(loss_fn)(model, x, y, sub)
            updates, opt_state = optimizer.update(grads, opt_state, eqx.filter(model, eqx.is_inexact_array))
            return eqx.apply_updates(model, updates), opt_state, key, loss

        @eqx.filter_jit
        def predict(model: Any, x: jax.Array, key: jax.Array) -> jax.Array:
            return model(x, num_samples=num_samples, key=key)

        self.model = model
        self.opt_state = optimizer.init(eqx.filter(model, eqx.is_inexact_array))
        self.key = jax.random.key(1)
        self.predict_key = jax.random.key(2)
        self._train_step = train_step
        self._predict = predict

    def step(self) -> None:
        """One jitted step; returns once the loss is computed (the whole program has run)."""
        self.model, self.opt_state, self.key, loss = self._train_step(
            self.model, self.opt_state, self.x, self.y, self.key
        )
        loss.block_until_ready()

    def predict(self) -> None:
        """One jitted predictive pass, synchronised."""
        self._predict(self.model, self.x, self.predict_key).block_until_ready()


def jax_matmul_probe(sizes: tuple[int, ...] = (512, 1024, 2048), min_time: float = 0.5) -> dict[str, Any]:
    """Median float32 GEMM throughput of a jitted ``a @ b`` per size, in GFLOP/s."""
    results: dict[str, float] = {}
    matmul = jax.jit(jnp.matmul)
    for n in sizes:
        ka, kb = jax.random.split(jax.random.key(n))
        a = jax.random.normal(ka, (n, n), jnp.float32)
        b = jax.random.normal(kb, (n, n), jnp.float32)
        for _ in range(3):
            matmul(a, b).block_until_ready()
        times: list[float] = []
        start = time.perf_counter()
        while len(times) < 5 or (time.perf_counter() - start < min_time and len(times) < 200):
            t0 = time.perf_counter()
            matmul(a, b).block_until_ready()
            times.append(time.perf_counter() - t0)
        results[str(n)] = 2 * n**3 / statistics.median(times) / 1e9
    return {"framework": "jax", "gflops_by_size": results, "gflops": max(results.values())}


def _versions(api: Any | None) -> dict[str, Any]:
    from importlib.metadata import version

    meta: dict[str, Any] = {"api": API_NAME, "jax": jax.__version__, "numpy": np.__version__}
    for dist in ("jaxlib", "equinox", "optax", "numpyro"):
        try:
            meta[dist] = version(dist)
        except Exception:  # noqa: BLE001 - reported as unknown
            meta[dist] = "unknown"
    if api is not None:
        meta["api_version"] = getattr(api, "__version__", "unknown")
        meta["api_file"] = getattr(api, "__file__", None)
    meta["devices"] = [str(d) for d in jax.devices()]
    meta["xla_flags"] = os.environ.get("XLA_FLAGS", "")
    return meta


def main() -> None:
    """Serve requests; an import failure of the backend is answered on every request."""
    serve_module(API_NAME, JaxSession, _versions, jax_matmul_probe)


if __name__ == "__main__":
    main()
