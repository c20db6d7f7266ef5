"""The numpy float64 reference implementation: the oracle of the conformance suite."""

from ._groups import (
    gaussian_kl as gaussian_kl,
    kl_divergence as kl_divergence,
    langevin_trajectory as langevin_trajectory,
    log_prob as log_prob,
    moments as moments,
    mvn_log_prob as mvn_log_prob,
    prior_log_prob as prior_log_prob,
    prior_moments as prior_moments,
    sample_transform as sample_transform,
    scale_tril as scale_tril,
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
)

__all__ = [
    "ACTIVATION_FUNCTIONS",
    "expert_outputs",
    "forward",
    "gating_forward",
    "gating_weights",
    "gaussian_kl",
    "kl_divergence",
    "langevin_trajectory",
    "log_prob",
    "mixture_forward",
    "mlp_forward",
    "moments",
    "mvn_log_prob",
    "pce_forward",
    "prior_log_prob",
    "prior_moments",
    "sample_transform",
    "scale_tril",
]
