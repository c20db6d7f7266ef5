"""Predictive metrics, written once against the array API.

Every metric takes a :class:`~polymix_core.Prediction` (or a ``(num_samples, batch_size, num_outputs)``
samples array, read as ``Prediction(samples)``) and observations ``y`` of shape ``(batch_size, num_outputs)``
(``(batch_size,)`` when there is one output) in the prediction's namespace. Scalar metrics are Python floats:
the mean over points and outputs. Arrays are returned in the prediction's namespace, dtype and device.

Coverage of central intervals: with Gaussian noise (``noise_std``) the predictive CDF ``F`` is continuous
and strictly increasing, so ``y`` lies in ``[Q((1 - a) / 2), Q((1 + a) / 2)]`` exactly when
``(1 - a) / 2 <= F(y) <= (1 + a) / 2``; coverages are then computed from the PIT values (one CDF
evaluation instead of two quantile searches per level). Otherwise the interval's empirical quantiles are
compared with ``y`` directly.
"""

from __future__ import annotations

from typing import Any

from array_api_compat import device as _device

from ._errors import PolymixTypeError, PolymixValueError
from ._normal import normal_logpdf
from ._prediction import Prediction, check_level, check_probabilities, row_chunks

__all__ = [
    "CALIBRATION_LEVELS",
    "CRPS_ESTIMATORS",
    "calibration_curve",
    "calibration_error",
    "coverage",
    "coverages",
    "crps",
    "evaluate",
    "gaussian_nll",
    "mae",
    "pit",
    "rmse",
    "sharpness",
]

#: The default grid of nominal levels of ``calibration_error`` and ``calibration_curve``: 0.05, 0.10, ..., 0.95.
CALIBRATION_LEVELS: tuple[float, ...] = tuple(round(0.05 * k, 2) for k in range(1, 20))
#: Estimators of ``crps``: ``"nrg"`` (the CRPS of the empirical distribution) and ``"fair"`` (unbiased).
CRPS_ESTIMATORS = ("nrg", "fair")
_LEVELS = (0.5, 0.9, 0.95)


def _as_prediction(prediction: Any) -> Prediction:
    if isinstance(prediction, Prediction):
        return prediction
    if hasattr(prediction, "shape") and hasattr(prediction, "dtype"):
        return Prediction(prediction)
    raise PolymixTypeError(
        "prediction: expected a Prediction or a (num_samples, batch_size, num_outputs) samples array, "
        f"received {type(prediction).__name__}"
    )


def _prepare(prediction: Any, y: Any) -> tuple[Prediction, Any]:
    prediction = _as_prediction(prediction)
    return prediction, prediction.check_observed(y)


def _levels(levels: Any) -> list[float]:
    values, _ = check_probabilities("levels", levels)
    return values


def _covered(prediction: Prediction, y: Any, levels: list[float]) -> Any:
    """``(len(levels), batch_size, num_outputs)`` booleans: ``y`` inside each central interval."""
    xp = prediction.xp
    if prediction.noise_std is not None:  # continuous, strictly increasing CDF: compare PIT values
        u = prediction.cdf(y)
        return xp.stack([(u >= (1.0 - a) / 2.0) & (u <= (1.0 + a) / 2.0) for a in levels], axis=0)
    qs = [p for a in levels for p in ((1.0 - a) / 2.0, (1.0 + a) / 2.0)]
    bounds = prediction.quantile(qs)  # (2 * len(levels), batch_size, num_outputs)
    return (y >= bounds[0::2, ...]) & (y <= bounds[1::2, ...])


def _coverage_fractions(prediction: Prediction, y: Any, levels: list[float]) -> list[float]:
    """Fractions of points and outputs inside each central interval (exact counts over their number)."""
    xp = prediction.xp
    inside = xp.astype(_covered(prediction, y, levels), xp.int32)  # (len(levels), batch_size, num_outputs)
    counts = xp.sum(xp.reshape(inside, (len(levels), -1)), axis=1)
    total = prediction.batch_size * prediction.num_outputs
    return [int(counts[i]) / total for i in range(len(levels))]


def rmse(prediction: Any, y: Any) -> float:
    """Root mean squared error of the predictive mean.

    Args:
        prediction: A ``Prediction`` (or a samples array).
        y: ``(batch_size, num_outputs)`` observations.

    Returns:
        ``sqrt(mean((mean - y)^2))`` over points and outputs.

    Example:
        >>> import numpy as np
        >>> rmse(np.array([[[1.0], [2.0]]]), np.array([[0.0], [0.0]]))  # sqrt((1 + 4) / 2)
        1.5811388300841898
    """
    prediction, y = _prepare(prediction, y)
    xp = prediction.xp
    return float(xp.sqrt(xp.mean((prediction.mean - y) ** 2)))


def mae(prediction: Any, y: Any) -> float:
    """Mean absolute error of the predictive mean.

    Args:
        prediction: A ``Prediction`` (or a samples array).
        y: ``(batch_size, num_outputs)`` observations.

    Returns:
        ``mean(|mean - y|)`` over points and outputs.

    Example:
        >>> import numpy as np
        >>> mae(np.array([[[1.0], [-2.0]]]), np.array([[0.0], [0.0]]))
        1.5
    """
    prediction, y = _prepare(prediction, y)
    xp = prediction.xp
    return float(xp.mean(xp.abs(prediction.mean - y)))


def gaussian_nll(prediction: Any, y: Any) -> float:
    """Gaussian negative log-likelihood with the predictive mean and variance.

    ``0.5 log(2 pi var) + (y - mean)^2 / (2 var)``, averaged over points and outputs, where ``var`` is
    ``prediction.var`` (epistemic plus aleatoric). No variance floor is added.

    Args:
        prediction: A ``Prediction`` (or a samples array).
        y: ``(batch_size, num_outputs)`` observations.

    Returns:
        The mean negative log-density.

    Raises:
        PolymixValueError: The predictive variance is not positive everywhere (e.g. a single sample, or
            identical samples, and no noise).

    Example:
        >>> import numpy as np
        >>> round(gaussian_nll(np.array([[[-1.0]], [[1.0]]]), np.array([[0.0]])), 12)  # N(0, 1) at 0
        0.918938533205
    """
    prediction, y = _prepare(prediction, y)
    xp = prediction.xp
    var = prediction.var
    if not bool(xp.all(var > 0)):
        raise PolymixValueError(
            "prediction: the Gaussian NLL needs a positive predictive variance at every point and output, "
            f"received a minimum of {float(xp.min(var))!r} (one sample or identical samples without noise?)"
        )
    return float(-xp.mean(normal_logpdf(y, prediction.mean, var, xp)))


def crps(prediction: Any, y: Any, *, estimator: str = "nrg") -> float:
    """Continuous ranked probability score, estimated from draws.

    The draws are ``prediction.observations`` when given (draws of ``y`` from the predictive
    distribution: noise included), else ``prediction.samples``. For draws ``x_1 .. x_n`` at a point,
    sorted as ``x_(1) <= .. <= x_(n)``:

    * ``"nrg"`` (energy form; scoringrules' ``estimator="nrg"``): the CRPS of the empirical distribution,
      ``mean_i |x_i - y| - 1/(2 n^2) sum_ij |x_i - x_j|``;
    * ``"fair"`` (scoringrules' ``estimator="fair"``): unbiased for the CRPS of the distribution the draws
      come from, ``mean_i |x_i - y| - 1/(2 n (n - 1)) sum_ij |x_i - x_j|`` (needs ``n >= 2``).

    ``sum_ij |x_i - x_j| = 2 sum_i (2 i - n - 1) x_(i)``, so the cost is one sort per point,
    ``O(n log n)``, never the ``n^2`` pairs.

    Args:
        prediction: A ``Prediction`` (or a samples array).
        y: ``(batch_size, num_outputs)`` observations.
        estimator: ``"nrg"`` or ``"fair"``.

    Returns:
        The mean CRPS over points and outputs (in the units of ``y``).

    Example:
        >>> import numpy as np
        >>> crps(np.array([[[0.0]], [[1.0]]]), np.array([[0.0]]))  # 1/2 - 1/(2 * 4) * 2
        0.25
    """
    if estimator not in CRPS_ESTIMATORS:
        raise PolymixValueError(f"estimator: expected one of {CRPS_ESTIMATORS}, received {estimator!r}")
    prediction, y = _prepare(prediction, y)
    xp = prediction.xp
    draws = prediction.samples if prediction.observations is None else prediction.observations
    n = int(draws.shape[0])
    if estimator == "fair" and n < 2:
        raise PolymixValueError(f"estimator: 'fair' needs at least 2 draws, received {n}")
    pair_norm = float(n * n) if estimator == "nrg" else float(n * (n - 1))
    # (2 i - n - 1) for i = 1 .. n, as (n, 1, 1): weights of the sorted draws
    weights = xp.reshape(2.0 * xp.arange(1, n + 1, dtype=y.dtype, device=_device(y)) - (n + 1), (n, 1, 1))
    total = xp.zeros((), dtype=y.dtype, device=_device(y))
    for start, stop in row_chunks(prediction.batch_size, n * prediction.num_outputs):
        x = draws[:, start:stop, :]  # (n, rows, num_outputs)
        t = y[start:stop, :]
        absolute = xp.mean(xp.abs(x - t), axis=0)  # E|X - y|, (rows, num_outputs)
        spread = xp.sum(weights * xp.sort(x, axis=0), axis=0)  # sum_ij |x_i - x_j| / 2
        total = total + xp.sum(absolute - spread / pair_norm)
    return float(total) / (prediction.batch_size * prediction.num_outputs)


def coverage(prediction: Any, y: Any, level: float) -> float:
    """Fraction of observations inside the central predictive interval ``prediction.interval(level)``.

    Args:
        prediction: A ``Prediction`` (or a samples array).
        y: ``(batch_size, num_outputs)`` observations.
        level: Nominal coverage in (0, 1).

    Returns:
        The observed coverage over points and outputs (bounds included).

    Example:
        >>> import numpy as np
        >>> samples = np.arange(11.0).reshape(11, 1, 1) * np.ones((1, 4, 1))  # 0, 1, ..., 10 at 4 points
        >>> coverage(samples, np.array([0.2, 5.0, 9.0, 9.8]), 0.8)  # interval [1, 9]
        0.5
    """
    prediction, y = _prepare(prediction, y)
    return _coverage_fractions(prediction, y, [check_level("level", level)])[0]


def coverages(prediction: Any, y: Any, levels: Any = _LEVELS) -> dict[float, float]:
    """Observed coverage of the central intervals at several nominal levels.

    Args:
        prediction: A ``Prediction`` (or a samples array).
        y: ``(batch_size, num_outputs)`` observations.
        levels: Nominal levels in (0, 1).

    Returns:
        ``{level: observed coverage}``.

    Example:
        >>> import numpy as np
        >>> samples = np.arange(11.0).reshape(11, 1, 1) * np.ones((1, 4, 1))
        >>> coverages(samples, np.array([0.2, 5.0, 9.0, 9.8]), levels=(0.2, 0.8))
        {0.2: 0.25, 0.8: 0.5}
    """
    prediction, y = _prepare(prediction, y)
    values = _levels(levels)
    fractions = _coverage_fractions(prediction, y, values)
    return dict(zip(values, fractions))


def pit(prediction: Any, y: Any) -> Any:
    """Probability integral transform values ``F(y)``: ``prediction.cdf(y)``.

    Args:
        prediction: A ``Prediction`` (or a samples array).
        y: ``(batch_size, num_outputs)`` observations.

    Returns:
        ``(batch_size, num_outputs)`` array of the prediction's namespace; uniform on [0, 1] for a
        calibrated prediction.

    Example:
        >>> import numpy as np
        >>> pit(np.arange(4.0).reshape(4, 1, 1), np.array([[1.5]])).tolist()
        [[0.5]]
    """
    prediction, y = _prepare(prediction, y)
    return prediction.cdf(y)


def calibration_curve(prediction: Any, y: Any, levels: Any = CALIBRATION_LEVELS) -> tuple[Any, Any]:
    """Nominal against observed coverage of central intervals, for reliability plots.

    Args:
        prediction: A ``Prediction`` (or a samples array).
        y: ``(batch_size, num_outputs)`` observations.
        levels: Nominal levels in (0, 1); by default ``CALIBRATION_LEVELS`` (0.05, 0.10, ..., 0.95).

    Returns:
        ``(nominal, observed)``, each ``(len(levels),)`` in the prediction's namespace and dtype.

    Example:
        >>> import numpy as np
        >>> samples = np.arange(11.0).reshape(11, 1, 1) * np.ones((1, 4, 1))
        >>> nominal, observed = calibration_curve(samples, np.array([0.2, 5.0, 9.0, 9.8]), levels=(0.2, 0.8))
        >>> nominal.tolist(), observed.tolist()
        ([0.2, 0.8], [0.25, 0.5])
    """
    prediction, y = _prepare(prediction, y)
    values = _levels(levels)
    xp = prediction.xp
    nominal = xp.asarray(values, dtype=y.dtype, device=_device(y))
    observed = xp.asarray(_coverage_fractions(prediction, y, values), dtype=y.dtype, device=_device(y))
    return nominal, observed


def calibration_error(prediction: Any, y: Any, levels: Any = CALIBRATION_LEVELS) -> float:
    """Mean absolute difference between nominal and observed coverage of central intervals.

    Args:
        prediction: A ``Prediction`` (or a samples array).
        y: ``(batch_size, num_outputs)`` observations.
        levels: Nominal levels in (0, 1); by default ``CALIBRATION_LEVELS`` (0.05, 0.10, ..., 0.95).

    Returns:
        ``mean_k |levels_k - coverage(levels_k)|``, in [0, 1]; 0 for perfect calibration.

    Example:
        >>> import numpy as np
        >>> samples = np.arange(11.0).reshape(11, 1, 1) * np.ones((1, 4, 1))
        >>> round(calibration_error(samples, np.array([0.2, 5.0, 9.0, 9.8]), levels=(0.2, 0.8)), 12)
        0.175
    """
    prediction, y = _prepare(prediction, y)
    values = _levels(levels)
    fractions = _coverage_fractions(prediction, y, values)
    return sum(abs(a - fraction) for a, fraction in zip(values, fractions)) / len(values)


def sharpness(prediction: Any, level: float = 0.9) -> float:
    """Mean width of the central predictive interval at ``level``.

    Args:
        prediction: A ``Prediction`` (or a samples array).
        level: Nominal coverage in (0, 1).

    Returns:
        ``mean(upper - lower)`` over points and outputs.

    Example:
        >>> import numpy as np
        >>> sharpness(np.arange(11.0).reshape(11, 1, 1), 0.5)  # [2.5, 7.5]
        5.0
    """
    prediction = _as_prediction(prediction)
    lower, upper = prediction.interval(level)
    return float(prediction.xp.mean(upper - lower))


def _coverage_key(level: float) -> str:
    return f"coverage_{100.0 * level:g}"


def evaluate(prediction: Any, y: Any, levels: Any = _LEVELS) -> dict[str, float]:
    """Every metric at once.

    Args:
        prediction: A ``Prediction`` (or a samples array).
        y: ``(batch_size, num_outputs)`` observations.
        levels: Nominal levels of the reported coverages.

    Returns:
        ``{"rmse", "mae", "nll", "crps", "coverage_50", "coverage_90", "coverage_95", "calibration_error",
        "sharpness_90"}`` for the default levels (one ``coverage_<100 level>`` key per level).

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> result = evaluate(rng.normal(size=(200, 50, 1)), rng.normal(size=(50, 1)))
        >>> sorted(result)  # doctest: +NORMALIZE_WHITESPACE
        ['calibration_error', 'coverage_50', 'coverage_90', 'coverage_95', 'crps', 'mae', 'nll', 'rmse',
         'sharpness_90']
    """
    prediction, y = _prepare(prediction, y)
    values = _levels(levels)
    result = {
        "rmse": rmse(prediction, y),
        "mae": mae(prediction, y),
        "nll": gaussian_nll(prediction, y),
        "crps": crps(prediction, y),
    }
    fractions = _coverage_fractions(prediction, y, values)
    result.update({_coverage_key(level): fraction for level, fraction in zip(values, fractions)})
    result["calibration_error"] = calibration_error(prediction, y)
    result["sharpness_90"] = sharpness(prediction, 0.9)
    return result
