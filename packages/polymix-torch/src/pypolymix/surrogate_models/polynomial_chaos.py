"""pypolymix's ``surrogate_models.polynomial_chaos`` module."""

from polymix_torch.surrogate_models import PolynomialChaosExpansion
from polymix_torch.surrogate_models._polynomial_chaos import legendre_polynomial_p

__all__ = ["PolynomialChaosExpansion", "legendre_polynomial_p"]
