"""Generate the golden vectors of the polymix contract (``specs/golden/*.json``) from polymix-core.

Usage::

    python specs/generate_golden.py [--out DIR]

``DIR`` defaults to ``specs/golden`` next to this script. Regenerating changes nothing
unless polymix-core changes: ``packages/polymix-core/tests/test_golden.py`` regenerates
into a temporary folder and demands byte-identical files.

Reproducibility rules (see ``specs/README.md``, "Golden vectors"):

* Inputs (``x``, parameters, raw parameters, noise, ``theta``) are dyadic rationals
  (multiples of 1/16 or 1/32) chosen by a CRC-32 hash of the case id: no random number
  generator, exactly representable in float32 and float64, identical on every machine.
* Computed floats are rounded to 12 significant digits, so that last-bit differences of
  ``exp``/``log``/BLAS between CPUs and numpy builds do not change a byte of the files.
  Compare against them with a relative tolerance of at least ``1e-11``.
* JSON layout: keys sorted, indent 1, lists of scalars on one line, floats written as
  Python's shortest round-trip ``repr``; a trailing newline.

Only numpy and polymix-core are imported.
"""

from __future__ import annotations

import argparse
import json
import math
import zlib
from pathlib import Path
from typing import Any, Callable

import numpy as np
import polymix_core as pc
from polymix_core import reference as ref

FORMAT = "polymix-golden-v1"
SIGNIFICANT_DIGITS = 12
DEFAULT_OUT = Path(__file__).resolve().parent / "golden"


# --------------------------------------------------------------------------- helpers


def dyadic(key: str, shape: tuple[int, ...], lo: float = -1.0, hi: float = 1.0, steps: int = 64) -> np.ndarray:
    """Deterministic values on the grid ``lo + (hi - lo) * k / steps`` picked by CRC-32 of ``key``.

    With ``hi - lo`` and ``steps`` powers of two every value is an exact dyadic rational.
    """
    n = math.prod(shape)
    ks = [zlib.crc32(f"{key}:{i}".encode()) % (steps + 1) for i in range(n)]
    return np.array([lo + (hi - lo) * k / steps for k in ks], dtype=np.float64).reshape(shape)


def rounded(a: Any) -> Any:
    """Nested lists of floats rounded to ``SIGNIFICANT_DIGITS`` (``-0.0`` becomes ``0.0``)."""
    arr = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"non-finite golden value in {arr!r}")
    fmt = f".{SIGNIFICANT_DIGITS - 1}e"
    flat = [float(format(float(v), fmt)) + 0.0 for v in arr.ravel()]
    return np.array(flat, dtype=np.float64).reshape(arr.shape).tolist() if arr.ndim else flat[0]


def exact(a: Any) -> Any:
    """Nested lists of exactly representable inputs (no rounding; they are dyadic)."""
    return np.asarray(a, dtype=np.float64).tolist()


def slices_of(spec: Any) -> list[dict[str, Any]]:
    """The named slices of a surrogate spec as JSON objects."""
    return [{"name": s.name, "start": s.start, "stop": s.stop, "shape": list(s.shape)} for s in spec.slices]


def _scalar(v: Any) -> str:
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError(f"non-finite value {v!r}")
    return json.dumps(v)  # floats: float.__repr__, the shortest round-trip form


def dumps(obj: Any, level: int = 0) -> str:
    """JSON with sorted keys and indent 1; a list of scalars stays on one line."""
    pad, inner = " " * level, " " * (level + 1)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{inner}{json.dumps(str(k))}: {dumps(obj[k], level + 1)}" for k in sorted(obj)]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)):
        if not obj:
            return "[]"
        if all(not isinstance(v, (dict, list, tuple)) for v in obj):
            return "[" + ", ".join(_scalar(v) for v in obj) + "]"
        return "[\n" + ",\n".join(inner + dumps(v, level + 1) for v in obj) + "\n" + pad + "]"
    return _scalar(obj)


def document(description: str, cases: list[dict[str, Any]]) -> dict[str, Any]:
    """The common envelope of every golden file."""
    return {
        "format": FORMAT,
        "generator": "specs/generate_golden.py",
        "significant_digits": SIGNIFICANT_DIGITS,
        "description": description,
        "cases": cases,
    }


# --------------------------------------------------------------------------- index sets

INDEX_SET_TABLE: list[tuple[int, int, float]] = [
    (1, 0, 1.0),
    (1, 5, 1.0),
    (2, 3, 1.0),
    (3, 2, 1.0),
    (3, 3, 1.0),
    (4, 3, 1.0),
    (6, 4, 1.0),
    (10, 2, 1.0),
    (2, 4, 0.5),
    (3, 2, 0.5),
    (4, 3, 0.5),
    (4, 3, 0.75),
    (6, 4, 0.5),
    (6, 4, 0.75),
]


def index_sets() -> dict[str, Any]:
    """``index_sets.json``: multi-index sets for ``INDEX_SET_TABLE``."""
    cases = []
    for d, p, q in INDEX_SET_TABLE:
        idx = pc.total_order_indices(d, p) if q == 1.0 else pc.hyperbolic_cross_indices(d, p, q)
        cases.append(
            {
                "id": f"d{d}-p{p}" + ("" if q == 1.0 else f"-q{q}"),
                "num_inputs": d,
                "degree": p,
                "q": q,
                "num_terms": int(idx.shape[0]),
                "indices": idx.tolist(),
            }
        )
    return document(
        "PCE multi-index sets: total order (q = 1) or hyperbolic cross (q < 1), rows in the contract's order "
        "(total degree, then lexicographically ascending, first input slowest).",
        cases,
    )


# --------------------------------------------------------------------------- surrogate layouts

LAYOUT_TABLE: list[tuple[str, Any]] = [
    ("mlp-2-1-w8-d2", pc.MLPSpec(2, 1, width=8, depth=2)),
    ("mlp-1-1-defaults", pc.MLPSpec(1)),
    ("mlp-3-2-w4-d0", pc.MLPSpec(3, 2, width=4, depth=0)),
    ("mlp-5-3-w10-d3-tanh", pc.MLPSpec(5, 3, width=10, depth=3, activation="tanh")),
    ("pce-1-1-p5", pc.PCESpec(1, 1, degree=5)),
    ("pce-3-2-p2", pc.PCESpec(3, 2, degree=2)),
    ("pce-6-1-p4", pc.PCESpec(6, 1, degree=4)),
    ("pce-4-2-p3-q0.5", pc.PCESpec(4, 2, degree=3, q=0.5)),
    ("gating-1-3-w8", pc.GatingSpec(1, 3, width=8)),
    ("gating-2-4-w5-d2", pc.GatingSpec(2, 4, width=5, depth=2)),
    ("moe-2-mlp-w4", pc.MixtureSpec((pc.MLPSpec(1, 1, width=4),) * 2, pc.GatingSpec(1, 2))),
    (
        "moe-mlp-pce-mlp",
        pc.MixtureSpec(
            (pc.MLPSpec(2, 2, width=3), pc.PCESpec(2, 2, degree=3), pc.MLPSpec(2, 2, width=3)),
            pc.GatingSpec(2, 3, width=4),
        ),
    ),
]


def surrogate_layouts() -> dict[str, Any]:
    """``surrogate_layouts.json``: counts and slices for ``LAYOUT_TABLE``."""
    cases = []
    for case_id, spec in LAYOUT_TABLE:
        case: dict[str, Any] = {
            "id": case_id,
            "spec": spec.to_dict(),
            "num_params": spec.num_params,
            "slices": slices_of(spec),
        }
        if isinstance(spec, pc.PCESpec):
            case["num_terms"] = spec.num_terms
        if isinstance(spec, pc.MixtureSpec):
            case["expert_slices"] = [slices_of(e) for e in spec.experts]
            case["gating_slices"] = slices_of(spec.gating)
            case["expert_batches"] = [list(b) for b in spec.expert_batches]
        cases.append(case)
    return document(
        "Flat-parameter layouts: num_params and named [start, stop) slices with their shapes. "
        "Mixture slices are relative to the whole vector; expert_slices and gating_slices are relative "
        "to each block.",
        cases,
    )


# --------------------------------------------------------------------------- group layouts


def group_layouts() -> dict[str, Any]:
    """``group_layouts.json``: raw shapes, noise shapes, initial values and the ``raw_tril`` packing."""
    tril = []
    for d in range(1, 6):
        rows, cols = pc.tril_indices(d)
        spec = pc.GaussianGroupSpec(d)
        tril.append(
            {
                "id": f"tril-{d}",
                "num_params": d,
                "num_tril": spec.num_tril,
                "packed_positions": [[int(r), int(c)] for r, c in zip(rows, cols)],
                "diag_positions": spec.diag_positions.tolist(),
            }
        )
    score = pc.MLPSpec(3, 3, width=4)
    specs: list[tuple[str, Any]] = [
        ("deterministic-3", pc.DeterministicGroupSpec(3)),
        ("iid-4", pc.IIDGaussianGroupSpec(4)),
        ("gaussian-3", pc.GaussianGroupSpec(3)),
        ("gaussian-2-scale0.5-jitter1e-4", pc.GaussianGroupSpec(2, init_scale_diag=0.5, jitter=1e-4)),
        ("lowrank-8-r3", pc.LowRankGaussianGroupSpec(8, rank=3)),
        (
            "langevin-3-score",
            pc.LangevinGroupSpec(
                3,
                mode="score",
                surrogate_num_inputs=3,
                surrogate_num_outputs=3,
                surrogate_num_params=score.num_params,
                num_diffusion_steps=4,
                surrogate=score,
            ),
        ),
    ]
    groups = []
    for case_id, spec in specs:
        groups.append(
            {
                "id": case_id,
                "spec": spec.to_dict(),
                "raw_shapes": [[name, list(shape)] for name, shape in spec.raw_shapes.items()],
                "noise_shape": list(spec.noise_shape),
                "initial": [
                    [name, {"constant": rounded(init.constant), "noise_scale": init.noise_scale}]
                    for name, init in spec.initial.items()
                ],
            }
        )
    doc = document(
        "Group raw-parameter layouts: raw_shapes in state_dict order, per-sample noise_shape, initial values "
        "(constant + noise_scale * N(0, 1)); tril: the packing order of raw_tril, (row, col) per packed entry.",
        groups,
    )
    doc["tril"] = tril
    return doc


# --------------------------------------------------------------------------- forward maps

FORWARD_TABLE: list[tuple[str, Any]] = [
    ("mlp-2-1-w8-d2-relu", pc.MLPSpec(2, 1, width=8, depth=2)),
    ("mlp-3-2-w4-d0", pc.MLPSpec(3, 2, width=4, depth=0)),
    *[
        (f"mlp-1-2-w3-d1-{a}", pc.MLPSpec(1, 2, width=3, depth=1, activation=a))
        for a in sorted(ref.ACTIVATION_FUNCTIONS)
    ],
    ("pce-1-1-p5", pc.PCESpec(1, 1, degree=5)),
    ("pce-3-2-p2", pc.PCESpec(3, 2, degree=2)),
    ("pce-2-1-p4-q0.5", pc.PCESpec(2, 1, degree=4, q=0.5)),
    ("gating-1-3-w8", pc.GatingSpec(1, 3, width=8)),
    ("moe-2-mlp-w4", pc.MixtureSpec((pc.MLPSpec(1, 1, width=4),) * 2, pc.GatingSpec(1, 2, width=4))),
    (
        "moe-mlp-pce",
        pc.MixtureSpec(
            (pc.MLPSpec(2, 2, width=3, activation="tanh"), pc.PCESpec(2, 2, degree=2)), pc.GatingSpec(2, 2, width=3)
        ),
    ),
]


def forward_maps() -> dict[str, Any]:
    """``forward.json``: reference outputs for ``FORWARD_TABLE``."""
    cases = []
    for case_id, spec in FORWARD_TABLE:
        x = dyadic(f"{case_id}/x", (4, spec.num_inputs))
        params = dyadic(f"{case_id}/params", (2, spec.num_params), -2.0, 2.0)
        case: dict[str, Any] = {
            "id": case_id,
            "spec": spec.to_dict(),
            "x": exact(x),
            "params": exact(params),
            "output": rounded(ref.forward(spec, x, params)),
        }
        if isinstance(spec, pc.MixtureSpec):
            case["expert_outputs"] = rounded(ref.expert_outputs(spec, x, params))
            case["gating_weights"] = rounded(ref.gating_weights(spec, x, params))
        cases.append(case)
    return document(
        "Reference forward maps: output[s, b, o] = f(x[b], params[s])[o], shape (num_samples, batch_size, "
        "num_outputs); mixtures also give expert_outputs (num_samples, num_experts, batch_size, num_outputs) "
        "and gating_weights (num_samples, batch_size, num_experts).",
        cases,
    )


# --------------------------------------------------------------------------- groups: sampling, densities, KL


def _raw_for(case_id: str, spec: Any) -> dict[str, np.ndarray]:
    raw = {}
    for name, shape in spec.raw_shapes.items():
        lo, hi = (-1.0, 0.0) if name == "log_std" else (-1.0, 1.0)
        raw[name] = dyadic(f"{case_id}/{name}", shape, lo, hi, steps=32)
    return raw


GROUP_TABLE: list[tuple[str, Any]] = [
    ("deterministic-3", pc.DeterministicGroupSpec(3)),
    ("iid-4", pc.IIDGaussianGroupSpec(4)),
    ("gaussian-1", pc.GaussianGroupSpec(1)),
    ("gaussian-3", pc.GaussianGroupSpec(3)),
    ("gaussian-3-jitter1e-2", pc.GaussianGroupSpec(3, jitter=1e-2)),
    ("lowrank-4-r2", pc.LowRankGaussianGroupSpec(4, rank=2)),
    ("lowrank-3-r3", pc.LowRankGaussianGroupSpec(3, rank=3, jitter=1e-3)),
]


def _raw_json(raw: dict[str, np.ndarray]) -> list[list[Any]]:
    return [[name, exact(value)] for name, value in raw.items()]


def sample_transforms() -> dict[str, Any]:
    """``sample_transform.json``: samples, moments and log-densities for ``GROUP_TABLE``."""
    cases = []
    for case_id, spec in GROUP_TABLE:
        raw = _raw_for(case_id, spec)
        noise = dyadic(f"{case_id}/noise", (3, *spec.noise_shape), -2.0, 2.0)
        samples = ref.sample_transform(spec, raw, noise)
        case: dict[str, Any] = {
            "id": case_id,
            "spec": spec.to_dict(),
            "raw": _raw_json(raw),
            "noise": exact(noise),
            "samples": rounded(samples),
        }
        if not isinstance(spec, pc.DeterministicGroupSpec):
            mean, cov = ref.moments(spec, raw)
            theta = dyadic(f"{case_id}/theta", (3, spec.num_params), -2.0, 2.0)
            case["mean"] = rounded(mean)
            case["covariance"] = rounded(cov)
            case["theta"] = exact(theta)
            case["log_prob"] = rounded(ref.log_prob(spec, raw, theta))
        if isinstance(spec, pc.GaussianGroupSpec):
            case["scale_tril"] = rounded(ref.scale_tril(spec, raw["raw_tril"]))
        cases.append(case)
    return document(
        "Noise -> sample transforms of every reparameterisable family: samples (num_samples, num_params) from "
        "noise (num_samples, *noise_shape) and the raw parameters (state_dict order); Gaussian families also "
        "give their mean, covariance and log_prob at theta.",
        cases,
    )


def _priors(d: int) -> list[tuple[str, Any]]:
    L = np.tril(dyadic(f"prior-L-{d}", (d, d), -0.5, 0.5, steps=16))
    L[np.arange(d), np.arange(d)] = 1.0 + np.abs(np.diag(L))
    return [
        ("iid-standard", pc.IIDGaussianPriorSpec()),
        ("iid-scalar", pc.IIDGaussianPriorSpec(0.5, 2.0)),
        (
            "iid-vector",
            pc.IIDGaussianPriorSpec(dyadic(f"prior-m-{d}", (d,)), 0.5 + np.abs(dyadic(f"prior-s-{d}", (d,)))),
        ),
        ("gaussian-scale-tril", pc.GaussianPriorSpec(dyadic(f"prior-m-{d}", (d,)), scale_tril=L)),
        ("gaussian-covariance", pc.GaussianPriorSpec(np.zeros(d), covariance_matrix=L @ L.T)),
        ("laplace-scalar", pc.LaplacePriorSpec(0.0, 0.5)),
        (
            "laplace-vector",
            pc.LaplacePriorSpec(dyadic(f"prior-l-{d}", (d,)), 0.25 + np.abs(dyadic(f"prior-b-{d}", (d,)))),
        ),
    ]


def prior_densities() -> dict[str, Any]:
    """``prior_log_prob.json``: prior log-densities."""
    cases = []
    for d in (1, 3):
        theta = dyadic(f"prior-theta-{d}", (4, d), -2.0, 2.0)
        for prior_id, prior in _priors(d):
            cases.append(
                {
                    "id": f"{prior_id}-{d}",
                    "prior": prior.to_dict(),
                    "num_params": d,
                    "theta": exact(theta),
                    "log_prob": rounded(ref.prior_log_prob(prior, theta)),
                }
            )
    return document("Prior log-densities log p(theta) at theta (n, num_params): (n,).", cases)


def kl_values() -> dict[str, Any]:
    """``kl.json``: analytic KLs of every Gaussian family against every Gaussian prior."""
    cases = []
    for case_id, spec in GROUP_TABLE:
        if isinstance(spec, pc.DeterministicGroupSpec):
            continue
        raw = _raw_for(case_id, spec)
        for prior_id, prior in _priors(spec.num_params):
            if isinstance(prior, pc.LaplacePriorSpec):
                continue  # no closed form: Monte Carlo, not a golden value
            cases.append(
                {
                    "id": f"{case_id}|{prior_id}",
                    "spec": spec.to_dict(),
                    "raw": _raw_json(raw),
                    "prior": prior.to_dict(),
                    "kl": rounded(ref.kl_divergence(spec, raw, prior)),
                }
            )
    return document(
        "Analytic KL(q || p) of each Gaussian family (raw parameters in state_dict order) against IID and "
        "full-covariance Gaussian priors.",
        cases,
    )


def langevin_trajectories() -> dict[str, Any]:
    """``langevin.json``: Langevin trajectories driven by an MLP and a PCE score."""
    cases = []
    for case_id, surrogate in [
        ("score-mlp-2", pc.MLPSpec(2, 2, width=3, activation="tanh")),
        ("score-pce-2", pc.PCESpec(2, 2, degree=2)),
    ]:
        spec = pc.LangevinGroupSpec(
            2,
            mode="score",
            surrogate_num_inputs=2,
            surrogate_num_outputs=2,
            surrogate_num_params=surrogate.num_params,
            num_particles=3,
            num_diffusion_steps=4,
            step_size=0.0625,
            surrogate=surrogate,
        )
        params = dyadic(f"{case_id}/surrogate_params", (surrogate.num_params,), -0.5, 0.5)
        theta0 = dyadic(f"{case_id}/theta0", (spec.num_particles, 2))
        noise = dyadic(f"{case_id}/noise", (spec.num_diffusion_steps, spec.num_particles, 2), -2.0, 2.0)

        def score(t: np.ndarray, surrogate: Any = surrogate, params: np.ndarray = params) -> np.ndarray:
            return ref.forward(surrogate, t, params[None, :])[0]

        traj = ref.langevin_trajectory(score, theta0, noise, spec.step_size)
        cases.append(
            {
                "id": case_id,
                "spec": spec.to_dict(),
                "raw": [["surrogate_params", exact(params)]],
                "theta0": exact(theta0),
                "noise": exact(noise),
                "trajectory": rounded(traj),
            }
        )
    return document(
        "Unadjusted Langevin trajectories theta_{k+1} = theta_k + h s(theta_k) + sqrt(2 h) noise[k] with the score "
        "s(theta) = surrogate(theta, surrogate_params): shape (num_steps + 1, num_particles, num_params), row 0 "
        "being theta0.",
        cases,
    )


GOLDEN_FILES: dict[str, Callable[[], dict[str, Any]]] = {
    "index_sets.json": index_sets,
    "surrogate_layouts.json": surrogate_layouts,
    "group_layouts.json": group_layouts,
    "forward.json": forward_maps,
    "sample_transform.json": sample_transforms,
    "prior_log_prob.json": prior_densities,
    "kl.json": kl_values,
    "langevin.json": langevin_trajectories,
}


def render(name: str) -> str:
    """The exact text of one golden file."""
    return dumps(GOLDEN_FILES[name]()) + "\n"


def write_all(out: Path) -> list[Path]:
    """Write every golden file into ``out`` (created if needed); return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in GOLDEN_FILES:
        path = out / name
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(render(name))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    for path in write_all(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
