"""polymix on PyTorch: the pypolymix 0.1.9 API, vectorised, on the ``polymix_core`` spec layer.

The distribution also installs ``pypolymix``, a drop-in replacement of pypolymix 0.1.9
(as Pillow provides ``PIL``) that re-exports these modules.
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
