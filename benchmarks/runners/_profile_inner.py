"""Profile one workload in one column (run by ``profile_step.py`` under the column's interpreter).

torch columns: ``torch.profiler`` operator table (self CPU time) of training steps and
predictive passes. jax: a timing breakdown of jitted pieces (sampling, forward, loss,
value-and-grad, full step).
"""

from __future__ import annotations

import json
import sys
import time

from _runner_loop import configure_threads, time_calls

configure_threads()


def _median_ms(fn, min_time: float = 1.0) -> float:  # type: ignore[no-untyped-def]
    times = sorted(time_calls(fn, min_time, 2000, min_iters=3))
    return 1e3 * times[len(times) // 2]


def _torch(column: str, job: dict, data: str, rows: int) -> None:
    import torch

    torch.set_num_threads(1)
    from _torch_session import TorchSession
    from torch.profiler import ProfilerActivity, profile

    if column == "pypolymix":
        import _pypolymix_patches
        import pypolymix as api

        _pypolymix_patches.apply(job.get("baseline_patches", []), api, torch)
    else:
        import polymix_torch as api
    session = TorchSession(api, job, data, compile=column == "torch_compile")
    for _ in range(3):
        session.step()
        session.predict()
    print(f"step {_median_ms(session.step):.3f} ms, predict {_median_ms(session.predict):.3f} ms")
    for name, fn in (("step", session.step), ("predict", session.predict)):
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(10):
                fn()
        print(f"--- {name}: top ops by self CPU time (10 calls)")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows))


def _jax(job: dict, data: str) -> None:
    import equinox as eqx
    import jax
    import jax.numpy as jnp
    import polymix_jax as api
    from runner_jax import JaxSession

    s = JaxSession(api, job, data)
    n = int(job["num_samples"])
    model, x, y, key = s.model, s.x, s.y, jax.random.key(3)

    @eqx.filter_jit
    def sample(m, k):  # type: ignore[no-untyped-def]
        return m.sample_parameters(n, key=k)

    theta = sample(model, key)

    @eqx.filter_jit
    def surrogate(m, th):  # type: ignore[no-untyped-def]
        return m.surrogate_model(x, th)

    @eqx.filter_jit
    def forward(m, k):  # type: ignore[no-untyped-def]
        return m(x, num_samples=n, key=k)

    @eqx.filter_jit
    def dist(m, k):  # type: ignore[no-untyped-def]
        return m.distribution_loss(key=k)

    def loss(m, k):  # type: ignore[no-untyped-def]
        return jnp.mean((m(x, num_samples=n, key=k) - y) ** 2) + m.distribution_loss(key=k) / x.shape[0]

    vg = eqx.filter_jit(eqx.filter_value_and_grad(loss))

    @eqx.filter_jit
    def surrogate_vg(th):  # type: ignore[no-untyped-def]
        return jax.value_and_grad(lambda t: jnp.mean((model.surrogate_model(x, t) - y) ** 2))(th)

    pieces = {
        "sample_parameters": lambda: jax.block_until_ready(sample(model, key)),
        "surrogate forward (fixed theta)": lambda: jax.block_until_ready(surrogate(model, theta)),
        "surrogate value_and_grad wrt theta": lambda: jax.block_until_ready(surrogate_vg(theta)),
        "model forward": lambda: jax.block_until_ready(forward(model, key)),
        "distribution_loss": lambda: jax.block_until_ready(dist(model, key)),
        "loss value_and_grad": lambda: jax.block_until_ready(vg(model, key)),
        "full step (runner)": s.step,
        "predict (runner)": s.predict,
    }
    for name, fn in pieces.items():
        fn()
        print(f"{name:<40} {_median_ms(fn):9.3f} ms")


def main() -> None:
    """``_profile_inner.py COLUMN JOB_JSON DATA_NPZ [--rows N]``."""
    column, job_path, data = sys.argv[1:4]
    job = json.loads(open(job_path).read())
    rows = int(sys.argv[sys.argv.index("--rows") + 1]) if "--rows" in sys.argv else 15
    t0 = time.perf_counter()
    if column == "jax":
        _jax(job, data)
    else:
        _torch(column, job, data, rows)
    print(f"(profile took {time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
