"""The ``backend`` fixture: one adapter per backend, every test written once.

Backends are loaded through their ``conformance.adapter()``:

* ``numpy``: ``polymix_core.conformance`` (the float64 reference),
* ``torch``: ``polymix_torch.conformance``,
* ``jax``: ``polymix_jax.conformance``.

``pytest conformance_tests --backend torch,jax`` selects backends; naming one that
cannot be imported is a usage error. Without ``--backend`` all three run, and a missing
backend is a usage error too, unless ``POLYMIX_CONFORMANCE_ALLOW_MISSING=1`` (meant for
while a backend is under construction), in which case it is left out and the report
header says so.

A feature an adapter lists in ``unsupported`` turns the tests needing it into strict,
named xfails (``require`` fixture), never skips.

Tests marked ``reference_expected`` take their expected values from ``polymix_core.reference``,
which is the numpy backend's adapter: they run against torch and jax only, so that no item
compares the reference with itself. The numpy adapter has its own tests against the
independent oracle ``specs/polymix_oracle`` (``test_reference_adapter.py``).
"""

from __future__ import annotations

import importlib
import itertools
import os
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # cases.py and checks.py, under --import-mode=importlib
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "specs"))  # the independent oracle, polymix_oracle

from polymix_core import FEATURES  # noqa: E402

BACKEND_MODULES = {
    "numpy": "polymix_core.conformance",
    "torch": "polymix_torch.conformance",
    "jax": "polymix_jax.conformance",
}
ALLOW_MISSING_ENV = "POLYMIX_CONFORMANCE_ALLOW_MISSING"

_ADAPTERS: dict[str, Any] = {}
_MISSING: dict[str, str] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        action="store",
        default=None,
        help="comma-separated backends to run the conformance suite against (numpy, torch, jax); default: all",
    )


def pytest_configure(config: pytest.Config) -> None:
    option = config.getoption("--backend")
    explicit = option is not None
    names = [n.strip() for n in option.split(",") if n.strip()] if explicit else list(BACKEND_MODULES)
    unknown = [n for n in names if n not in BACKEND_MODULES]
    if unknown or not names:
        raise pytest.UsageError(f"--backend: expected a comma list of {sorted(BACKEND_MODULES)}, received {option!r}")
    allow_missing = os.environ.get(ALLOW_MISSING_ENV, "") == "1"
    _ADAPTERS.clear()
    _MISSING.clear()
    for name in dict.fromkeys(names):
        try:
            module = importlib.import_module(BACKEND_MODULES[name])
        except ImportError as err:
            if explicit or not allow_missing:
                raise pytest.UsageError(
                    f"backend {name!r}: cannot import {BACKEND_MODULES[name]} ({err}). Install the backend package, "
                    f"select others with --backend, or set {ALLOW_MISSING_ENV}=1 while it is under construction."
                ) from err
            _MISSING[name] = f"{type(err).__name__}: {err}"
            continue
        _ADAPTERS[name] = module.adapter()


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"conformance backends: {', '.join(_ADAPTERS) or 'none'}"]
    for name, adapter in _ADAPTERS.items():
        unsupported = getattr(adapter, "unsupported", {})
        if unsupported:
            lines.append(f"  {name} unsupported (strict xfail): {', '.join(sorted(unsupported))}")
    for name, why in _MISSING.items():
        lines.append(f"  MISSING backend {name!r} left out ({ALLOW_MISSING_ENV}=1): {why}")
    return lines


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for name, why in _MISSING.items():
        terminalreporter.write_line(
            f"conformance: backend {name!r} NOT TESTED ({ALLOW_MISSING_ENV}=1): {why}", red=True
        )


def backend_names() -> list[str]:
    """Names of the loaded backends, in order."""
    return list(_ADAPTERS)


#: The backend whose adapter is ``polymix_core.reference`` itself.
REFERENCE_BACKEND = "numpy"
#: Marks a test whose expected values come from ``polymix_core.reference``: run against the reference
#: itself it would compare the reference with itself, so the numpy backend is left out (the reference
#: is judged by the independent oracle in ``test_reference_adapter.py`` and polymix-core's tests).
REFERENCE_EXPECTED = "reference_expected"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    names = backend_names()
    if metafunc.definition.get_closest_marker(REFERENCE_EXPECTED) is not None:
        # backend / couple: without the reference; pair: without reference -> reference (reference -> torch
        # still checks the reference's checkpoint writer against another backend's loader).
        single = [n for n in names if n != REFERENCE_BACKEND]
        couple_names = single
        pairs = [(a, b) for a, b in itertools.product(names, repeat=2) if REFERENCE_BACKEND not in (a, b) or a != b]
    else:
        single = couple_names = names
        pairs = list(itertools.product(names, repeat=2))
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", [_ADAPTERS[n] for n in single], ids=single)
    if "reference_backend" in metafunc.fixturenames:
        # The reference adapter alone, judged by the independent oracle (when it is among the selected backends).
        only = [n for n in names if n == REFERENCE_BACKEND]
        metafunc.parametrize("reference_backend", [_ADAPTERS[n] for n in only], ids=only)
    if "backend_pair" in metafunc.fixturenames:
        # Ordered pairs (saver, loader), the same backend twice included.
        metafunc.parametrize(
            "backend_pair", [(_ADAPTERS[a], _ADAPTERS[b]) for a, b in pairs], ids=[f"{a}->{b}" for a, b in pairs]
        )
    if "backend_couple" in metafunc.fixturenames:
        # Unordered pairs of distinct backends (a backend with itself when only one is loaded).
        couples = list(itertools.combinations(couple_names, 2)) or [(n, n) for n in couple_names]
        metafunc.parametrize(
            "backend_couple",
            [(_ADAPTERS[a], _ADAPTERS[b]) for a, b in couples],
            ids=[f"{a}+{b}" for a, b in couples],
        )


def _apply_unsupported(request: pytest.FixtureRequest, adapter: Any, features: tuple[str, ...]) -> None:
    for feature in features:
        if feature not in FEATURES:
            raise ValueError(f"feature {feature!r} is not one of polymix_core.FEATURES {FEATURES}")
        reason = adapter.unsupported.get(feature)
        if reason is not None:
            request.applymarker(
                pytest.mark.xfail(reason=f"{adapter.name} does not support {feature!r}: {reason}", strict=True)
            )


@pytest.fixture
def require(request: pytest.FixtureRequest) -> Callable[..., None]:
    """``require(adapter, *features)``: a strict, named xfail for each feature the adapter lists as unsupported."""

    def _require(adapter: Any, *features: str) -> None:
        _apply_unsupported(request, adapter, features)

    return _require
