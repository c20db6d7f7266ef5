"""Implicit parameter group: particles moved by unadjusted Langevin dynamics."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.distributions as td
from polymix_core import (
    ConfigurationError,
    DistributionUnavailableError,
    LangevinGroupSpec,
    ShapeError,
    SpecAttribute,
    check_positive_int,
    langevin_spec_for,
)
from polymix_core.defaults import INIT_STD, KL_NUM_MC_SAMPLES, NUM_DIFFUSION_STEPS, NUM_PARTICLES, STEP_SIZE

from .._validation import check_noise, check_num_samples, check_same_kind, check_tensor
from ..priors import Prior
from ..surrogate_models import SurrogateModel
from ._base import ParameterGroup, initial_raw

__all__ = ["LangevinGroup"]


class LangevinGroup(ParameterGroup):
    """Parameter group based on unadjusted Langevin dynamics.

    The group learns either a score model ``s(theta)`` or an energy model ``E(theta)``
    (then ``s = grad E``) and generates samples by iterating

    ``theta_{k+1} = theta_k + step_size * s(theta_k) + sqrt(2 * step_size) * xi_k``

    where ``xi_k ~ Normal(0, I)``, from ``theta_0 = init_std * Normal(0, I)``. The
    score model maps ``num_params`` inputs to ``num_params`` outputs, the energy model
    to one; their parameters are the group's raw ``surrogate_params``.
    ``trajectory(theta0, noise)`` runs the same dynamics from given particles and noise.

    Example:
        >>> from polymix_torch.surrogate_models import NeuralNetwork
        >>> score_model = NeuralNetwork(num_inputs=6, num_outputs=6, width=16, depth=2)
        >>> group = LangevinGroup("coeffs", num_params=6, score_model=score_model)
        >>> samples = group.sample_parameters(num_samples=8)
        >>> samples.shape
        torch.Size([8, 6])
    """

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
    ) -> None:
        """Validate the dynamics and the surrogate, and create ``surrogate_params ~ 0.01 N(0, 1)``.

        Args:
            name: Friendly identifier.
            num_params: Number of parameters ``d``.
            score_model: Surrogate with ``num_inputs == num_outputs == num_params`` (or ``None``).
            energy_model: Surrogate with ``num_inputs == num_params``, ``num_outputs == 1`` (or ``None``).
            prior: Prior of the cross-entropy loss (default ``IIDGaussianPrior()``).
            num_particles: Default number of particles of ``sample_parameters``.
            num_diffusion_steps: Langevin steps per sample.
            step_size: Step size ``h > 0``.
            init_std: Standard deviation of the initial particles.
            kl_num_mc_samples: Kept for a uniform signature (the loss uses the particles).

        Raises:
            ConfigurationError: not exactly one of ``score_model``/``energy_model``, or its sizes are wrong.
            PolymixValueError: a non-positive count or step size.
        """
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
        self.score_model = score_model
        self.energy_model = energy_model
        self.surrogate_params = initial_raw(spec)["surrogate_params"]
        self._last_samples: torch.Tensor | None = None

    @classmethod
    def from_spec(cls, name: str, spec: LangevinGroupSpec, prior: Prior | None = None) -> LangevinGroup:
        """The group of ``spec``, its score/energy surrogate built from ``spec.surrogate``.

        Raises:
            ConfigurationError: the spec records no surrogate spec.
        """
        from .._from_spec import build_surrogate

        if spec.surrogate is None:
            raise ConfigurationError("spec.surrogate: expected the score/energy surrogate's spec, received None")
        return cls(
            name,
            spec.num_params,
            prior=prior,
            num_particles=spec.num_particles,
            num_diffusion_steps=spec.num_diffusion_steps,
            step_size=spec.step_size,
            init_std=spec.init_std,
            kl_num_mc_samples=spec.kl_num_mc_samples,
            **{f"{spec.mode}_model": build_surrogate(spec.surrogate)},  # type: ignore[arg-type]
        )

    _PICKLED_VIEWS = (
        "num_params",
        "kl_num_mc_samples",
        "num_particles",
        "num_diffusion_steps",
        "step_size",
        "init_std",
        "_mode",
    )

    @classmethod
    def _spec_from_pickle(cls, state: dict[str, Any]) -> LangevinGroupSpec:
        modules = state["_modules"]
        return langevin_spec_for(
            state["num_params"],
            modules.get("score_model"),
            modules.get("energy_model"),
            num_particles=state["num_particles"],
            num_diffusion_steps=state["num_diffusion_steps"],
            step_size=state["step_size"],
            init_std=state["init_std"],
            kl_num_mc_samples=state["kl_num_mc_samples"],
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "_last_samples" not in state:  # pypolymix sets it at the first sampling only
            self._last_samples = None

    num_particles = SpecAttribute[int]()
    num_diffusion_steps = SpecAttribute[int]()
    step_size = SpecAttribute[float]()
    init_std = SpecAttribute[float]()
    mode = SpecAttribute[str](doc='``"score"`` or ``"energy"`` (read-only).')

    @property
    def surrogate(self) -> SurrogateModel:
        """The score or energy surrogate."""
        model = self.score_model if self.score_model is not None else self.energy_model
        assert model is not None
        return model

    def _reference(self) -> torch.Tensor:
        return self.surrogate_params

    # --- the score field -------------------------------------------------------------

    def _energy(self, theta: torch.Tensor) -> torch.Tensor:
        """Learned scalar energy (log-density surrogate) ``(n,)`` at ``theta (n, num_params)``."""
        if self.energy_model is None:
            raise ConfigurationError("energy_model: this LangevinGroup has a score_model, not an energy_model")
        energy = self.energy_model(theta, self.surrogate_params.unsqueeze(0))  # (1, n, 1)
        return energy.squeeze(0).squeeze(-1)  # (n,)

    def _score(self, theta: torch.Tensor) -> torch.Tensor:
        """The score ``(n, num_params)`` without argument checks (pypolymix's private name)."""
        if self.score_model is not None:
            return self.score_model(theta, self.surrogate_params.unsqueeze(0)).squeeze(0)  # (n, num_params)
        # energy mode: s = +grad E; keep the graph only when the caller records gradients
        create_graph = torch.is_grad_enabled()
        theta_for_grad = theta if theta.requires_grad else theta.detach().requires_grad_(True)
        with torch.enable_grad():
            energy = self._energy(theta_for_grad)
            return torch.autograd.grad(energy.sum(), theta_for_grad, create_graph=create_graph)[0]

    def _check_particles(self, name: str, theta: Any) -> torch.Tensor:
        check_tensor(name, theta)
        if theta.ndim != 2 or theta.shape[1] != self.num_params:
            raise ShapeError(
                f"{name}: expected a 2-D tensor of shape (num_particles, {self.num_params}), "
                f"received shape {tuple(theta.shape)}"
            )
        check_same_kind((name, "surrogate_params"), theta, self.surrogate_params)
        return theta

    def score(self, theta: torch.Tensor) -> torch.Tensor:
        """Evaluate the learned score field on a batch of particles.

        Args:
            theta: Particles ``(num_particles, num_params)``.

        Returns:
            The score ``(num_particles, num_params)`` (energy mode: the gradient of the energy).
        """
        return self._score(self._check_particles("theta", theta))

    # --- dynamics --------------------------------------------------------------------

    def _step(self, theta: torch.Tensor, xi: torch.Tensor, noise_scale: float) -> torch.Tensor:
        return theta + self.step_size * self._score(theta) + noise_scale * xi  # (n, num_params)

    def trajectory(self, theta0: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Run the Langevin update of pypolymix 0.1.9 from given particles and noise.

        Args:
            theta0: Initial particles ``(num_particles, num_params)``.
            noise: Standard normals ``xi_k`` of shape ``(num_steps, num_particles, num_params)``.

        Returns:
            ``(num_steps + 1, num_particles, num_params)``: ``theta0``, then the particles after each step.

        Example:
            >>> from polymix_torch.surrogate_models import NeuralNetwork
            >>> group = LangevinGroup("c", 2, score_model=NeuralNetwork(2, 2, width=4))
            >>> group.trajectory(torch.zeros(5, 2), torch.randn(3, 5, 2)).shape
            torch.Size([4, 5, 2])
        """
        self._check_particles("theta0", theta0)
        check_tensor("noise", noise)
        if noise.ndim != 3 or tuple(noise.shape[1:]) != tuple(theta0.shape):
            raise ShapeError(
                f"noise: expected shape (num_steps, {theta0.shape[0]}, {self.num_params}), "
                f"received shape {tuple(noise.shape)}"
            )
        check_same_kind(("noise", "theta0"), noise, theta0)
        noise_scale = math.sqrt(2.0 * self.step_size)
        out = [theta0]
        for xi in noise.unbind(0):
            out.append(self._step(out[-1], xi, noise_scale))
        return torch.stack(out)  # (num_steps + 1, num_particles, num_params)

    def sample_transform(self, noise: torch.Tensor) -> torch.Tensor:
        """Particles after ``num_diffusion_steps`` steps from per-particle noise.

        Args:
            noise: ``(num_samples, num_diffusion_steps + 1, num_params)``: row 0 the initial
                draw (scaled by ``init_std``), then one row per step.

        Returns:
            ``(num_samples, num_params)``.
        """
        check_noise(noise, self.noise_shape, self.surrogate_params)
        steps = noise[:, 1:].transpose(0, 1)  # (num_diffusion_steps, num_samples, num_params)
        return self.trajectory(self.init_std * noise[:, 0], steps)[-1]

    def sample_parameters(self, num_samples: int | None = None) -> torch.Tensor:
        """Draw parameter samples by running Langevin dynamics.

        Args:
            num_samples: Number of particles (default ``num_particles``).

        Returns:
            ``(num_samples, num_params)``; also kept for ``distribution_loss``.
        """
        num_samples = self.num_particles if num_samples is None else check_num_samples(num_samples)
        ref = self.surrogate_params
        shape = (num_samples, self.num_params)
        # pypolymix's draw order: the initial particles, then one draw per step
        theta = torch.randn(shape, dtype=ref.dtype, device=ref.device) * self.init_std
        noise_scale = math.sqrt(2.0 * self.step_size)
        for _ in range(self.num_diffusion_steps):
            theta = self._step(theta, torch.randn(shape, dtype=ref.dtype, device=ref.device), noise_scale)
        self._last_samples = theta
        return theta

    def variational_distribution(self) -> td.Distribution:
        """Langevin sampling defines an implicit posterior, not an analytic distribution."""
        raise DistributionUnavailableError(
            "LangevinGroup defines an implicit sampler and does not expose an analytic variational distribution."
        )

    def distribution_loss(self) -> torch.Tensor:
        """Monte Carlo estimate of ``-E_q[log p(theta)]`` under the latest particles (a scalar).

        Without particles yet, ``num_particles`` are drawn first.
        """
        samples = self._last_samples
        if samples is None:
            samples = self.sample_parameters(self.num_particles)
        p = self.prior.distribution(torch.Size([self.num_params]), samples.device, samples.dtype)
        return -p.log_prob(samples).mean()
