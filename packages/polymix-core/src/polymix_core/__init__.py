"""polymix-core: the backend-agnostic spec layer of polymix.

Counts, slices, index sets, transforms, validation and the numpy float64
reference are computed here once; polymix-torch and polymix-jax read them.
This package imports numpy and array-api-compat only.
"""

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from . import defaults as defaults, metrics as metrics
from ._builders import backend_class as backend_class
from ._checkpoint import (
    CHECKPOINT_FORMAT as CHECKPOINT_FORMAT,
    CheckpointLimits as CheckpointLimits,
    GroupEntry as GroupEntry,
    ModelSpec as ModelSpec,
    read_checkpoint as read_checkpoint,
    write_checkpoint as write_checkpoint,
)
from ._errors import (
    CheckpointError as CheckpointError,
    ConfigurationError as ConfigurationError,
    DistributionUnavailableError as DistributionUnavailableError,
    NumericalError as NumericalError,
    PolymixError as PolymixError,
    PolymixTypeError as PolymixTypeError,
    PolymixValueError as PolymixValueError,
    ResourceLimitError as ResourceLimitError,
    ShapeError as ShapeError,
    check_input_shape as check_input_shape,
    check_noise_shape as check_noise_shape,
    check_nonnegative_int as check_nonnegative_int,
    check_params_shape as check_params_shape,
    check_positive_float as check_positive_float,
    check_positive_int as check_positive_int,
)
from ._group_specs import (
    GROUP_CLASSES as GROUP_CLASSES,
    CustomGroupSpec as CustomGroupSpec,
    DeterministicGroupSpec as DeterministicGroupSpec,
    GaussianGroupSpec as GaussianGroupSpec,
    GroupSpec as GroupSpec,
    IIDGaussianGroupSpec as IIDGaussianGroupSpec,
    InitialValue as InitialValue,
    LangevinGroupSpec as LangevinGroupSpec,
    LowRankGaussianGroupSpec as LowRankGaussianGroupSpec,
    check_group_total as check_group_total,
    check_raw_arrays as check_raw_arrays,
    group_spec_from_dict as group_spec_from_dict,
    langevin_spec_for as langevin_spec_for,
    tril_indices as tril_indices,
)
from ._index_sets import (
    hyperbolic_cross_indices as hyperbolic_cross_indices,
    num_hyperbolic_cross_terms as num_hyperbolic_cross_terms,
    num_total_order_terms as num_total_order_terms,
    total_order_indices as total_order_indices,
)
from ._legendre import (
    basis_gather_indices as basis_gather_indices,
    legendre_columns as legendre_columns,
    legendre_table as legendre_table,
    pce_basis as pce_basis,
)
from ._prediction import Prediction as Prediction
from ._prior_specs import (
    PRIOR_CLASSES as PRIOR_CLASSES,
    GaussianPriorSpec as GaussianPriorSpec,
    IIDGaussianPriorSpec as IIDGaussianPriorSpec,
    LaplacePriorSpec as LaplacePriorSpec,
    PriorSpec as PriorSpec,
    as_float_array as as_float_array,
    class_name_for as class_name_for,
    prior_spec_from_dict as prior_spec_from_dict,
)
from ._protocol import FEATURES as FEATURES, BackendAdapter as BackendAdapter
from ._resources import (
    available_memory_bytes as available_memory_bytes,
    check_memory as check_memory,
    forward_arrays as forward_arrays,
    model_arrays as model_arrays,
    physical_memory_bytes as physical_memory_bytes,
    sampling_arrays as sampling_arrays,
)
from ._spec_views import SpecAttribute as SpecAttribute
from ._surrogate_specs import (
    ACTIVATIONS as ACTIVATIONS,
    SURROGATE_CLASSES as SURROGATE_CLASSES,
    ExpertInfo as ExpertInfo,
    GatingSpec as GatingSpec,
    MixtureLayout as MixtureLayout,
    MixtureSpec as MixtureSpec,
    MLPSpec as MLPSpec,
    ParamSlice as ParamSlice,
    PCESpec as PCESpec,
    SurrogateSpec as SurrogateSpec,
    surrogate_spec_from_dict as surrogate_spec_from_dict,
)
from ._transforms import (
    inverse_softplus as inverse_softplus,
    positive_from_raw as positive_from_raw,
    raw_from_positive as raw_from_positive,
    softplus as softplus,
)

if TYPE_CHECKING:
    from . import reference as reference

__version__ = "0.1.0"


def __getattr__(name: str) -> ModuleType:
    """``polymix_core.reference`` is imported on first use, so ``import polymix_core`` stays light."""
    if name == "reference":
        return importlib.import_module(f"{__name__}.reference")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ACTIVATIONS",
    "CHECKPOINT_FORMAT",
    "FEATURES",
    "GROUP_CLASSES",
    "PRIOR_CLASSES",
    "SURROGATE_CLASSES",
    "BackendAdapter",
    "CheckpointError",
    "CheckpointLimits",
    "ConfigurationError",
    "CustomGroupSpec",
    "DeterministicGroupSpec",
    "DistributionUnavailableError",
    "ExpertInfo",
    "GatingSpec",
    "GaussianGroupSpec",
    "GaussianPriorSpec",
    "GroupEntry",
    "GroupSpec",
    "IIDGaussianGroupSpec",
    "IIDGaussianPriorSpec",
    "InitialValue",
    "LangevinGroupSpec",
    "LaplacePriorSpec",
    "LowRankGaussianGroupSpec",
    "MLPSpec",
    "MixtureLayout",
    "MixtureSpec",
    "ModelSpec",
    "NumericalError",
    "PCESpec",
    "ParamSlice",
    "PolymixError",
    "PolymixTypeError",
    "PolymixValueError",
    "Prediction",
    "PriorSpec",
    "ResourceLimitError",
    "ShapeError",
    "SpecAttribute",
    "SurrogateSpec",
    "as_float_array",
    "backend_class",
    "available_memory_bytes",
    "basis_gather_indices",
    "check_group_total",
    "check_input_shape",
    "check_memory",
    "check_noise_shape",
    "check_nonnegative_int",
    "check_params_shape",
    "check_positive_float",
    "check_positive_int",
    "check_raw_arrays",
    "class_name_for",
    "defaults",
    "forward_arrays",
    "group_spec_from_dict",
    "hyperbolic_cross_indices",
    "inverse_softplus",
    "langevin_spec_for",
    "legendre_columns",
    "legendre_table",
    "metrics",
    "model_arrays",
    "num_hyperbolic_cross_terms",
    "num_total_order_terms",
    "pce_basis",
    "physical_memory_bytes",
    "positive_from_raw",
    "prior_spec_from_dict",
    "raw_from_positive",
    "read_checkpoint",
    "reference",
    "sampling_arrays",
    "softplus",
    "surrogate_spec_from_dict",
    "total_order_indices",
    "tril_indices",
    "write_checkpoint",
]
