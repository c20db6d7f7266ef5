"""Which backend class a spec describes, written once for every backend's builders."""

from __future__ import annotations

from typing import Any

from ._group_specs import GROUP_CLASSES
from ._prior_specs import PRIOR_CLASSES, class_name_for
from ._surrogate_specs import SURROGATE_CLASSES

__all__ = ["backend_class"]

_WHAT = {
    id(SURROGATE_CLASSES): "a surrogate spec",
    id(PRIOR_CLASSES): "a prior spec",
    id(GROUP_CLASSES): "a group spec",
}


def backend_class(namespace: Any, table: dict[type, str], spec: Any) -> Any:
    """A backend's class for ``spec``: the class ``table`` names (a ``*_CLASSES`` table), taken from ``namespace``.

    Args:
        namespace: The backend's module (``surrogate_models``, ``priors`` or ``parameter_groups``).
        table: ``SURROGATE_CLASSES``, ``PRIOR_CLASSES`` or ``GROUP_CLASSES``.
        spec: The spec to build.

    Raises:
        PolymixTypeError: ``spec`` is not one of the table's spec types.

    Example:
        >>> import types
        >>> from polymix_core import LaplacePriorSpec
        >>> backend_class(types.SimpleNamespace(LaplacePrior="the class"), PRIOR_CLASSES, LaplacePriorSpec())
        'the class'
    """
    return getattr(namespace, class_name_for(spec, table, _WHAT.get(id(table), "a spec")))
