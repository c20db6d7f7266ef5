"""The numpy float64 reference implementation: the oracle of the conformance suite.

Forward maps (``_surrogates``), group and prior densities and transforms (``_groups``), the
closed-form KL decomposition every backend shares (``_kl``), input gradients (``_derivatives``),
Langevin dynamics (``_langevin``) and losses with their finite-difference gradients (``_losses``).
"""

from ._derivatives import activation_derivative as activation_derivative, input_gradient as input_gradient
from ._groups import (
    log_prob as log_prob,
    lowrank_diag as lowrank_diag,
    moments as moments,
    mvn_log_prob as mvn_log_prob,
    prior_log_prob as prior_log_prob,
    prior_moments as prior_moments,
    sample_transform as sample_transform,
    scale_tril as scale_tril,
)
from ._kl import (
    GaussianForm as GaussianForm,
    gaussian_kl as gaussian_kl,
    gaussian_parts as gaussian_parts,
    kl_divergence as kl_divergence,
    low_rank_logdet as low_rank_logdet,
    prior_gaussian_form as prior_gaussian_form,
)
from ._langevin import (
    langevin_from_noise as langevin_from_noise,
    langevin_trajectory as langevin_trajectory,
    score_function as score_function,
)
from ._losses import (
    deterministic_loss as deterministic_loss,
    finite_difference_gradients as finite_difference_gradients,
    sample_from_noise as sample_from_noise,
)
from ._surrogates import (
    ACTIVATION_FUNCTIONS as ACTIVATION_FUNCTIONS,
    expert_outputs as expert_outputs,
    forward as forward,
    gating_forward as gating_forward,
    gating_weights as gating_weights,
    mixture_forward as mixture_forward,
    mlp_forward as mlp_forward,
    pce_forward as pce_forward,
    scale_inputs as scale_inputs,
    scale_outputs as scale_outputs,
    sigmoid as sigmoid,
)

__all__ = [
    "ACTIVATION_FUNCTIONS",
    "GaussianForm",
    "activation_derivative",
    "deterministic_loss",
    "expert_outputs",
    "finite_difference_gradients",
    "forward",
    "gating_forward",
    "gating_weights",
    "gaussian_kl",
    "gaussian_parts",
    "input_gradient",
    "kl_divergence",
    "langevin_from_noise",
    "langevin_trajectory",
    "log_prob",
    "low_rank_logdet",
    "lowrank_diag",
    "mixture_forward",
    "mlp_forward",
    "moments",
    "mvn_log_prob",
    "pce_forward",
    "prior_gaussian_form",
    "prior_log_prob",
    "prior_moments",
    "sample_from_noise",
    "sample_transform",
    "scale_inputs",
    "scale_outputs",
    "scale_tril",
    "score_function",
    "sigmoid",
]
