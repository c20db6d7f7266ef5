"""The adapter protocol: feature names and the runtime-checkable interface."""

from polymix_core import FEATURES, BackendAdapter

METHODS = (
    "forward",
    "expert_outputs",
    "gating_weights",
    "sample_transform",
    "sample",
    "log_prob",
    "prior_log_prob",
    "kl",
    "distribution_loss",
    "loss_gradients",
    "langevin_trajectory",
    "save_checkpoint",
    "load_checkpoint_forward",
)


def test_feature_names_are_unique_strings():
    assert isinstance(FEATURES, tuple)
    assert len(set(FEATURES)) == len(FEATURES)
    assert all(isinstance(f, str) and f == f.lower() for f in FEATURES)
    assert {"forward", "float32", "float64", "sample_transform", "kl", "checkpoint"} <= set(FEATURES)


def test_adapter_protocol_is_runtime_checkable():
    complete = type("Complete", (), {m: (lambda self, *a, **k: None) for m in METHODS})
    complete.name = "fake"
    complete.unsupported = {}
    assert isinstance(complete(), BackendAdapter)
    partial = type("Partial", (), {m: (lambda self, *a, **k: None) for m in METHODS[:-1]})
    partial.name, partial.unsupported = "fake", {}
    assert not isinstance(partial(), BackendAdapter)
