"""``LangevinGroup``: an implicit posterior sampled by unadjusted Langevin dynamics (``lax.scan``)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpyro.distributions as dist
from jax import lax
from polymix_core import (
    ConfigurationError,
    DistributionUnavailableError,
    LangevinGroupSpec,
    PolymixTypeError,
    ShapeError,
    SpecAttribute,
    check_positive_int,
    langevin_spec_for,
)
from polymix_core.defaults import INIT_STD, KL_NUM_MC_SAMPLES, NUM_DIFFUSION_STEPS, NUM_PARTICLES, STEP_SIZE

from .._validation import PRNGKey, as_float_array, check_key
from ..priors import Prior
from ..surrogate_models import SurrogateModel
from ._base import ParameterGroup, initial_raw

__all__ = ["LangevinGroup"]


class LangevinGroup(ParameterGroup):
    """Parameter group based on unadjusted Langevin dynamics.

    The group learns a score model ``s(theta)`` (or an energy model ``E(theta)``, a
    log-density surrogate with ``s = grad E``) and generates samples by iterating

    ``theta_{k+1} = theta_k + step_size * s(theta_k) + sqrt(2 * step_size) * xi_k``,
    ``xi_k ~ Normal(0, I)``, from ``theta_0 ~ init_std * Normal(0, I)``.

    The score surrogate's flat parameters ``surrogate_params`` (start ``0.01 * N(0, 1)``,
    so ``key`` is required) are the group's only trainable array. The steps run in one
    ``lax.scan``.

    Difference from torch: a jax module keeps no mutable state, so this group does not
    cache the particles of the last ``sample_parameters`` call. ``distribution_loss(key=...)``
    runs the dynamics afresh with its own key and returns ``-mean log p(theta)`` over
    ``num_particles`` new particles (torch reuses the latest particles).

    Args:
        name: Friendly identifier.
        num_params: Number of scalar parameters ``d``.
        score_model: Surrogate with ``num_inputs == num_outputs == num_params``.
        energy_model: Surrogate with ``num_inputs == num_params`` and ``num_outputs == 1``
            (exactly one of ``score_model`` and ``energy_model``).
        prior: Prior (default ``IIDGaussianPrior(0, 1)``).
        num_particles: Default number of particles.
        num_diffusion_steps: Number of Langevin steps.
        step_size: Step size ``h > 0``.
        init_std: Standard deviation of the initial particles.
        key: PRNG key for the random initial ``surrogate_params``.

    Example:
        >>> import jax
        >>> from polymix_jax.surrogate_models import NeuralNetwork
        >>> k1, k2 = jax.random.split(jax.random.key(0))
        >>> score_model = NeuralNetwork(num_inputs=6, num_outputs=6, width=16, depth=2)
        >>> group = LangevinGroup("coeffs", num_params=6, score_model=score_model, key=k1)
        >>> samples = group.sample_parameters(num_samples=8, key=k2)
        >>> samples.shape
        (8, 6)
    """

    surrogate_params: jax.Array
    score_model: SurrogateModel | None
    energy_model: SurrogateModel | None
    num_particles = SpecAttribute[int]()
    num_diffusion_steps = SpecAttribute[int]()
    step_size = SpecAttribute[float]()
    init_std = SpecAttribute[float]()
    mode = SpecAttribute[str](doc='``"score"`` or ``"energy"`` (read-only).')

    def __init__(
        self,
        name: str,
        num_params: int,
        score_model: SurrogateModel | None = None,
        energy_model: SurrogateModel | None = None,
        prior: Prior | None = None,
        *,
        num_particles: int = NUM_PARTICLES,
        num_diffusion_steps: int = NUM_DIFFUSION_STEPS,
        step_size: float = STEP_SIZE,
        init_std: float = INIT_STD,
        kl_num_mc_samples: int = KL_NUM_MC_SAMPLES,
        key: PRNGKey | None = None,
    ):
        for role, model in (("score_model", score_model), ("energy_model", energy_model)):
            if model is not None and not isinstance(model, SurrogateModel):
                raise PolymixTypeError(
                    f"{role}: expected a polymix_jax SurrogateModel, received {type(model).__name__}"
                )
        spec = langevin_spec_for(  # the rules on score/energy surrogates, from polymix_core
            check_positive_int("num_params", num_params),
            score_model,
            energy_model,
            num_particles=num_particles,
            num_diffusion_steps=num_diffusion_steps,
            step_size=step_size,
            init_std=init_std,
            kl_num_mc_samples=kl_num_mc_samples,
        )
        self._init_common(name, spec, prior)
        self.score_model, self.energy_model = score_model, energy_model
        self.surrogate_params = initial_raw(spec, key, f"LangevinGroup {name!r}")["surrogate_params"]

    @classmethod
    def from_spec(
        cls, name: str, spec: LangevinGroupSpec, prior: Prior | None = None, *, key: PRNGKey | None = None
    ) -> LangevinGroup:
        """The group of ``spec``, its score/energy surrogate built from ``spec.surrogate``.

        Raises:
            ConfigurationError: the spec records no surrogate spec.
        """
        from .._from_spec import build_surrogate

        if spec.surrogate is None:
            raise ConfigurationError(
                f"spec.surrogate: expected the {spec.mode}_model's spec of {name!r}, received None"
            )
        return cls(
            name,
            spec.num_params,
            prior=prior,
            num_particles=spec.num_particles,
            num_diffusion_steps=spec.num_diffusion_steps,
            step_size=spec.step_size,
            init_std=spec.init_std,
            kl_num_mc_samples=spec.kl_num_mc_samples,
            key=key,
            **{f"{spec.mode}_model": build_surrogate(spec.surrogate)},  # type: ignore[arg-type]
        )

    def _check_particles(self, name: str, theta: Any) -> jax.Array:
        theta = as_float_array(name, theta)
        if theta.ndim != 2 or theta.shape[1] != self.num_params:
            raise ShapeError(
                f"{name}: expected a 2-D array of shape (num_particles, {self.num_params}), "
                f"received shape {tuple(theta.shape)}"
            )
        return theta.astype(self.dtype)

    def _energy(self, theta: jax.Array) -> jax.Array:
        """Energy (log-density surrogate) of each particle: ``(n, d)`` -> ``(n,)``."""
        assert self.energy_model is not None
        return self.energy_model(theta, self.surrogate_params[None, :])[0, :, 0]  # (n,)

    def _score(self, theta: jax.Array) -> jax.Array:
        if self.score_model is not None:
            return self.score_model(theta, self.surrogate_params[None, :])[0]  # (n, d)
        # Particles are independent, so the gradient of the summed energy is each particle's gradient.
        return jax.grad(lambda t: jnp.sum(self._energy(t)))(theta)  # (n, d)

    def score(self, theta: Any) -> jax.Array:
        """The score field ``s(theta)`` (energy mode: ``grad E(theta)``).

        Args:
            theta: Particles ``(n, num_params)``.

        Returns:
            ``(n, num_params)``.
        """
        return self._score(self._check_particles("theta", theta))

    def _step(self, theta: jax.Array, xi: jax.Array) -> jax.Array:
        return theta + self.step_size * self._score(theta) + jnp.sqrt(2.0 * self.step_size) * xi

    def trajectory(self, theta0: Any, noise: Any) -> jax.Array:
        """Run the dynamics from given initial particles and noise, keeping every step.

        Args:
            theta0: Initial particles ``(n, num_params)``.
            noise: Standard normals ``(num_steps, n, num_params)``, one slice per step.

        Returns:
            ``(num_steps + 1, n, num_params)``: ``theta0``, then the particles after each step.
        """
        theta0 = self._check_particles("theta0", theta0)
        noise = as_float_array("noise", noise)
        if noise.ndim != 3 or tuple(noise.shape[1:]) != tuple(theta0.shape):
            raise ShapeError(
                f"noise: expected shape (num_steps, {theta0.shape[0]}, {self.num_params}), "
                f"received shape {tuple(noise.shape)}"
            )

        def step(theta: jax.Array, xi: jax.Array) -> tuple[jax.Array, jax.Array]:
            theta = self._step(theta, xi)
            return theta, theta

        _, path = lax.scan(step, theta0, noise.astype(theta0.dtype))  # (num_steps, n, num_params)
        return jnp.concatenate([theta0[None], path], axis=0)  # (num_steps + 1, n, num_params)

    def sample_transform(self, noise: Any) -> jax.Array:
        """Final particles from per-particle noise ``(n, num_diffusion_steps + 1, num_params)``.

        Row 0 of each particle's noise is its initial draw (scaled by ``init_std``), the
        following rows are the steps' ``xi_k``. Only the final state is kept.

        Returns:
            ``(n, num_params)``.
        """
        noise = self._check_noise(noise)
        theta0 = self.init_std * noise[:, 0, :]  # (n, num_params)
        xi = jnp.swapaxes(noise[:, 1:, :], 0, 1)  # (num_diffusion_steps, n, num_params): scan over steps
        theta, _ = lax.scan(lambda t, x: (self._step(t, x), None), theta0, xi)
        return theta

    def sample_parameters(self, num_samples: int | None = None, *, key: PRNGKey | None = None) -> jax.Array:
        """Draw particles by running Langevin dynamics.

        Args:
            num_samples: Number of particles (default ``num_particles``).
            key: PRNG key.

        Returns:
            ``(num_samples, num_params)``.
        """
        num_samples = self.num_particles if num_samples is None else self._check_num_samples(num_samples)
        return self.sample_transform(self._noise(num_samples, key))

    def variational_distribution(self) -> dist.Distribution:
        """Raises ``DistributionUnavailableError`` (a ``RuntimeError``, as in torch): the posterior is implicit."""
        raise DistributionUnavailableError(
            f"LangevinGroup {self.name!r}: expected a group with an analytic variational distribution, "
            "received an implicit Langevin sampler (use sample_parameters)"
        )

    def analytic_kl(self) -> jax.Array | None:
        """``None``: the implicit posterior has no closed-form KL."""
        return None

    def distribution_loss(self, *, key: PRNGKey | None = None) -> jax.Array:
        """Monte Carlo estimate of ``-E_q[log p(theta)]`` over ``num_particles`` fresh particles.

        Unlike torch, no particles are cached between calls: the dynamics run again with ``key``.

        Args:
            key: PRNG key (required).

        Returns:
            Scalar.
        """
        key = check_key(key, f"LangevinGroup {self.name!r} estimates -E_q[log p] from fresh particles")
        theta = self.sample_parameters(self.num_particles, key=key)  # (num_particles, num_params)
        p = self.prior.distribution((self.num_params,), dtype=self.dtype)
        return -jnp.mean(p.log_prob(theta))
