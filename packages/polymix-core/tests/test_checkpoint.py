"""Backend-neutral checkpoints: round trip, and rejection of wrong shapes and missing keys."""

import json

import numpy as np
import pytest
from polymix_core import (
    CHECKPOINT_FORMAT,
    CheckpointError,
    ConfigurationError,
    DeterministicGroupSpec,
    GatingSpec,
    GaussianGroupSpec,
    GaussianPriorSpec,
    GroupEntry,
    IIDGaussianGroupSpec,
    IIDGaussianPriorSpec,
    LangevinGroupSpec,
    LaplacePriorSpec,
    LowRankGaussianGroupSpec,
    MixtureSpec,
    MLPSpec,
    ModelSpec,
    PCESpec,
    ShapeError,
    read_checkpoint,
    write_checkpoint,
)


def model_with_every_family():
    # PCE(2 inputs, degree 3, 1 output) has 10 parameters: 2 + 2 + 2 + 2 + 2
    surrogate = PCESpec(2, 1, degree=3)
    score = MLPSpec(2, 2, width=3)
    groups = (
        GroupEntry("det", DeterministicGroupSpec(2), LaplacePriorSpec(0.0, 0.1)),
        GroupEntry("iid", IIDGaussianGroupSpec(2), IIDGaussianPriorSpec([0.0, 1.0], 0.5)),
        GroupEntry("full", GaussianGroupSpec(2, jitter=1e-5), GaussianPriorSpec(np.zeros(2), scale_tril=np.eye(2))),
        GroupEntry("lowrank", LowRankGaussianGroupSpec(2, rank=1)),
        GroupEntry(
            "langevin",
            LangevinGroupSpec(
                2,
                mode="score",
                surrogate_num_inputs=2,
                surrogate_num_outputs=2,
                surrogate_num_params=score.num_params,
                num_particles=4,
                num_diffusion_steps=3,
                surrogate=score,
            ),
        ),
    )
    return ModelSpec(surrogate, groups)


def arrays_for(spec, seed=0):
    rng = np.random.default_rng(seed)
    return {
        f"parameter_groups.{i}.{name}": rng.normal(size=shape)
        for i, g in enumerate(spec.groups)
        for name, shape in g.spec.raw_shapes.items()
    }


def test_raw_keys_follow_state_dict_order():
    spec = model_with_every_family()
    assert spec.raw_keys() == [
        "parameter_groups.0.params",
        "parameter_groups.1.mean",
        "parameter_groups.1.log_std",
        "parameter_groups.2.mean",
        "parameter_groups.2.raw_tril",
        "parameter_groups.3.mean",
        "parameter_groups.3.cov_factor",
        "parameter_groups.3.raw_cov_diag",
        "parameter_groups.4.surrogate_params",
    ]


def test_round_trip_with_every_family(tmp_path):
    spec = model_with_every_family()
    arrays = arrays_for(spec)
    path = tmp_path / "model.npz"
    write_checkpoint(path, spec, arrays)
    back, got = read_checkpoint(path)
    assert back.to_dict() == spec.to_dict()
    assert back.surrogate == spec.surrogate
    assert [g.spec for g in back.groups] == [g.spec for g in spec.groups]
    assert [g.name for g in back.groups] == ["det", "iid", "full", "lowrank", "langevin"]
    lang = back.groups[4].spec
    assert lang.surrogate == MLPSpec(2, 2, width=3)
    assert isinstance(back.groups[2].prior, GaussianPriorSpec)
    np.testing.assert_array_equal(back.groups[2].prior.scale_tril, np.eye(2))
    assert back.groups[3].prior is None
    assert sorted(got) == sorted(arrays)
    for k, v in arrays.items():
        assert got[k].dtype == np.float64
        np.testing.assert_array_equal(got[k], v)


def test_round_trip_mixture_and_float32_input(tmp_path):
    surrogate = MixtureSpec((MLPSpec(1, 1, width=2), PCESpec(1, 1, degree=2)), GatingSpec(1, 2, width=2))
    spec = ModelSpec(surrogate, [("all", IIDGaussianGroupSpec(surrogate.num_params), None)])
    arrays = {k: v.astype(np.float32) for k, v in arrays_for(spec, 1).items()}
    write_checkpoint(tmp_path / "m.npz", spec, arrays)
    back, got = read_checkpoint(tmp_path / "m.npz")
    assert back.surrogate == surrogate
    assert isinstance(back.groups[0], GroupEntry)
    for k, v in arrays.items():
        assert got[k].dtype == np.float64
        np.testing.assert_array_equal(got[k], v.astype(np.float64))


def test_spec_is_stored_as_json_with_format_tag(tmp_path):
    spec = model_with_every_family()
    write_checkpoint(tmp_path / "m.npz", spec, arrays_for(spec))
    with np.load(tmp_path / "m.npz") as data:
        meta = json.loads(data["__spec__"].tobytes().decode("utf-8"))
    assert meta["format"] == CHECKPOINT_FORMAT == "polymix-checkpoint-v1"
    assert meta["surrogate"] == {"kind": "pce", "num_inputs": 2, "num_outputs": 1, "degree": 3, "q": 1.0}
    assert [g["spec"]["family"] for g in meta["groups"]] == [
        "deterministic",
        "iid_gaussian",
        "gaussian",
        "low_rank_gaussian",
        "langevin",
    ]


def test_write_rejects_missing_key(tmp_path):
    spec = model_with_every_family()
    arrays = arrays_for(spec)
    del arrays["parameter_groups.2.raw_tril"]
    with pytest.raises(ShapeError) as info:
        write_checkpoint(tmp_path / "m.npz", spec, arrays)
    assert str(info.value).startswith("arrays: expected exactly the keys ['parameter_groups.0.params', ")
    assert str(info.value).endswith("(missing ['parameter_groups.2.raw_tril'], unexpected [])")
    assert not (tmp_path / "m.npz").exists()


def test_write_rejects_wrong_shape(tmp_path):
    spec = model_with_every_family()
    arrays = arrays_for(spec)
    arrays["parameter_groups.3.cov_factor"] = np.zeros((1, 2))
    with pytest.raises(ShapeError) as info:
        write_checkpoint(tmp_path / "m.npz", spec, arrays)
    assert str(info.value) == "arrays['parameter_groups.3.cov_factor']: expected shape (2, 1), received shape (1, 2)"


def _write_raw_npz(path, spec_dict, arrays):
    meta = np.frombuffer(json.dumps(spec_dict).encode("utf-8"), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, __spec__=meta, **arrays)


def test_read_rejects_missing_key(tmp_path):
    spec = model_with_every_family()
    arrays = arrays_for(spec)
    del arrays["parameter_groups.4.surrogate_params"]
    _write_raw_npz(tmp_path / "m.npz", spec.to_dict(), arrays)
    with pytest.raises(CheckpointError, match=r"received missing \['parameter_groups.4.surrogate_params.npy'\]"):
        read_checkpoint(tmp_path / "m.npz")


def test_read_rejects_wrong_shape(tmp_path):
    spec = model_with_every_family()
    arrays = arrays_for(spec)
    arrays["parameter_groups.1.log_std"] = np.zeros(3)
    _write_raw_npz(tmp_path / "m.npz", spec.to_dict(), arrays)
    with pytest.raises(CheckpointError) as info:
        read_checkpoint(tmp_path / "m.npz")
    assert str(info.value) == (
        "member parameter_groups.1.log_std.npy: expected shape (2,) (from the spec), received shape (3,)"
    )


def test_read_rejects_unknown_format(tmp_path):
    spec = model_with_every_family()
    d = spec.to_dict()
    d["format"] = "polymix-checkpoint-v0"
    _write_raw_npz(tmp_path / "m.npz", d, arrays_for(spec))
    with pytest.raises(CheckpointError) as info:
        read_checkpoint(tmp_path / "m.npz")
    assert str(info.value) == "spec field format: expected 'polymix-checkpoint-v1', received 'polymix-checkpoint-v0'"


def test_model_spec_checks_group_total():
    with pytest.raises(ConfigurationError) as info:
        ModelSpec(MLPSpec(1, 1, width=2), (GroupEntry("nn", IIDGaussianGroupSpec(6)),))
    assert "num_params() = 7" in str(info.value) and "received 6 (nn: 6)" in str(info.value)
