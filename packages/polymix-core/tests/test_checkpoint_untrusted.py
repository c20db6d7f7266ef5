"""Checkpoint files are untrusted input: every fault is a CheckpointError, in bounded time and memory."""

import json
import os
import pickle
import time
import zipfile

import numpy as np
import pytest
from polymix_core import (
    CheckpointError,
    CheckpointLimits,
    GroupEntry,
    IIDGaussianGroupSpec,
    MLPSpec,
    ModelSpec,
    PCESpec,
    PolymixError,
    PolymixValueError,
    read_checkpoint,
    write_checkpoint,
)
from polymix_core.testing import (
    assert_hostile_files_handled,
    hostile_checkpoints,
    load_all,
    memory_growth_kib,
    npy_bytes,
    npz_bytes,
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return hostile_checkpoints(tmp_path_factory.mktemp("hostile"))


def test_corpus_files_are_small(corpus):
    assert len(corpus) > 400
    assert max(f.path.stat().st_size for f in corpus) <= 10_240


def test_every_hostile_file_is_read_or_rejected_by_the_family_within_a_second(tmp_path):
    assert_hostile_files_handled(read_checkpoint, tmp_path)


def test_only_checkpoint_errors_escape(corpus):
    outcomes = {label: outcome for label, outcome in load_all(corpus, read_checkpoint)}
    assert set(outcomes.values()) <= {"loaded", "CheckpointError"}


def test_hostile_files_stay_within_100_mb(tmp_path):
    """A fresh process reads the whole corpus; its RSS high-water mark grows by less than 100 MB."""
    assert memory_growth_kib("polymix_core:read_checkpoint", tmp_path) < 100 * 1024


def test_load_all_reports_outcomes(corpus):
    outcomes = dict(load_all(corpus[:1], read_checkpoint))
    assert outcomes == {"valid:0": "loaded"}


def _spec() -> ModelSpec:
    s = MLPSpec(1, 1, width=2)
    return ModelSpec(s, (GroupEntry("nn", IIDGaussianGroupSpec(s.num_params)),))


def _arrays(spec):
    return {k: np.ones(spec.groups[0].spec.num_params) for k in spec.raw_keys()}


def test_torch_save_files_get_a_message_naming_what_to_call(tmp_path):
    path = tmp_path / "model.pt"
    path.write_bytes(npz_bytes({"archive/data.pkl": pickle.dumps({}), "archive/version": b"3"}))
    with pytest.raises(CheckpointError, match=r"torch\.save file .* torch\.load\(path, weights_only=True\)"):
        read_checkpoint(path)
    path.write_bytes(pickle.dumps({"a": 1}, protocol=2))
    with pytest.raises(CheckpointError, match=r"pickle .* never unpickles"):
        read_checkpoint(path)


def test_tiny_file_declaring_a_huge_pce_is_refused_before_building(tmp_path):
    spec = {
        "format": "polymix-checkpoint-v1",
        "surrogate": {"kind": "pce", "num_inputs": 60, "num_outputs": 1, "degree": 8, "q": 1.0},
        "groups": [
            {"name": "c", "spec": {"family": "deterministic", "num_params": 1, "kl_num_mc_samples": 1}, "prior": None}
        ],
    }
    raw = json.dumps(spec).encode()
    path = tmp_path / "m.npz"
    path.write_bytes(
        npz_bytes({"__spec__.npy": npy_bytes({"descr": "|u1", "fortran_order": False, "shape": (len(raw),)}, raw)})
    )
    assert path.stat().st_size < 1024
    start = time.perf_counter()
    with pytest.raises(CheckpointError, match=r"surrogate: expected an index set of at most 4194304 entries"):
        read_checkpoint(path)
    assert time.perf_counter() - start < 0.5


def test_unknown_members_are_refused_even_if_compressed(tmp_path):
    spec = _spec()
    path = tmp_path / "m.npz"
    write_checkpoint(path, spec, _arrays(spec))
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("extra.npy", b"\0" * 1_000_000, compress_type=zipfile.ZIP_DEFLATED)
    with pytest.raises(CheckpointError, match=r"unknown \['extra.npy'\]"):
        read_checkpoint(path)


def test_non_finite_arrays_are_refused_on_write_and_on_read(tmp_path):
    spec = _spec()
    arrays = _arrays(spec)
    arrays["parameter_groups.0.mean"][3] = np.nan
    path = tmp_path / "m.npz"
    with pytest.raises(PolymixValueError, match=r"parameter_groups.0.mean.*non-finite"):
        write_checkpoint(path, spec, arrays)
    assert not path.exists()  # a refused call writes nothing
    meta = np.frombuffer(json.dumps(spec.to_dict()).encode(), dtype=np.uint8)
    np.savez(path, __spec__=meta, **arrays)
    with pytest.raises(CheckpointError, match=r"member parameter_groups.0.mean.npy: expected finite values.*index 3"):
        read_checkpoint(path)


def test_limits_are_documented_caps_that_callers_can_raise(tmp_path):
    spec = ModelSpec(PCESpec(20, 1, degree=6), (GroupEntry("c", IIDGaussianGroupSpec(230230)),))
    path = tmp_path / "m.npz"
    write_checkpoint(path, spec, {k: np.zeros(230230) for k in spec.raw_keys()})
    with pytest.raises(CheckpointError, match="max_index_entries"):
        read_checkpoint(path)
    loaded, arrays = read_checkpoint(path, limits=CheckpointLimits(max_index_entries=1 << 23))
    assert loaded.surrogate == spec.surrogate and arrays["parameter_groups.0.mean"].shape == (230230,)


def test_saving_a_custom_activation_is_refused_up_front(tmp_path):
    s = MLPSpec(1, 1, width=2, activation="custom")
    spec = ModelSpec(s, (GroupEntry("nn", IIDGaussianGroupSpec(s.num_params)),))
    with pytest.raises(PolymixError, match=r"activation: expected a named activation"):
        write_checkpoint(tmp_path / "m.npz", spec, _arrays(spec))
    assert not os.path.exists(tmp_path / "m.npz")


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_checkpoint(tmp_path / "nope.npz")
