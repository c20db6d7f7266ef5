"""polymix-core: the backend-agnostic spec layer of polymix.

Counts, slices, index sets, transforms, validation and the numpy float64
reference are computed here once; polymix-torch and polymix-jax read them.
This package imports numpy and array-api-compat only.
"""

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from . import defaults as defaults, metrics as metrics
from ._bayes_linear import LinearPosterior as LinearPosterior, bayesian_linear_regression as bayesian_linear_regression
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
    DataError as DataError,
    DistributionUnavailableError as DistributionUnavailableError,
    DomainError as DomainError,
    NumericalError as NumericalError,
    PolymixError as PolymixError,
    PolymixTypeError as PolymixTypeError,
    PolymixValueError as PolymixValueError,
    PolymixWarning as PolymixWarning,
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
from ._saltelli import (
    SaltelliDesign as SaltelliDesign,
    SaltelliIndices as SaltelliIndices,
    saltelli_design as saltelli_design,
    saltelli_indices as saltelli_indices,
)
from ._scaling import (
    BOUNDS_RTOL as BOUNDS_RTOL,
    EXTRAPOLATION_MODES as EXTRAPOLATION_MODES,
    Scaling as Scaling,
    check_input_bounds as check_input_bounds,
    check_output_affine as check_output_affine,
)
from ._sobol import (
    pce_mean_variance as pce_mean_variance,
    pce_sobol_closed as pce_sobol_closed,
    pce_sobol_first_order as pce_sobol_first_order,
    pce_sobol_interaction as pce_sobol_interaction,
    pce_sobol_total as pce_sobol_total,
    pce_term_norms as pce_term_norms,
    pce_to_full_coefficients as pce_to_full_coefficients,
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
    "BOUNDS_RTOL",
    "CHECKPOINT_FORMAT",
    "EXTRAPOLATION_MODES",
    "FEATURES",
    "GROUP_CLASSES",
    "PRIOR_CLASSES",
    "SURROGATE_CLASSES",
    "BackendAdapter",
    "CheckpointError",
    "CheckpointLimits",
    "ConfigurationError",
    "CustomGroupSpec",
    "DataError",
    "DeterministicGroupSpec",
    "DistributionUnavailableError",
    "DomainError",
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
    "LinearPosterior",
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
    "PolymixWarning",
    "Prediction",
    "PriorSpec",
    "ResourceLimitError",
    "SaltelliDesign",
    "SaltelliIndices",
    "Scaling",
    "ShapeError",
    "SpecAttribute",
    "SurrogateSpec",
    "as_float_array",
    "backend_class",
    "available_memory_bytes",
    "basis_gather_indices",
    "bayesian_linear_regression",
    "check_group_total",
    "check_input_bounds",
    "check_input_shape",
    "check_memory",
    "check_noise_shape",
    "check_nonnegative_int",
    "check_output_affine",
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
    "pce_mean_variance",
    "pce_sobol_closed",
    "pce_sobol_first_order",
    "pce_sobol_interaction",
    "pce_sobol_total",
    "pce_term_norms",
    "pce_to_full_coefficients",
    "physical_memory_bytes",
    "positive_from_raw",
    "prior_spec_from_dict",
    "raw_from_positive",
    "read_checkpoint",
    "reference",
    "sampling_arrays",
    "saltelli_design",
    "saltelli_indices",
    "softplus",
    "surrogate_spec_from_dict",
    "total_order_indices",
    "tril_indices",
    "write_checkpoint",
]
