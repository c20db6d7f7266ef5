"""Every backend package follows one template (``docs/backend-contract.md``): same files, names and helpers.

This is what keeps a new backend a copy of the template rather than a third way of doing things:
the module trees of ``packages/polymix-*/src/polymix_*`` (all but polymix-core) must be equal, the
public modules must export the same names, and the shared helpers must have the same signatures.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = sorted(
    p.name.removeprefix("polymix-")
    for p in (ROOT / "packages").glob("polymix-*")
    if p.name != "polymix-core" and (p / "src").is_dir()
)
PUBLIC_MODULES = ["", ".parameter_groups", ".priors", ".surrogate_models", ".surrogate_models.mixture"]
# Names one backend exports that the template does not require of others (documented in the contract).
BACKEND_EXTRAS = {"conformance": {"TorchAdapter", "JaxAdapter", "KerasAdapter"}}
# Private helpers every backend has, with the same parameters.
HELPERS = {
    "._activations": {"resolve_activation": ["activation"]},
    "._kl": {
        "gaussian_kl": ["mean", "factors", "logdet", "prior"],
        "low_rank_logdet": ["cov_factor", "cov_diag"],
        "normal_laplace_kl": ["mean", "log_std", "loc", "log_scale"],
    },
    "._from_spec": {
        "build_surrogate": ["spec"],
        "build_prior": ["spec"],
        "build_group": ["entry", "raw"],
        "build_model": ["model_spec", "raw"],
    },
    "._checkpoint": {"save_checkpoint": ["model", "path"], "load_checkpoint": ["path"], "state_dict": ["model"]},
}


def _tree(backend: str) -> set[str]:
    src = ROOT / "packages" / f"polymix-{backend}" / "src" / f"polymix_{backend}"
    return {str(p.relative_to(src)) for p in src.rglob("*") if p.suffix in (".py", ".typed")}


def test_there_are_backends_to_compare() -> None:
    assert {"torch", "jax"} <= set(BACKENDS)


@pytest.mark.parametrize("package", BACKENDS[1:])
def test_module_trees_are_identical(package: str) -> None:
    assert _tree(package) == _tree(BACKENDS[0])


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_public_modules_export_the_same_names(module: str) -> None:
    exported = {b: set(importlib.import_module(f"polymix_{b}{module}").__all__) for b in BACKENDS}
    first = exported[BACKENDS[0]]
    for backend, names in exported.items():
        assert names == first, f"polymix_{backend}{module}: {sorted(names ^ first)}"


def test_conformance_modules_export_an_adapter() -> None:
    for backend in BACKENDS:
        names = set(importlib.import_module(f"polymix_{backend}.conformance").__all__)
        assert "adapter" in names and names - {"adapter"} <= BACKEND_EXTRAS["conformance"]


@pytest.mark.parametrize("module", sorted(HELPERS))
def test_shared_helpers_have_the_same_parameters(module: str) -> None:
    for backend in BACKENDS:
        mod = importlib.import_module(f"polymix_{backend}{module}")
        for name, params in HELPERS[module].items():
            got = list(inspect.signature(getattr(mod, name)).parameters)
            assert got[: len(params)] == params, f"polymix_{backend}{module}.{name}{tuple(got)}"


def test_resolve_activation_returns_callable_then_name() -> None:
    for backend in BACKENDS:
        resolve = importlib.import_module(f"polymix_{backend}._activations").resolve_activation
        fn, name = resolve("tanh")
        assert callable(fn) and name == "tanh"
