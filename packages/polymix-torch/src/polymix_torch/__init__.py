"""polymix on PyTorch: the pypolymix API, vectorised, on the ``polymix_core`` spec layer.

The distribution also installs ``pypolymix``, a drop-in replacement of pypolymix 0.1.9
(as Pillow provides ``PIL``) that re-exports these modules.
"""

from . import conformance, parameter_groups, priors, surrogate_models
from ._checkpoint import load_checkpoint, save_checkpoint
from ._from_spec import build_group, build_model, build_prior, build_surrogate
from ._stochastic_model import StochasticModel

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
    "surrogate_models",
]
