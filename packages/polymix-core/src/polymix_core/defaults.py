"""Default values of every constructor argument, written once and read by the specs and every backend.

The backends' signatures read these names (``jitter: float = defaults.JITTER``), so a default
changes in one place. The values are pypolymix 0.1.9's.

Example:
    >>> from polymix_core import GaussianGroupSpec, defaults
    >>> GaussianGroupSpec(3).jitter == defaults.JITTER
    True
"""

from __future__ import annotations

__all__ = [
    "NUM_OUTPUTS",
    "WIDTH",
    "DEPTH",
    "ACTIVATION",
    "DEGREE",
    "Q",
    "KL_NUM_MC_SAMPLES",
    "INIT_SCALE_DIAG",
    "INIT_SCALE_FACTOR",
    "JITTER",
    "RANK",
    "IID_INITIAL_LOG_STD",
    "NUM_PARTICLES",
    "NUM_DIFFUSION_STEPS",
    "STEP_SIZE",
    "INIT_STD",
    "LANGEVIN_INIT_SCALE",
    "PRIOR_MEAN",
    "PRIOR_STD",
    "LAPLACE_LOC",
    "LAPLACE_SCALE",
]

# surrogates
NUM_OUTPUTS = 1
WIDTH = 16
DEPTH = 1
ACTIVATION = "relu"
DEGREE = 3
Q = 1.0  #: hyperbolic-cross exponent; 1 is the total-order set

# parameter groups
KL_NUM_MC_SAMPLES = 64
INIT_SCALE_DIAG = 1e-1
INIT_SCALE_FACTOR = 1e-1
JITTER = 1e-6
RANK = 1
IID_INITIAL_LOG_STD = -0.5  #: ``log_std`` of a fresh IID Gaussian group (start small)
NUM_PARTICLES = 32
NUM_DIFFUSION_STEPS = 50
STEP_SIZE = 1e-3
INIT_STD = 1.0
LANGEVIN_INIT_SCALE = 0.01  #: scale of the random initial parameters of a Langevin score/energy surrogate

# priors
PRIOR_MEAN = 0.0
PRIOR_STD = 1.0
LAPLACE_LOC = 0.0
LAPLACE_SCALE = 1.0
