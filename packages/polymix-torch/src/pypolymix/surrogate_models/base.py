"""pypolymix's ``surrogate_models.base`` module."""

from polymix_torch.surrogate_models import SurrogateModel

__all__ = ["SurrogateModel"]
