"""Test configuration of polymix-jax (tests and the doctests of ``src``).

Strict dtype promotion turns any implicit float32/float64 mixing inside polymix-jax
into an error, so the tests prove that every dtype decision is explicit.
"""

from __future__ import annotations

import jax

jax.config.update("jax_numpy_dtype_promotion", "strict")
