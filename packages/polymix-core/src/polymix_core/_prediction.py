"""``Prediction``: the predictive distribution a backend's ``predict()`` returns, written once against the array API.

A prediction holds draws of the surrogate output ``f`` (epistemic) and, optionally, a description of the
observation noise (aleatoric): a Gaussian ``noise_std``, a variance ``noise_var`` for other noise models,
and draws ``observations`` of ``y`` from the predictive distribution. Every summary is computed in the
arrays' own namespace (numpy, torch, jax, ...: ``xp`` from array-api-compat), dtype and device.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from statistics import NormalDist
from typing import Any

from array_api_compat import array_namespace, device as array_device

from ._errors import PolymixTypeError, PolymixValueError, ShapeError
from ._normal import normal_cdf

__all__ = ["Prediction", "check_level", "check_probabilities"]

#: Elements of the largest ``(num_samples, rows, num_outputs)`` working array of the mixture CDF and of the
#: empirical CDF: the batch is processed in chunks of rows, so memory stays bounded for any batch size.
CHUNK_ELEMENTS = 1 << 18
#: Mixture quantiles are found to this fraction of the noise scale ``sqrt(mean_s noise_std_s^2)``.
QUANTILE_RTOL = 1e-6
#: At most this many root-finding steps, whatever the bracket (bisection alone halves it each step, so the
#: float64 mantissa is spent well before).
MAX_ROOT_STEPS = 200

_SHAPE = "(num_samples, batch_size, num_outputs)"
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _probability(name: str, item: Any) -> float:
    if isinstance(item, bool) or not (_is_real(item) or getattr(item, "ndim", None) == 0):
        raise PolymixTypeError(f"{name}: expected numbers in (0, 1), received {item!r} (type {type(item).__name__})")
    try:
        v = float(item)
    except (TypeError, ValueError):
        raise PolymixTypeError(
            f"{name}: expected numbers in (0, 1), received {item!r} (type {type(item).__name__})"
        ) from None
    if not 0.0 < v < 1.0:  # also rejects nan
        raise PolymixValueError(f"{name}: expected numbers strictly between 0 and 1, received {v!r}")
    return v


def check_probabilities(name: str, value: Any) -> tuple[list[float], bool]:
    """Check a probability or a sequence of probabilities, each strictly between 0 and 1.

    Args:
        name: Argument name used in the message.
        value: A real number (or 0-d array), or a non-empty sequence (list, tuple, 1-D array) of them.

    Returns:
        ``(values, scalar)``: the values as Python floats, and whether ``value`` was a single number.

    Example:
        >>> check_probabilities("q", 0.5)
        ([0.5], True)
        >>> check_probabilities("q", [0.1, 0.9])
        ([0.1, 0.9], False)
    """
    if _is_real(value) or getattr(value, "ndim", None) == 0:
        return [_probability(name, value)], True
    if isinstance(value, (str, bytes)):
        raise PolymixTypeError(f"{name}: expected a number in (0, 1) or a sequence of them, received {value!r}")
    try:
        items = list(value)
    except TypeError:
        raise PolymixTypeError(
            f"{name}: expected a number in (0, 1) or a sequence of them, received {value!r} "
            f"(type {type(value).__name__})"
        ) from None
    if not items:
        raise PolymixValueError(f"{name}: expected a non-empty sequence of numbers in (0, 1), received {value!r}")
    return [_probability(name, item) for item in items], False


def check_level(name: str, value: Any) -> float:
    """Check one nominal level (a probability strictly between 0 and 1) and return it as a float.

    Example:
        >>> check_level("level", 0.9)
        0.9
    """
    values, scalar = check_probabilities(name, value)
    if not scalar:
        raise PolymixTypeError(f"{name}: expected a single number in (0, 1), received {value!r}")
    return values[0]


def row_chunks(batch_size: int, row_elements: int, max_elements: int = CHUNK_ELEMENTS) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive row blocks holding at most ``max_elements`` (at least one row each)."""
    rows = max(1, max_elements // max(1, row_elements))
    for start in range(0, batch_size, rows):
        yield start, min(batch_size, start + rows)


def _namespace(name: str, *arrays: Any) -> Any:
    try:
        return array_namespace(*arrays)
    except TypeError as err:
        kinds = ", ".join(type(a).__name__ for a in arrays)
        raise PolymixTypeError(
            f"{name}: expected arrays of one array-API namespace (numpy, torch, jax, ...), received {kinds} ({err})"
        ) from None


def _as_float_array(name: str, value: Any, like: Any, xp: Any) -> Any:
    """``value`` as an array of ``like``'s namespace, dtype and device (a Python number is converted)."""
    if _is_real(value):
        return xp.asarray(float(value), dtype=like.dtype, device=array_device(like))
    xp_value = _namespace(name, like, value)
    if not xp_value.isdtype(value.dtype, "real floating"):
        raise PolymixTypeError(f"{name}: expected a real floating array, received dtype {value.dtype}")
    if array_device(value) != array_device(like):
        raise PolymixValueError(
            f"{name}: expected an array on the samples' device {array_device(like)}, received {array_device(value)}"
        )
    return value if value.dtype == like.dtype else xp.astype(value, like.dtype)


def _broadcastable(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    if len(shape) > len(target):
        return False
    return all(s in (1, t) for s, t in zip(shape[::-1], target[::-1]))


class Prediction:
    """Predictive distribution at ``batch_size`` points: surrogate draws and the observation noise.

    The epistemic part is ``samples``, draws of the surrogate output ``f``. The aleatoric part is one of:

    * ``noise_std``: Gaussian observation noise; the predictive distribution of an observation is the
      mixture ``mean_s N(f_s, noise_std_s^2)``, whose quantiles and CDF are computed exactly;
    * ``noise_var`` with ``observations``: any other noise model (e.g. Student-t) described by its variance;
      quantiles and CDF are then those of the ``observations``;
    * neither: the predictive distribution is that of ``f`` (quantiles and CDF of ``samples``, or of
      ``observations`` when given).

    ``observations`` are draws of ``y`` from the predictive distribution (backends pass them whenever a
    likelihood is given); the CRPS is estimated from them. A prediction is immutable and holds its arrays
    as given (no copy; arrays of another floating dtype are cast to the samples' dtype).

    Args:
        samples: ``(num_samples, batch_size, num_outputs)`` real floating array, every size at least 1.
        noise_std: Positive standard deviations broadcastable to ``(num_samples, batch_size, num_outputs)``
            (e.g. ``(num_outputs,)`` per output, or a full array for a heteroscedastic model), or a number.
        noise_var: Non-negative variances broadcastable like ``noise_std``, for non-Gaussian noise; needs
            ``observations``; excludes ``noise_std``.
        observations: ``(num_draws, batch_size, num_outputs)`` draws of ``y``.

    Raises:
        ShapeError: An array has the wrong rank or sizes; the message names it.
        PolymixTypeError: An argument is not a real floating array of the samples' namespace.
        PolymixValueError: Noise values out of range, ``noise_var`` without ``observations``, both noise
            arguments, or an array on another device.

    Example:
        >>> import numpy as np
        >>> p = Prediction(np.array([[[0.0]], [[2.0]]]), noise_std=np.array([1.0]))
        >>> p.mean.tolist(), p.epistemic_var.tolist(), p.aleatoric_var.tolist(), p.var.tolist()
        ([[1.0]], [[1.0]], [[1.0]], [[2.0]])
        >>> round(float(p.quantile(0.5)[0, 0]), 9), round(float(p.cdf(np.array([[1.0]]))[0, 0]), 9)
        (1.0, 0.5)
    """

    __slots__ = ("_samples", "_noise_std", "_noise_var", "_observations", "_xp")

    _samples: Any
    _noise_std: Any
    _noise_var: Any
    _observations: Any
    _xp: Any

    def __init__(self, samples: Any, *, noise_std: Any = None, noise_var: Any = None, observations: Any = None) -> None:
        xp = _namespace("samples", samples)
        if not xp.isdtype(samples.dtype, "real floating"):
            raise PolymixTypeError(f"samples: expected a real floating array, received dtype {samples.dtype}")
        shape = tuple(int(s) for s in samples.shape)
        if len(shape) != 3 or min(shape) < 1:
            raise ShapeError(
                f"samples: expected a 3-D array of shape {_SHAPE} with every size at least 1, received shape {shape}"
            )
        if noise_std is not None and noise_var is not None:
            raise PolymixValueError(
                "noise_std, noise_var: expected at most one of them (noise_std for Gaussian noise, noise_var "
                "for other noise models), received both"
            )
        noise_std = self._check_noise("noise_std", noise_std, samples, xp, positive=True)
        noise_var = self._check_noise("noise_var", noise_var, samples, xp, positive=False)
        if observations is not None:
            if _is_real(observations):
                raise PolymixTypeError("observations: expected an array, received a number")
            observations = _as_float_array("observations", observations, samples, xp)
            obs_shape = tuple(int(s) for s in observations.shape)
            if len(obs_shape) != 3 or obs_shape[0] < 1 or obs_shape[1:] != shape[1:]:
                raise ShapeError(
                    f"observations: expected a 3-D array of shape (num_draws, {shape[1]}, {shape[2]}) with "
                    f"num_draws >= 1, received shape {obs_shape}"
                )
        elif noise_var is not None:
            raise PolymixValueError(
                "noise_var: the predictive quantiles and CDF of non-Gaussian noise come from draws of y; "
                "expected observations=(num_draws, batch_size, num_outputs) with it, received observations=None"
            )
        for name, value in (
            ("_samples", samples),
            ("_noise_std", noise_std),
            ("_noise_var", noise_var),
            ("_observations", observations),
            ("_xp", xp),
        ):
            object.__setattr__(self, name, value)

    @staticmethod
    def _check_noise(name: str, value: Any, samples: Any, xp: Any, *, positive: bool) -> Any:
        """``value`` as a 3-D array (leading sizes 1 where broadcast) of the samples' dtype, or ``None``."""
        if value is None:
            return None
        value = _as_float_array(name, value, samples, xp)
        shape = tuple(int(s) for s in value.shape)
        target = tuple(int(s) for s in samples.shape)
        if not _broadcastable(shape, target):
            raise ShapeError(
                f"{name}: expected an array broadcastable to {_SHAPE} = {target} (e.g. ({target[2]},) per "
                f"output), received shape {shape}"
            )
        value = xp.reshape(value, (1,) * (3 - len(shape)) + shape)  # (1 | num_samples, 1 | batch, 1 | outputs)
        bad = ~xp.isfinite(value) | ((value <= 0) if positive else (value < 0))
        if bool(xp.any(bad)):
            what = "positive" if positive else "non-negative"
            raise PolymixValueError(
                f"{name}: expected finite {what} values, received a minimum of {float(xp.min(value))!r} "
                f"and {int(xp.sum(xp.astype(bad, xp.int32)))} value(s) out of range"
            )
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Prediction is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Prediction is immutable: cannot delete {name!r}")

    def __repr__(self) -> str:
        parts = [f"num_samples={self.num_samples}", f"batch_size={self.batch_size}", f"num_outputs={self.num_outputs}"]
        if self._noise_std is not None:
            parts.append(f"noise_std={tuple(int(s) for s in self._noise_std.shape)}")
        if self._noise_var is not None:
            parts.append(f"noise_var={tuple(int(s) for s in self._noise_var.shape)}")
        if self._observations is not None:
            parts.append(f"num_draws={int(self._observations.shape[0])}")
        parts.append(f"dtype={self._samples.dtype}")
        return f"Prediction({', '.join(parts)})"

    # ------------------------------------------------------------------ arrays and sizes

    @property
    def samples(self) -> Any:
        """``(num_samples, batch_size, num_outputs)`` draws of the surrogate output."""
        return self._samples

    @property
    def noise_std(self) -> Any:
        """Gaussian noise standard deviations as a 3-D array broadcastable to the samples, or ``None``."""
        return self._noise_std

    @property
    def noise_var(self) -> Any:
        """Variances of non-Gaussian noise as a 3-D array broadcastable to the samples, or ``None``."""
        return self._noise_var

    @property
    def observations(self) -> Any:
        """``(num_draws, batch_size, num_outputs)`` draws of ``y``, or ``None``."""
        return self._observations

    @property
    def xp(self) -> Any:
        """The array namespace of the arrays (array-api-compat)."""
        return self._xp

    @property
    def num_samples(self) -> int:
        """Number of surrogate draws."""
        return int(self._samples.shape[0])

    @property
    def batch_size(self) -> int:
        """Number of points."""
        return int(self._samples.shape[1])

    @property
    def num_outputs(self) -> int:
        """Number of outputs per point."""
        return int(self._samples.shape[2])

    # ------------------------------------------------------------------ moments

    def _full(self, value: Any) -> Any:
        """A ``(batch_size, num_outputs)`` array of ``value``'s broadcast, in a new array."""
        return self._xp.zeros_like(self._samples[0, ...]) + value

    @property
    def mean(self) -> Any:
        """``(batch_size, num_outputs)`` predictive mean: the mean of ``samples`` (zero-mean noise)."""
        return self._xp.mean(self._samples, axis=0)

    @property
    def epistemic_var(self) -> Any:
        """``(batch_size, num_outputs)`` variance of ``samples`` over the samples (``ddof=0``)."""
        return self._xp.var(self._samples, axis=0)

    @property
    def aleatoric_var(self) -> Any:
        """``(batch_size, num_outputs)`` mean over samples of ``noise_std ** 2``, or ``noise_var``, or 0."""
        xp = self._xp
        if self._noise_std is not None:
            return self._full(xp.mean(self._noise_std**2, axis=0))
        if self._noise_var is not None:
            return self._full(xp.mean(self._noise_var, axis=0))
        return self._full(0.0)

    @property
    def var(self) -> Any:
        """``(batch_size, num_outputs)`` predictive variance: ``epistemic_var + aleatoric_var``."""
        return self.epistemic_var + self.aleatoric_var

    @property
    def std(self) -> Any:
        """``(batch_size, num_outputs)`` predictive standard deviation."""
        return self._xp.sqrt(self.var)

    # ------------------------------------------------------------------ quantiles and CDF

    def _draws(self) -> Any:
        """The draws behind empirical quantiles and CDFs: ``observations`` when given, else ``samples``."""
        return self._samples if self._observations is None else self._observations

    def _noise_rows(self, start: int, stop: int) -> Any:
        """Rows ``start:stop`` of ``noise_std`` (kept whole where its batch axis is broadcast)."""
        sigma = self._noise_std
        return sigma if sigma.shape[1] == 1 else sigma[:, start:stop, :]

    def _chunks(self) -> Iterator[tuple[int, int]]:
        return row_chunks(self.batch_size, max(self.num_samples, int(self._draws().shape[0])) * self.num_outputs)

    def _mixture_cdf(self, t: Any, f: Any, sigma: Any) -> Any:
        """``mean_s Phi((t - f_s) / sigma_s)``: ``t (rows, num_outputs)``, ``f (num_samples, rows, num_outputs)``."""
        return self._xp.mean(normal_cdf((t - f) / sigma, self._xp), axis=0)  # (rows, num_outputs)

    def _mixture_quantiles(self, qs: list[float]) -> Any:
        """``(len(qs), batch_size, num_outputs)`` quantiles of ``mean_s N(f_s, sigma_s^2)``.

        Root finding on the mixture CDF, vectorised over points: a bracket ``[lo, hi]`` with
        ``F(lo) <= q <= F(hi)`` is kept and shrunk at every step; the next point is the Newton step
        ``t - (F(t) - q) / F'(t)`` when it falls strictly inside the bracket, else the bisection point
        ``(lo + hi) / 2`` (bisection safeguarded Newton). Steps stop when every point moved by less than
        ``QUANTILE_RTOL`` times its noise scale ``sqrt(mean_s sigma_s^2)`` (or than 2 ulps of its magnitude,
        when the dtype cannot resolve that).
        """
        xp = self._xp
        zs = [NormalDist().inv_cdf(q) for q in qs]
        eps = float(xp.finfo(self._samples.dtype).eps)
        out = []
        for start, stop in self._chunks():
            f = self._samples[:, start:stop, :]  # (num_samples, rows, num_outputs)
            sigma = self._noise_rows(start, stop)  # broadcastable to f
            inv_sigma = 1.0 / sigma
            noise_var = xp.mean(sigma**2, axis=0)  # (1 | rows, 1 | num_outputs)
            noise_tol = QUANTILE_RTOL * xp.sqrt(noise_var)
            mean = xp.mean(f, axis=0)  # (rows, num_outputs)
            std = xp.sqrt(xp.var(f, axis=0) + noise_var)  # the moment-matched Gaussian: the first guess
            block = []
            for q, z in zip(qs, zs):
                # Every component's CDF is <= q at the smallest component quantile and >= q at the largest,
                # so the mixture quantile lies between them.
                component = f + sigma * z  # (num_samples, rows, num_outputs)
                lo, hi = xp.min(component, axis=0), xp.max(component, axis=0)  # (rows, num_outputs)
                t = xp.clip(mean + std * z, min=lo, max=hi)
                # QUANTILE_RTOL of the noise scale, or a few ulps of the quantile where the dtype cannot resolve it
                tol = xp.maximum(noise_tol, (2.0 * eps) * xp.maximum(xp.abs(lo), xp.abs(hi)))
                if float(xp.max((hi - lo) / tol)) > 1.0:
                    for _ in range(MAX_ROOT_STEPS):
                        u = (t - f) * inv_sigma  # (num_samples, rows, num_outputs)
                        cdf = xp.mean(normal_cdf(u, xp), axis=0) - q  # F(t) - q, (rows, num_outputs)
                        pdf = xp.mean(xp.exp(-0.5 * u * u) * inv_sigma, axis=0) * _INV_SQRT_2PI
                        below = cdf < 0
                        lo = xp.where(below, t, lo)
                        hi = xp.where(below, hi, t)
                        # A Newton step shorter than the bracket (checked without dividing: no overflow).
                        newton_ok = xp.abs(cdf) < pdf * (hi - lo)
                        step = cdf / xp.where(newton_ok, pdf, xp.ones_like(pdf))
                        newton = t - step
                        # Strictly inside the bracket, so that it shrinks at every step (an endpoint would let
                        # rounding noise cycle between two points); a point that did not move stays.
                        newton_ok = newton_ok & (((newton > lo) & (newton < hi)) | (newton == t))
                        t_next = xp.where(newton_ok, newton, 0.5 * (lo + hi))
                        moved = float(xp.max(xp.abs(t_next - t) / tol))
                        t = t_next
                        if moved <= 1.0:
                            break
                block.append(t)
            out.append(xp.stack(block, axis=0))  # (len(qs), rows, num_outputs)
        return xp.concat(out, axis=1)  # (len(qs), batch_size, num_outputs)

    def _empirical_quantiles(self, qs: list[float]) -> Any:
        """``(len(qs), batch_size, num_outputs)``: numpy's default ``"linear"`` quantiles of the draws."""
        xp = self._xp
        draws = xp.sort(self._draws(), axis=0)  # (n, batch_size, num_outputs)
        n = int(draws.shape[0])
        out = []
        for q in qs:
            h = (n - 1) * q  # virtual index, as numpy's "linear" method
            lo = int(math.floor(h))
            hi = min(lo + 1, n - 1)
            g = h - lo
            a, b = draws[lo, ...], draws[hi, ...]  # (batch_size, num_outputs)
            diff = b - a
            out.append(a + diff * g if g < 0.5 else b - diff * (1.0 - g))  # numpy's two-sided lerp
        return xp.stack(out, axis=0)

    def _quantiles(self, qs: list[float]) -> Any:
        if self._noise_std is not None:
            return self._mixture_quantiles(qs)
        return self._empirical_quantiles(qs)

    def quantile(self, q: Any) -> Any:
        """Quantiles of the predictive distribution of an observation.

        With ``noise_std``, the exact quantile of the Gaussian mixture ``mean_s N(f_s, noise_std_s^2)``, by
        bisection safeguarded Newton steps on its CDF (vectorised over points, in row chunks of bounded
        memory), to ``1e-6`` of the noise scale ``sqrt(mean_s noise_std_s^2)``. Otherwise the linearly
        interpolated empirical quantile (numpy's default ``"linear"`` method) of ``observations`` when given,
        else of ``samples``.

        Args:
            q: A probability in (0, 1), or a non-empty sequence of them.

        Returns:
            ``(batch_size, num_outputs)`` for a single ``q``; ``(len(q), batch_size, num_outputs)`` for a
            sequence.

        Example:
            >>> import numpy as np
            >>> p = Prediction(np.arange(5.0).reshape(5, 1, 1))
            >>> p.quantile(0.5).tolist(), p.quantile([0.1, 0.9]).tolist()
            ([[2.0]], [[[0.4]], [[3.6]]])
        """
        qs, scalar = check_probabilities("q", q)
        out = self._quantiles(qs)
        return out[0, ...] if scalar else out

    def interval(self, level: Any) -> tuple[Any, Any]:
        """Central predictive interval: the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles.

        Args:
            level: Nominal coverage in (0, 1).

        Returns:
            ``(lower, upper)``, each ``(batch_size, num_outputs)``.

        Example:
            >>> import numpy as np
            >>> lower, upper = Prediction(np.zeros((3, 1, 1)), noise_std=1.0).interval(0.95)
            >>> round(float(lower[0, 0]), 5), round(float(upper[0, 0]), 5)
            (-1.95996, 1.95996)
        """
        level = check_level("level", level)
        bounds = self._quantiles([(1.0 - level) / 2.0, (1.0 + level) / 2.0])
        return bounds[0, ...], bounds[1, ...]

    def cdf(self, y: Any) -> Any:
        """Predictive CDF at observations: the probability integral transform (PIT) values.

        With ``noise_std``, the mixture CDF ``mean_s Phi((y - f_s) / noise_std_s)``. Otherwise the empirical
        CDF of ``observations`` (when given) or ``samples`` with mid-ranks for ties:
        ``(#{x < y} + #{x == y} / 2) / n``.

        Args:
            y: ``(batch_size, num_outputs)`` array of the samples' namespace (``(batch_size,)`` when
                ``num_outputs == 1``); finite.

        Returns:
            ``(batch_size, num_outputs)`` values in [0, 1].

        Example:
            >>> import numpy as np
            >>> p = Prediction(np.array([0.0, 1.0, 1.0, 2.0]).reshape(4, 1, 1))
            >>> p.cdf(np.array([[1.0]])).tolist()
            [[0.5]]
        """
        y = self.check_observed(y)
        xp = self._xp
        out = []
        for start, stop in self._chunks():
            t = y[start:stop, :]  # (rows, num_outputs)
            if self._noise_std is not None:
                out.append(self._mixture_cdf(t, self._samples[:, start:stop, :], self._noise_rows(start, stop)))
            else:
                x = self._draws()[:, start:stop, :]  # (n, rows, num_outputs)
                less = xp.sum(xp.astype(x < t, y.dtype), axis=0)
                equal = xp.sum(xp.astype(x == t, y.dtype), axis=0)
                out.append((less + 0.5 * equal) / float(x.shape[0]))
        return xp.concat(out, axis=0)

    def check_observed(self, y: Any, name: str = "y") -> Any:
        """Check observations ``y`` against this prediction and return them as ``(batch_size, num_outputs)``.

        Args:
            y: Finite ``(batch_size, num_outputs)`` array, or ``(batch_size,)`` when ``num_outputs == 1``; of
                the samples' namespace (or a numpy array / nested list, converted onto the samples' device).
            name: Argument name used in messages.

        Returns:
            ``y`` in the samples' dtype and namespace, shape ``(batch_size, num_outputs)``.

        Example:
            >>> import numpy as np
            >>> Prediction(np.zeros((2, 3, 1))).check_observed(np.array([1.0, 2.0, 3.0])).shape
            (3, 1)
        """
        xp = self._xp
        like = self._samples
        try:
            same = array_namespace(like, y) is xp
        except TypeError:
            same = False
        if not same:
            try:
                y = xp.asarray(y, dtype=like.dtype, device=array_device(like))
            except Exception as err:  # each framework raises its own type
                raise PolymixTypeError(
                    f"{name}: expected an array of the prediction's namespace, received {type(y).__name__} ({err})"
                ) from None
        elif not xp.isdtype(y.dtype, "real floating") and not xp.isdtype(y.dtype, "integral"):
            raise PolymixTypeError(f"{name}: expected a real array, received dtype {y.dtype}")
        if array_device(y) != array_device(like):
            raise PolymixValueError(
                f"{name}: expected an array on the prediction's device {array_device(like)}, received {array_device(y)}"
            )
        if y.dtype != like.dtype:
            y = xp.astype(y, like.dtype)
        shape = tuple(int(s) for s in y.shape)
        batch, outputs = self.batch_size, self.num_outputs
        if shape == (batch,) and outputs == 1:
            y = xp.reshape(y, (batch, 1))
        elif shape != (batch, outputs):
            also = " or (batch_size,) for one output" if outputs == 1 else ""
            raise ShapeError(
                f"{name}: expected a 2-D array of shape (batch_size, num_outputs) = ({batch}, {outputs}){also}, "
                f"received shape {shape}"
            )
        if not bool(xp.all(xp.isfinite(y))):
            raise PolymixValueError(f"{name}: expected finite values, received nan or inf")
        return y
