"""Build a model from a workload's JSON model description through the *public* pypolymix 0.1.9 API.

Standard library only: the pypolymix baseline runner imports it in its own virtualenv.
``api`` is any module with the pypolymix 0.1.9 API's layout (``surrogate_models``, ``parameter_groups``,
``StochasticModel``): the real ``pypolymix``, ``polymix_torch`` or ``polymix_jax``.
``rng_kwargs`` returns the extra keyword arguments of a randomly initialised constructor
(``{}`` in torch, ``{"key": ...}`` in jax), so the models are built as a user would build them.
"""

from __future__ import annotations

from typing import Any, Callable

RngKwargs = Callable[[], dict[str, Any]]


def _no_rng() -> dict[str, Any]:
    return {}


def build_surrogate(api: Any, spec: dict[str, Any]) -> Any:
    """A surrogate from ``spec`` (a polymix-core ``*Spec.to_dict()``); default activation only."""
    sm = api.surrogate_models
    kind = spec["kind"]
    if spec.get("activation", "relu") != "relu":
        raise ValueError(f"benchmarks use the default activation, received {spec['activation']!r}")
    if kind == "mlp":
        return sm.NeuralNetwork(spec["num_inputs"], spec["num_outputs"], width=spec["width"], depth=spec["depth"])
    if kind == "pce":
        if spec.get("q", 1.0) != 1.0:
            raise ValueError("benchmarks use total-order PCEs (q = 1)")
        return sm.PolynomialChaosExpansion(spec["num_inputs"], spec["num_outputs"], degree=spec["degree"])
    if kind == "gating":
        return sm.GatingNetwork(spec["num_inputs"], spec["num_experts"], width=spec["width"], depth=spec["depth"])
    if kind == "mixture":
        experts = [build_surrogate(api, e) for e in spec["experts"]]
        return sm.MixtureOfExperts(experts, build_surrogate(api, spec["gating"]))
    raise ValueError(f"unknown surrogate kind {kind!r}")


def build_group(api: Any, name: str, spec: dict[str, Any], rng_kwargs: RngKwargs = _no_rng) -> Any:
    """A parameter group from ``spec`` (a polymix-core group spec's ``to_dict()``), default prior."""
    pg = api.parameter_groups
    family, n = spec["family"], spec["num_params"]
    if family == "deterministic":
        return pg.DeterministicGroup(name, n, **rng_kwargs())
    if family == "iid_gaussian":
        return pg.IIDGaussianGroup(name, n, **rng_kwargs())
    if family == "gaussian":
        return pg.GaussianGroup(name, n, init_scale_diag=spec["init_scale_diag"], jitter=spec["jitter"])
    if family == "low_rank_gaussian":
        return pg.LowRankGaussianGroup(
            name,
            n,
            spec["rank"],
            init_scale_diag=spec["init_scale_diag"],
            init_scale_factor=spec["init_scale_factor"],
            jitter=spec["jitter"],
            **rng_kwargs(),
        )
    if family == "langevin":
        surrogate = build_surrogate(api, spec["surrogate"])
        model_kw = {"score_model": surrogate} if spec["mode"] == "score" else {"energy_model": surrogate}
        return pg.LangevinGroup(
            name,
            n,
            **model_kw,
            num_particles=spec["num_particles"],
            num_diffusion_steps=spec["num_diffusion_steps"],
            step_size=spec["step_size"],
            init_std=spec["init_std"],
            **rng_kwargs(),
        )
    raise ValueError(f"unknown group family {family!r}")


def build_model(api: Any, model: dict[str, Any], rng_kwargs: RngKwargs = _no_rng) -> Any:
    """``api.StochasticModel(surrogate, groups)`` from a ``ModelSpec.to_dict()``."""
    for g in model["groups"]:
        if g.get("prior") is not None:
            raise ValueError("benchmarks use the default prior")
    surrogate = build_surrogate(api, model["surrogate"])
    groups = [build_group(api, g["name"], g["spec"], rng_kwargs) for g in model["groups"]]
    return api.StochasticModel(surrogate, groups)
