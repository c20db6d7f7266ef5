"""``LaplacePrior``: independent Laplace distributions (sparsity)."""

from __future__ import annotations

from typing import Any, Union

import torch
import torch.distributions as td
from polymix_core import LaplacePriorSpec
from polymix_core.defaults import LAPLACE_LOC, LAPLACE_SCALE

from ._base import Prior, as_buffer, broadcast_buffer, event_size

__all__ = ["LaplacePrior"]

TensorOrFloat = Union[float, torch.Tensor]


class LaplacePrior(Prior):
    """IID Laplace prior that encourages sparsity.

    Example:
        >>> prior = LaplacePrior(loc=0.0, scale=1e-1)
        >>> prior.distribution(torch.Size([3]), None, None).sample().shape
        torch.Size([3])
    """

    _loc: torch.Tensor
    _scale: torch.Tensor

    def __init__(self, loc: TensorOrFloat = LAPLACE_LOC, scale: TensorOrFloat = LAPLACE_SCALE) -> None:
        """Validate and store the hyper-parameters.

        Args:
            loc: Scalar or ``(num_params,)`` location.
            scale: Scalar or ``(num_params,)`` positive scale.
        """
        loc_buf, scale_buf = as_buffer(loc), as_buffer(scale)
        spec = LaplacePriorSpec(loc_buf, scale_buf)  # exactly the buffers' values; validates them
        super().__init__()
        self._spec = spec
        self.register_buffer("_loc", loc_buf, persistent=False)
        self.register_buffer("_scale", scale_buf, persistent=False)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "_spec" not in state:  # pickled by pypolymix
            self._spec = LaplacePriorSpec(self._loc, self._scale)

    @property
    def spec(self) -> LaplacePriorSpec:
        """``LaplacePriorSpec`` of the hyper-parameters (float64 copies taken at construction)."""
        return self._spec

    def check_num_params(self, num_params: int) -> None:
        """Raise ``ShapeError`` unless ``loc``/``scale`` are scalars or ``(num_params,)``."""
        self._spec.broadcast(num_params)

    def parameters_for(self, num_params: int, device: Any, dtype: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """``(loc, log(scale))``, each ``(num_params,)``, in the requested dtype and device."""
        return (
            broadcast_buffer("loc", self._loc, num_params, device, dtype),
            broadcast_buffer("scale", self._scale, num_params, device, dtype).log(),
        )

    def distribution(
        self, event_shape: torch.Size, device: torch.device | None, dtype: torch.dtype | None
    ) -> td.Distribution:
        """Return ``Independent(Laplace(loc, scale), 1)`` with broadcasted params."""
        d = event_size(event_shape)
        loc = broadcast_buffer("loc", self._loc, d, device, dtype)
        scale = broadcast_buffer("scale", self._scale, d, device, dtype)
        return td.Independent(td.Laplace(loc, scale), 1)
