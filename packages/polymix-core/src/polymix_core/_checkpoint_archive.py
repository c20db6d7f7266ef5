"""Reading a checkpoint archive as untrusted input: no unpickling, sizes checked before allocation.

A checkpoint is a zip archive of uncompressed ``.npy`` members (what ``numpy.savez`` writes):
``__spec__.npy`` (the JSON spec as bytes) and one float array per raw parameter. The reader
opens only the members the spec names, parses their ``.npy`` headers before reading any data,
compares every declared shape with the spec's closed-form sizes, and reads exactly the
declared number of bytes. Compressed members are refused: a stored member occupies its full
size on disk, so the memory a file can claim is bounded by the file's own size.
"""

from __future__ import annotations

import json
import os
import struct
import zipfile
import zlib
from typing import IO, Any

import numpy as np

from ._checkpoint_schema import CHECKPOINT_FORMAT, CheckpointLimits, expected_raw_shapes
from ._errors import CheckpointError

__all__ = ["read_archive", "SPEC_MEMBER"]

SPEC_MEMBER = "__spec__.npy"
_NPY_MAGIC = b"\x93NUMPY"
_MAX_NPY_HEADER = 4096
# Exceptions the standard library and numpy raise on malformed archives and headers.
_MALFORMED = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    struct.error,
    EOFError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OverflowError,
    SyntaxError,
    NotImplementedError,
    RecursionError,
    UnicodeError,
    OSError,  # e.g. a seek to a negative offset recorded in a corrupted directory
)


def _foreign_format(path: str, head: bytes, names: list[str] | None) -> str | None:
    """A message naming the format of a file that is not a polymix checkpoint, if it is a known one."""
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return (
            f"{path}: this is a pickle (e.g. torch.save in its legacy format), not a polymix checkpoint; polymix never "
            "unpickles. Load it with torch.load(path, weights_only=True) and model.load_state_dict(...), then write "
            "a polymix checkpoint with save_checkpoint(model, path)"
        )
    if head.startswith(_NPY_MAGIC):
        return f"{path}: this is a single .npy array, not a polymix checkpoint (a zip of .npy members)"
    if head.startswith(b"\x89HDF"):
        return f"{path}: this is an HDF5 file, not a polymix checkpoint"
    if names is None:
        return None
    if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        return (
            f"{path}: this is a torch.save file (a zip holding a pickle), not a polymix checkpoint; polymix never "
            "unpickles. Load it with torch.load(path, weights_only=True) and model.load_state_dict(...), then write "
            "a polymix checkpoint with polymix_torch.save_checkpoint(model, path)"
        )
    if "config.json" in names and any(n.endswith(".h5") for n in names):
        return f"{path}: this is a Keras model file; load it with keras.saving.load_model(path)"
    return None


def _npy_header(fh: IO[bytes], member: str) -> tuple[np.dtype, tuple[int, ...], bool]:
    """``(dtype, shape, fortran_order)`` from an ``.npy`` header, read with a bounded header size."""
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh, max_header_size=_MAX_NPY_HEADER)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh, max_header_size=_MAX_NPY_HEADER)
    else:
        raise CheckpointError(f"member {member}: expected .npy format version 1.0 or 2.0, received {version}")
    return np.dtype(dtype), tuple(int(s) for s in shape), bool(fortran)


def _read_exact(fh: IO[bytes], nbytes: int, member: str) -> bytes:
    data = fh.read(nbytes)
    if len(data) != nbytes or fh.read(1):  # reading to the end also verifies the member's CRC-32
        raise CheckpointError(f"member {member}: expected exactly {nbytes} data bytes, received {len(data)} or more")
    return data


def _member_info(zf: zipfile.ZipFile, member: str) -> zipfile.ZipInfo:
    info = zf.getinfo(member)
    if info.flag_bits & 0x1:
        raise CheckpointError(f"member {member}: expected an unencrypted member, received an encrypted one")
    if info.compress_type != zipfile.ZIP_STORED:
        raise CheckpointError(
            f"member {member}: expected an uncompressed (stored) member as save_checkpoint writes, received "
            f"compression method {info.compress_type}; re-save the model with save_checkpoint"
        )
    return info


def _json_depth(text: str) -> int:
    """Maximal nesting of brackets outside strings (a linear pre-scan, so json never recurses deeply)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise CheckpointError(f"member {SPEC_MEMBER}: expected unique JSON keys, received {key!r} twice")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise CheckpointError(f"member {SPEC_MEMBER}: expected finite JSON numbers, received {name}")


def _read_spec(zf: zipfile.ZipFile, limits: CheckpointLimits) -> Any:
    info = _member_info(zf, SPEC_MEMBER)
    if info.file_size > limits.max_spec_bytes + _MAX_NPY_HEADER:
        raise CheckpointError(
            f"member {SPEC_MEMBER}: expected at most {limits.max_spec_bytes} bytes (CheckpointLimits.max_spec_bytes), "
            f"received {info.file_size}"
        )
    with zf.open(info) as fh:
        dtype, shape, _ = _npy_header(fh, SPEC_MEMBER)
        if dtype != np.dtype(np.uint8) or len(shape) != 1:
            raise CheckpointError(
                f"member {SPEC_MEMBER}: expected a 1-D uint8 array (JSON bytes), received dtype {dtype}, shape {shape}"
            )
        if shape[0] > limits.max_spec_bytes:
            raise CheckpointError(
                f"member {SPEC_MEMBER}: expected at most {limits.max_spec_bytes} bytes, received {shape[0]}"
            )
        raw = _read_exact(fh, shape[0], SPEC_MEMBER)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise CheckpointError(f"member {SPEC_MEMBER}: expected UTF-8 JSON, received undecodable bytes") from err
    depth = _json_depth(text)
    if depth > limits.max_json_depth:
        raise CheckpointError(
            f"member {SPEC_MEMBER}: expected JSON nested at most {limits.max_json_depth} deep "
            f"(CheckpointLimits.max_json_depth), received depth {depth}"
        )
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except (json.JSONDecodeError, ValueError, RecursionError) as err:
        if isinstance(err, CheckpointError):
            raise
        raise CheckpointError(f"member {SPEC_MEMBER}: expected valid JSON, received {err}") from err


def _read_array(zf: zipfile.ZipFile, member: str, shape: tuple[int, ...]) -> np.ndarray:
    info = _member_info(zf, member)
    with zf.open(info) as fh:
        dtype, got, fortran = _npy_header(fh, member)
        if dtype.kind != "f" or dtype.itemsize not in (2, 4, 8):
            raise CheckpointError(f"member {member}: expected a real floating-point array, received dtype {dtype}")
        if got != shape:
            raise CheckpointError(f"member {member}: expected shape {shape} (from the spec), received shape {got}")
        nbytes = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
        if info.file_size != fh.tell() + nbytes:
            raise CheckpointError(
                f"member {member}: expected {fh.tell() + nbytes} bytes for shape {shape} and dtype {dtype}, "
                f"received a member of {info.file_size} bytes"
            )
        data = _read_exact(fh, nbytes, member)
    arr = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    out = np.array(arr, dtype=np.float64, order="C")  # a writable copy, native byte order
    bad = ~np.isfinite(out)
    if bad.any():
        raise CheckpointError(
            f"member {member}: expected finite values, received {int(bad.sum())} non-finite ones "
            f"(first at flat index {int(np.flatnonzero(bad)[0])})"
        )
    return out


def read_archive(
    path: str | os.PathLike[str], limits: CheckpointLimits
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The validated JSON spec and the raw arrays (float64, ``state_dict``-keyed) of a checkpoint file.

    Args:
        path: The file.
        limits: Size caps.

    Returns:
        ``(spec_dict, arrays)``; ``spec_dict`` has passed ``expected_raw_shapes`` and every array its shape.

    Raises:
        CheckpointError: any fault of the file, naming the member or field.
        OSError: the file cannot be opened (missing, a directory, no permission).
    """
    name = os.fspath(path)
    size = os.stat(name).st_size
    if size > limits.max_file_bytes:
        raise CheckpointError(
            f"{name}: expected a file of at most {limits.max_file_bytes} bytes (CheckpointLimits.max_file_bytes), "
            f"received {size}"
        )
    with open(name, "rb") as fh:
        head = fh.read(8)
        foreign = _foreign_format(name, head, None)
        if foreign:
            raise CheckpointError(foreign)
        fh.seek(0)
        try:
            with zipfile.ZipFile(fh) as zf:
                return _read_zip(name, zf, limits)
        except CheckpointError:
            raise
        except _MALFORMED as err:
            raise CheckpointError(f"{name}: not a readable polymix checkpoint ({type(err).__name__}: {err})") from err


def _read_zip(name: str, zf: zipfile.ZipFile, limits: CheckpointLimits) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    names = zf.namelist()
    foreign = _foreign_format(name, b"", names)
    if foreign:
        raise CheckpointError(foreign)
    if len(set(names)) != len(names):
        raise CheckpointError(f"{name}: expected unique archive members, received duplicates")
    if SPEC_MEMBER not in names:
        raise CheckpointError(
            f"{name}: expected a member {SPEC_MEMBER!r} (the model spec), received members {names[:8]}"
        )
    spec = _read_spec(zf, limits)
    if not isinstance(spec, dict) or spec.get("format") != CHECKPOINT_FORMAT:
        got = spec.get("format") if isinstance(spec, dict) else type(spec).__name__
        raise CheckpointError(f"spec field format: expected {CHECKPOINT_FORMAT!r}, received {got!r}")
    shapes = expected_raw_shapes(spec, limits)
    expected = {f"{k}.npy" for k in shapes}
    missing = sorted(expected - set(names))
    unknown = sorted(set(names) - expected - {SPEC_MEMBER})
    if missing or unknown:
        raise CheckpointError(
            f"{name}: expected exactly the members the spec names, received missing {missing[:8]}, "
            f"unknown {unknown[:8]}"
        )
    arrays = {key: _read_array(zf, f"{key}.npy", shape) for key, shape in shapes.items()}
    return spec, arrays
