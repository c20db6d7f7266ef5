"""Read-only attributes that are views of an object's spec: one source of truth per backend object.

Every backend object stores its polymix_core spec once and exposes the spec's fields
(``num_inputs``, ``jitter``, ...) through ``SpecAttribute``: nothing is copied, so nothing can
drift from the spec, and assigning to a view is refused.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, overload

from ._errors import PolymixTypeError

__all__ = ["SpecAttribute"]

T = TypeVar("T")


class SpecAttribute(Generic[T]):
    """A read-only attribute reading ``obj.spec.<field>``.

    Args:
        field: The spec's field (default: the attribute's own name).
        doc: The attribute's documentation.
        source: The attribute holding the spec (default ``"spec"``; e.g. a mixture's ``"_layout"``).

    Example:
        >>> from polymix_core import MLPSpec
        >>> class Net:
        ...     num_inputs = SpecAttribute[int]()
        ...     def __init__(self):
        ...         self.spec = MLPSpec(3, 1)
        >>> Net().num_inputs
        3
        >>> Net().num_inputs = 4
        Traceback (most recent call last):
        ...
        polymix_core._errors.PolymixTypeError: num_inputs: read-only, a view of Net.spec.num_inputs; build a new ...
    """

    def __init__(self, field: str | None = None, doc: str | None = None, *, source: str = "spec") -> None:
        self.field = field
        self.name = field or ""
        self.source = source
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        if self.field is None:
            self.field = name
        if self.__doc__ is None:
            self.__doc__ = f"``spec.{self.field}`` (read-only)."

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> SpecAttribute[T]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return getattr(getattr(obj, self.source), self.field or self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        cls = type(obj).__name__
        raise PolymixTypeError(f"{self.name}: read-only, a view of {cls}.spec.{self.field}; build a new {cls} instead")
