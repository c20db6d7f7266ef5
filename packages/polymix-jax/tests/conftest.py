"""Shared fixtures of the polymix-jax tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import jax
import numpy as np
import pytest

# --import-mode=importlib puts no test folder on sys.path; the shared cases module lives here.
# Its name is package-specific so that it cannot shadow another package's helpers.
sys.path.insert(0, str(Path(__file__).parent))
# The contract's independent oracle (specs/polymix_oracle), which imports nothing from polymix-core.
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "specs"))


@pytest.fixture
def x64() -> Iterator[None]:
    """Run the test body with float64 enabled."""
    with jax.enable_x64(True):
        yield


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded numpy generator for inputs and noise (the reference side never uses jax's RNG)."""
    return np.random.default_rng(1234)
