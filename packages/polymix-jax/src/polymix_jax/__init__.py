"""polymix on JAX: stochastic surrogate models as Equinox modules, numpyro distributions.

Randomness is explicit (keyword-only ``key``); every module is a pytree that works
under ``jax.jit``, ``jax.grad`` and ``jax.vmap``. Only floating-point arrays are
trainable; index sets, slices, names and activations are static.

Example:
    >>> import jax
    >>> from polymix_jax import StochasticModel, parameter_groups, surrogate_models
    >>> k1, k2, k3 = jax.random.split(jax.random.key(0), 3)
    >>> s = surrogate_models.NeuralNetwork(num_inputs=1, num_outputs=1)
    >>> g = parameter_groups.IIDGaussianGroup("nn", s.num_params(), key=k1)
    >>> model = StochasticModel(s, [g])
    >>> x = jax.numpy.linspace(-1, 1, 32)[:, None]
    >>> y = model(x, num_samples=8, key=k2)
    >>> y.shape
    (8, 32, 1)
    >>> loss = y.mean() + model.distribution_loss(key=k3)
"""

from . import (
    conformance as conformance,
    parameter_groups as parameter_groups,
    priors as priors,
    surrogate_models as surrogate_models,
)
from ._checkpoint import (
    load_checkpoint as load_checkpoint,
    save_checkpoint as save_checkpoint,
    state_dict as state_dict,
)
from ._from_spec import (
    build_group as build_group,
    build_model as build_model,
    build_prior as build_prior,
    build_surrogate as build_surrogate,
)
from ._stochastic_model import StochasticModel as StochasticModel

__version__ = "0.1.0"

__all__ = [
    "StochasticModel",
    "build_group",
    "build_model",
    "build_prior",
    "build_surrogate",
    "conformance",
    "load_checkpoint",
    "parameter_groups",
    "priors",
    "save_checkpoint",
    "state_dict",
    "surrogate_models",
]
