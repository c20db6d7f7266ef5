"""Caches of the hot paths: they must give the uncached results and invalidate on any change of their key."""

from __future__ import annotations

import copy
import pickle

import torch
from polymix_torch.surrogate_models import PolynomialChaosExpansion


def _pce() -> PolynomialChaosExpansion:
    torch.manual_seed(0)
    return PolynomialChaosExpansion(num_inputs=3, num_outputs=2, degree=3)


def _uncached(pce: PolynomialChaosExpansion, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
    basis = pce.basis(x)
    s, k, o = params.shape[0], pce.num_terms, pce.num_outputs
    return torch.einsum("bk,sko->sbo", basis, params.reshape(s, k, o))


def test_pce_basis_cache_hits_for_the_same_unchanged_x() -> None:
    pce = _pce()
    x = torch.rand(7, 3) * 2 - 1
    params = torch.randn(4, pce.num_params())
    y1 = pce(x, params)
    cached = pce._basis_cache
    assert cached is not None
    y2 = pce(x, params)
    assert pce._basis_cache is cached  # reused, not rebuilt
    torch.testing.assert_close(y1, y2, rtol=0, atol=0)
    torch.testing.assert_close(y1, _uncached(pce, x, params))


def test_pce_basis_cache_invalidates_on_in_place_change_and_new_x() -> None:
    pce = _pce()
    x = torch.rand(7, 3) * 2 - 1
    params = torch.randn(4, pce.num_params())
    pce(x, params)
    x.mul_(0.5)  # in place: same object and storage, new version
    torch.testing.assert_close(pce(x, params), _uncached(pce, x, params))
    x[0, 0] = 0.25  # in place through indexing
    torch.testing.assert_close(pce(x, params), _uncached(pce, x, params))
    x.data = torch.rand(7, 3)  # swapped storage
    torch.testing.assert_close(pce(x, params), _uncached(pce, x, params))
    x2 = x.clone()  # a new tensor with equal data: recomputed, equal result
    torch.testing.assert_close(pce(x2, params), _uncached(pce, x2, params))
    x3 = torch.rand(5, 3)  # new shape
    torch.testing.assert_close(pce(x3, params), _uncached(pce, x3, params))
    xd = x3.double()  # new dtype
    torch.testing.assert_close(pce(xd, params.double()), _uncached(pce, xd, params.double()))


def test_pce_basis_cache_views_and_base_changes() -> None:
    pce = _pce()
    base = torch.rand(8, 3) * 2 - 1
    x = base[1:]  # a view
    params = torch.randn(2, pce.num_params())
    pce(x, params)
    base.add_(0.1)  # changes the view through its base (shared version counter)
    torch.testing.assert_close(pce(x, params), _uncached(pce, x, params))


def test_pce_basis_not_cached_when_x_requires_grad_or_inference_mode() -> None:
    pce = _pce()
    x = (torch.rand(6, 3) * 2 - 1).requires_grad_()
    params = torch.randn(3, pce.num_params(), requires_grad=True)
    y = pce(x, params)
    assert pce._basis_cache is None
    y.sum().backward()
    assert x.grad is not None and params.grad is not None
    with torch.inference_mode():
        xi = torch.rand(6, 3)
        pce(xi, params.detach())
    assert pce._basis_cache is None


def test_pce_basis_cache_grads_match_uncached() -> None:
    pce = _pce()
    x = torch.rand(9, 3) * 2 - 1
    grads = []
    for _ in range(2):  # second call hits the cache
        params = torch.randn(3, pce.num_params(), generator=torch.Generator().manual_seed(1), requires_grad=True)
        pce(x, params).pow(2).sum().backward()
        grads.append(params.grad)
    params = torch.randn(3, pce.num_params(), generator=torch.Generator().manual_seed(1), requires_grad=True)
    _uncached(pce, x, params).pow(2).sum().backward()
    torch.testing.assert_close(grads[0], grads[1], rtol=0, atol=0)
    torch.testing.assert_close(grads[1], params.grad)


def test_pce_with_cache_deepcopies_and_pickles() -> None:
    pce = _pce()
    x = torch.rand(4, 3)
    params = torch.randn(2, pce.num_params())
    y = pce(x, params)
    for clone in (copy.deepcopy(pce), pickle.loads(pickle.dumps(pce))):
        assert clone._basis_cache is None
        torch.testing.assert_close(clone(x, params), y)
