"""Test utilities shared by the backends' suites: a corpus of hostile checkpoint files.

``hostile_checkpoints`` writes files that a careless reader would hang on, exhaust memory
with, or crash on with an exception from deep inside zipfile, numpy or json: truncations,
byte flips, edited specs, declared sizes far beyond the data, compressed and unknown
members, foreign formats. Every backend's ``load_checkpoint`` must load each of them or
raise a ``PolymixError``, in bounded time and memory.
"""

from __future__ import annotations

import io
import json
import pickle
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path
from typing import Any, Callable, NamedTuple

import numpy as np

from ._checkpoint import GroupEntry, ModelSpec, write_checkpoint
from ._group_specs import (
    DeterministicGroupSpec,
    GaussianGroupSpec,
    IIDGaussianGroupSpec,
    LangevinGroupSpec,
    LowRankGaussianGroupSpec,
)
from ._prior_specs import GaussianPriorSpec, LaplacePriorSpec
from ._surrogate_specs import GatingSpec, MixtureSpec, MLPSpec, PCESpec

__all__ = [
    "HostileFile",
    "MUST_REJECT",
    "valid_model_specs",
    "hostile_checkpoints",
    "load_all",
    "assert_hostile_files_handled",
    "memory_growth_kib",
    "npz_bytes",
    "npy_bytes",
]


class HostileFile(NamedTuple):
    """A generated file and how it was made (for test ids and failure messages)."""

    label: str
    path: Path


def valid_model_specs() -> list[ModelSpec]:
    """Small models covering every surrogate kind, every group family and every prior kind."""
    pce = PCESpec(3, 2, degree=2)
    mlp = MLPSpec(2, 1, width=3, depth=2, activation="tanh")
    moe = MixtureSpec((MLPSpec(1, 1, width=2), PCESpec(1, 1, degree=2)), GatingSpec(1, 2, width=2))
    score = MLPSpec(3, 3, width=2)
    return [
        ModelSpec(
            pce,
            (
                GroupEntry("a", IIDGaussianGroupSpec(4), LaplacePriorSpec(0.0, 0.5)),
                GroupEntry("b", GaussianGroupSpec(3), GaussianPriorSpec(np.zeros(3), covariance_matrix=np.eye(3))),
                GroupEntry("c", LowRankGaussianGroupSpec(5, rank=2)),
                GroupEntry("d", DeterministicGroupSpec(5)),
                GroupEntry(
                    "e",
                    LangevinGroupSpec(
                        3,
                        surrogate_num_inputs=3,
                        surrogate_num_outputs=3,
                        surrogate_num_params=score.num_params,
                        num_diffusion_steps=3,
                        surrogate=score,
                    ),
                ),
            ),
        ),
        ModelSpec(mlp, (GroupEntry("w", IIDGaussianGroupSpec(mlp.num_params)),)),
        ModelSpec(moe, (GroupEntry("m", DeterministicGroupSpec(moe.num_params)),)),
    ]


def npy_bytes(header: dict[str, Any], data: bytes, version: tuple[int, int] = (1, 0)) -> bytes:
    """An ``.npy`` member with an arbitrary (possibly lying) header dictionary and data."""
    buf = io.BytesIO()
    write = np.lib.format.write_array_header_1_0 if version == (1, 0) else np.lib.format.write_array_header_2_0
    write(buf, header)
    return buf.getvalue() + data


def npz_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    """A zip archive of raw members (``name -> bytes``)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _spec_member(spec: dict[str, Any]) -> bytes:
    raw = json.dumps(spec).encode("utf-8")
    return npy_bytes({"descr": "|u1", "fortran_order": False, "shape": (len(raw),)}, raw)


def _array_member(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def _pce_only(num_inputs: int, degree: int, q: float, num_values: int) -> dict[str, bytes]:
    """A spec declaring a PCE far larger than the (tiny) data that follows it."""
    spec = {
        "format": "polymix-checkpoint-v1",
        "surrogate": {"kind": "pce", "num_inputs": num_inputs, "num_outputs": 1, "degree": degree, "q": q},
        "groups": [
            {
                "name": "c",
                "spec": {"family": "deterministic", "num_params": num_values, "kl_num_mc_samples": 1},
                "prior": None,
            }
        ],
    }
    return {
        "__spec__.npy": _spec_member(spec),
        "parameter_groups.0.params.npy": _array_member(np.zeros(num_values, np.float32)),
    }


def _mlp_only(depth: int, width: int) -> dict[str, bytes]:
    spec = {
        "format": "polymix-checkpoint-v1",
        "surrogate": {
            "kind": "mlp",
            "num_inputs": 1,
            "num_outputs": 1,
            "width": width,
            "depth": depth,
            "activation": "relu",
        },
        "groups": [
            {"name": "w", "spec": {"family": "deterministic", "num_params": 4, "kl_num_mc_samples": 1}, "prior": None}
        ],
    }
    return {"__spec__.npy": _spec_member(spec), "parameter_groups.0.params.npy": _array_member(np.zeros(4))}


def _spec_edits(spec: dict[str, Any], rng: np.random.Generator) -> list[tuple[str, dict[str, Any]]]:
    """Field-level edits of a valid spec: removals, additions, wrong types, huge and negative sizes."""
    edits: list[tuple[str, dict[str, Any]]] = []
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                paths.append((*path, k))
                walk(v, (*path, k))
        elif isinstance(node, list) and len(node) < 16:
            for i, v in enumerate(node):
                walk(v, (*path, i))

    walk(spec, ())
    replacements: list[Any] = [None, -1, 0, 2**62, 1.5, "x", [], {}, True, [[[[1]]]], 10**6, "relu"]
    for path in [paths[i] for i in rng.permutation(len(paths))[:40]]:
        parent_path, key = path[:-1], path[-1]
        for op in ("delete", "replace", "add"):
            edited = json.loads(json.dumps(spec))
            parent = edited
            for p in parent_path:
                parent = parent[p]
            if op == "delete" and isinstance(parent, dict):
                del parent[key]
            elif op == "replace":
                parent[key] = replacements[int(rng.integers(len(replacements)))]
            elif op == "add" and isinstance(parent, dict):
                parent["unexpected_field"] = 1
            else:
                continue
            edits.append((f"{op}:{'/'.join(map(str, path))}", edited))
    return edits


def hostile_checkpoints(
    directory: str | Path, *, seed: int = 0, flips: int = 60, truncations: int = 40
) -> list[HostileFile]:
    """Write a corpus of hostile checkpoint files into ``directory`` and return them.

    Every file but the few labelled ``valid:*`` must be rejected; none may take more than a
    second or 100 MB to load or reject. All files are at most 10 kB.

    Args:
        directory: Where to write (created if missing).
        seed: Seed of the random flips, truncations and edits.
        flips: Byte-flip mutants per valid file.
        truncations: Truncated copies per valid file.

    Returns:
        The files, labelled by how they were made.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    out: list[HostileFile] = []

    def emit(label: str, data: bytes) -> None:
        path = directory / f"{len(out):04d}.npz"
        path.write_bytes(data)
        out.append(HostileFile(label, path))

    for m, spec in enumerate(valid_model_specs()):
        valid = directory / f"valid-{m}.npz"
        arrays = {
            k: rng.normal(size=shape)
            for k, shape in zip(spec.raw_keys(), [s for g in spec.groups for s in g.spec.raw_shapes.values()])
        }
        write_checkpoint(valid, spec, arrays)
        data = valid.read_bytes()
        out.append(HostileFile(f"valid:{m}", valid))
        for _ in range(truncations):
            emit(f"truncate:{m}", data[: int(rng.integers(0, len(data)))])
        for _ in range(flips):
            mutated = bytearray(data)
            for pos in rng.integers(0, len(data), size=int(rng.integers(1, 4))):
                mutated[pos] ^= 1 << int(rng.integers(8))
            emit(f"flip:{m}", bytes(mutated))
        members = {k + ".npy": _array_member(v) for k, v in arrays.items()}
        for label, edited in _spec_edits(spec.to_dict(), rng):
            emit(f"edit:{m}:{label}", npz_bytes({"__spec__.npy": _spec_member(edited), **members}))
        # a deflated copy, and an extra member compressed a thousandfold (a zip bomb in miniature)
        emit(
            f"deflated:{m}", npz_bytes({"__spec__.npy": _spec_member(spec.to_dict()), **members}, zipfile.ZIP_DEFLATED)
        )
        bomb = io.BytesIO()
        with zipfile.ZipFile(bomb, "w") as zf:
            zf.writestr("__spec__.npy", _spec_member(spec.to_dict()))
            for k, v in members.items():
                zf.writestr(k, v)
            zf.writestr("extra.npy", b"\0" * (4 << 20), compress_type=zipfile.ZIP_DEFLATED)
        emit(f"extra-deflated-member:{m}", bomb.getvalue())
        # every array dtype kind but real floats, and lying shapes
        key = spec.raw_keys()[0]
        shape = spec.groups[0].spec.raw_shapes[key.rsplit(".", 1)[1]]
        n = int(np.prod(shape))
        for descr, size in (("<U3", 12), ("<c16", 16), ("|O", 8), ("<i8", 8), ("|b1", 1), ("<f8", 8)):
            for declared in (shape, (n + 1,), (1 << 40,), ()):
                header = {"descr": descr, "fortran_order": False, "shape": declared}
                bad = dict(members)
                bad[key + ".npy"] = npy_bytes(header, b"\0" * size * n)
                if descr == "<f8" and declared == shape:
                    bad[key + ".npy"] = npy_bytes(header, np.full(n, np.nan).tobytes())
                emit(f"dtype:{m}:{descr}:{declared}", npz_bytes({"__spec__.npy": _spec_member(spec.to_dict()), **bad}))
        emit(f"missing-member:{m}", npz_bytes({"__spec__.npy": _spec_member(spec.to_dict())}))
        emit(f"missing-spec:{m}", npz_bytes(members))
    # sizes declared far beyond the data
    emit("huge-pce", npz_bytes(_pce_only(60, 8, 1.0, 4)))
    emit("huge-pce-hyperbolic", npz_bytes(_pce_only(4096, 64, 0.99, 4)))
    emit("largest-valid-pce", npz_bytes(_pce_only(1249, 1, 1.0, 1250)))
    emit("deep-mlp", npz_bytes(_mlp_only(3_000_000, 1)))
    emit("wide-mlp", npz_bytes(_mlp_only(1, 10**9)))
    # JSON that is not a spec
    for label, text in (
        ("nested", "[" * 4_000 + "]" * 4_000),
        ("nan", '{"format": NaN}'),
        ("huge-int", '{"format": ' + "9" * 5000 + "}"),
        ("duplicate-keys", '{"format": 1, "format": 2}'),
        ("not-utf8", "\udcff"),
        ("list", "[1, 2, 3]"),
    ):
        raw = text.encode("utf-8", "surrogateescape")
        member = npy_bytes({"descr": "|u1", "fortran_order": False, "shape": (len(raw),)}, raw)
        emit(f"json:{label}", npz_bytes({"__spec__.npy": member}))
    # other formats
    emit("pickle", pickle.dumps({"state_dict": {}}, protocol=2))
    emit("torch-save-zip", npz_bytes({"archive/data.pkl": pickle.dumps({}), "archive/version": b"3"}))
    emit("keras", npz_bytes({"config.json": b"{}", "model.weights.h5": b"\x89HDF"}))
    emit("npy", _array_member(np.zeros(3)))
    emit("hdf5", b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    emit("empty", b"")
    emit("random", rng.bytes(4096))
    too_big = [f for f in out if f.path.stat().st_size > 10_240]
    if too_big:  # the corpus promises files of at most 10 kB
        raise AssertionError(f"corpus files over 10 kB: {[f.label for f in too_big]}")
    return out


def load_all(files: list[HostileFile], load: Callable[[Path], Any]) -> list[tuple[str, str]]:
    """Run ``load`` on every file; return ``(label, outcome)`` with outcome ``"loaded"`` or the error's class name."""
    outcomes = []
    for f in files:
        try:
            load(f.path)
            outcomes.append((f.label, "loaded"))
        except Exception as err:  # noqa: BLE001 - the caller asserts on the class
            outcomes.append((f.label, type(err).__name__))
    return outcomes


#: Labels (prefixes) of corpus files that no reader may accept.
MUST_REJECT = (
    "truncate",
    "deflated",
    "extra-deflated-member",
    "missing-",
    "huge-",
    "deep-",
    "wide-mlp",
    "json:",
    "pickle",
    "torch-save",
    "keras",
    "npy",
    "hdf5",
    "empty",
    "random",
)


def assert_hostile_files_handled(load: Callable[[Path], Any], directory: str | Path, *, seconds: float = 1.0) -> None:
    """Run ``load`` on the hostile corpus: every file loads or raises a ``PolymixError``, each within ``seconds``.

    Files labelled ``valid:*`` must load; files whose label starts with one of ``MUST_REJECT`` (and
    arrays of a non-float dtype) must raise ``CheckpointError``. The first valid file is loaded once
    before the clock starts, so a framework's one-time start-up is not counted.

    Raises:
        AssertionError: naming the first file that breaks a rule.
    """
    from ._errors import CheckpointError, PolymixError

    files = hostile_checkpoints(directory)
    load(files[0].path)
    for f in files:
        start = time.perf_counter()
        try:
            load(f.path)
            outcome: type[BaseException] | None = None
        except PolymixError as err:
            outcome = type(err)
        elapsed = time.perf_counter() - start
        if elapsed > seconds:
            raise AssertionError(f"{f.label}: took {elapsed:.2f} s (limit {seconds} s)")
        must_reject = f.label.startswith(MUST_REJECT) or (f.label.startswith("dtype:") and "<f8" not in f.label)
        if must_reject and (outcome is None or not issubclass(outcome, CheckpointError)):
            raise AssertionError(f"{f.label}: expected CheckpointError, received {outcome}")
        if f.label.startswith("valid:") and outcome is not None:
            raise AssertionError(f"{f.label}: expected to load, received {outcome.__name__}")


def memory_growth_kib(loader: str, directory: str | Path) -> int:
    """RSS high-water growth (KiB) of a fresh process that loads the whole hostile corpus with ``loader``.

    Args:
        loader: ``"module:function"``, e.g. ``"polymix_torch:load_checkpoint"``.
        directory: Where to write the corpus.

    Returns:
        The growth of ``ru_maxrss`` over the corpus, after the framework's start-up and one valid load.
    """
    module, function = loader.split(":")
    script = textwrap.dedent(
        f"""
        import resource
        from {module} import {function} as load
        from polymix_core.testing import hostile_checkpoints, load_all
        files = hostile_checkpoints({str(directory)!r})
        load(files[0].path)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        load_all(files, load)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300)
    return int(out.stdout.strip().splitlines()[-1])
