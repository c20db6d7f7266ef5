"""The one task runner of polymix.

`nox` alone runs lint, every test session, the pypolymix parity check, the
conformance suite and the documentation's examples. `nox -s demo` and `nox -s benchmarks` run on request.
Virtualenvs are pip-backed (this machine's pip configuration is honoured) and reused.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import nox

ROOT = Path(__file__).parent
CONSTRAINTS = ("-c", str(ROOT / "constraints.txt"))
CORE = str(ROOT / "packages" / "polymix-core")
TORCH = str(ROOT / "packages" / "polymix-torch")
JAX = str(ROOT / "packages" / "polymix-jax")
PYPOLYMIX_BASELINE = "pypolymix==0.1.9"

nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["lint", "core", "torch", "jax", "parity", "conformance", "docs"]

# Single-threaded BLAS keeps test timings steady on a 2-core machine.
THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def _install(session: nox.Session, *specs: str) -> None:
    session.install(*CONSTRAINTS, *specs)


def _install_core(session: nox.Session) -> None:
    _install(session, "-e", f"{CORE}[test]")


def _install_torch(session: nox.Session) -> None:
    # torch first, pinned, so nothing resolves an open range to a CUDA build.
    _install(session, "torch")
    _install(session, "-e", f"{CORE}[test]", "-e", f"{TORCH}[test]")


def _install_jax(session: nox.Session) -> None:
    _install(session, "-e", f"{CORE}[test]", "-e", f"{JAX}[test]")


def _pytest(session: nox.Session, *paths: str) -> None:
    session.run("pytest", *paths, *session.posargs, env=THREAD_ENV)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (style, imports, docstrings) and mypy (types)."""
    _install(session, "ruff", "mypy", "numpy", "array-api-compat")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run(
        "mypy",
        "packages/polymix-core/src/polymix_core",
        "packages/polymix-torch/src/polymix_torch",
        "packages/polymix-jax/src/polymix_jax",
    )


@nox.session
def core(session: nox.Session) -> None:
    """polymix-core's tests, in an environment without torch or jax."""
    _install_core(session)
    session.run(
        "python", "-c", "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) for m in ('torch', 'jax')))"
    )
    _pytest(session, "packages/polymix-core")


@nox.session
def torch(session: nox.Session) -> None:
    """polymix-torch's unit tests and doctests (the `pypolymix` drop-in included)."""
    _install_torch(session)
    _pytest(session, "packages/polymix-torch")


@nox.session
def jax(session: nox.Session) -> None:
    """polymix-jax's unit tests and doctests."""
    _install_jax(session)
    _pytest(session, "packages/polymix-jax")


@nox.session(name="parity-baseline")
def parity_baseline(session: nox.Session) -> None:
    """Run the real pypolymix 0.1.9 in its own virtualenv and record its outputs."""
    _install(session, "torch", "numpy", PYPOLYMIX_BASELINE)
    out = ROOT / ".nox" / "_parity" / "pypolymix-0.1.9.npz"
    out.parent.mkdir(parents=True, exist_ok=True)
    session.run("python", "parity_tests/record_baseline.py", str(out), env=THREAD_ENV)
    # whole modules pickled by pypolymix (torch.save(model)), which the drop-in must unpickle and run
    session.run("python", "parity_tests/record_pickles.py", str(out.parent / "pickles"), env=THREAD_ENV)


@nox.session(requires=["parity-baseline"])
def parity(session: nox.Session) -> None:
    """Compare polymix-torch and polymix-jax with the recorded pypolymix 0.1.9 outputs."""
    _install_torch(session)
    _install_jax(session)
    env = {
        **THREAD_ENV,
        "POLYMIX_PARITY_BASELINE": str(ROOT / ".nox" / "_parity" / "pypolymix-0.1.9.npz"),
        "POLYMIX_PARITY_PICKLES": str(ROOT / ".nox" / "_parity" / "pickles"),
    }
    session.run("pytest", "parity_tests", *session.posargs, env=env)


@nox.session
def conformance(session: nox.Session) -> None:
    """The one conformance suite, against the numpy reference, torch and jax."""
    _install_torch(session)
    _install_jax(session)
    _pytest(session, "conformance_tests")


@nox.session(default=False)
def benchmarks(session: nox.Session) -> None:
    """Cross-framework benchmarks (pypolymix 0.1.9 baseline in its own virtualenv)."""
    _install_torch(session)
    _install_jax(session)
    _install(session, "matplotlib", "optax")
    session.run("python", "benchmarks/run.py", *session.posargs, env={"POLYMIX_NOX_ROOT": str(ROOT / ".nox")})


def readme_install_lines() -> list[list[str]]:
    """The README's ``pip install`` lines (``docs/install_lines.py``, also read by ``docs/test_docs.py``)."""
    spec = importlib.util.spec_from_file_location("polymix_docs_install_lines", ROOT / "docs" / "install_lines.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.readme_install_lines()  # type: ignore[no-any-return]


@nox.session
def docs(session: nox.Session) -> None:
    """Run every code example in README.md and docs/, installed exactly as the README's install lines say."""
    for args in readme_install_lines():
        session.install(*args)
    _install(session, "pytest")  # the runner of the examples, nothing they may import
    session.run("pytest", "-p", "no:cacheprovider", "docs/test_docs.py", *session.posargs, env=THREAD_ENV)


@nox.session(default=False)
def demo(session: nox.Session) -> None:
    """The main job: fit the README quickstart with every backend; print a table and write PNGs."""
    _install_torch(session)
    _install_jax(session)
    _install(session, "matplotlib", "optax")
    out = os.environ.get("POLYMIX_DEMO_OUT", str(ROOT / "output" / "demo"))
    session.run("python", "examples/quickstart_demo.py", "--out", out, *session.posargs, env=THREAD_ENV)
