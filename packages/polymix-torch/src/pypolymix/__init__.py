"""``pypolymix``: the drop-in replacement of pypolymix 0.1.9, provided by polymix-torch.

It re-exports ``polymix_torch`` (as Pillow provides ``PIL``): the same classes,
flat layouts, defaults and ``state_dict`` keys, vectorised. Do not install it next
to the original ``pypolymix`` distribution; they share this import name.

Example:
    >>> import pypolymix, polymix_torch
    >>> pypolymix.StochasticModel is polymix_torch.StochasticModel
    True
"""

from polymix_torch import StochasticModel

from . import parameter_groups, priors, surrogate_models

__all__ = ["StochasticModel", "parameter_groups", "priors", "surrogate_models"]
