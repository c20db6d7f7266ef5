"""The adapter itself: protocol, name, and well-formed ``unsupported`` entries."""

from __future__ import annotations

from polymix_core import FEATURES, BackendAdapter


def test_adapter_implements_protocol(backend):
    assert isinstance(backend, BackendAdapter), f"{type(backend).__name__} does not implement BackendAdapter"
    assert backend.name in ("numpy", "torch", "jax")


def test_unsupported_names_known_features(backend):
    unknown = sorted(set(backend.unsupported) - set(FEATURES))
    assert not unknown, f"{backend.name}: unsupported lists unknown features {unknown}; expected names from {FEATURES}"
    for feature, reason in backend.unsupported.items():
        assert isinstance(reason, str) and reason.strip(), f"{backend.name}: feature {feature!r} needs a reason"
