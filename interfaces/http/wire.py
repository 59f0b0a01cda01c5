"""The wire spelling of a domain value: its shape defined once, in the domain, with Python names;
HTTP's camelCase names given here.

``@wire`` over ``class Holding(assets.Holding): ...`` makes the body HTTP decodes and encodes:
a Struct named as the class, with the domain value's fields (types, bounds, defaults) in their
order, ``rename="camel"``, and every domain value nested in it spelled so too. To the type
checker it stays the subclass it is written as (a class decorator does not change the type
it sees), so a handler passes its attributes on as the domain value's; at run time it is the
derived Struct, which the OpenAPI document shows under the class's name.
"""

from __future__ import annotations

import functools
import operator
import types
import typing
from typing import Annotated, Any, TypeVar

import msgspec

S = TypeVar("S", bound=type[msgspec.Struct])


def wire(cls: S) -> S:
    """The camelCase Struct of the domain value ``cls`` derives from (see the module's text)."""
    domain = next(base for base in cls.__mro__[1:] if issubclass(base, msgspec.Struct))
    derived = _camel_struct(domain, cls.__struct_config__, cls.__name__, cls.__module__, cls.__doc__ or domain.__doc__)
    return typing.cast(S, derived)


@functools.cache
def _nested(struct: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """A nested domain value's wire Struct, named as it (one whose names are camelCase already,
    as the stored ones are, is itself)."""
    names = zip(struct.__struct_fields__, struct.__struct_encode_fields__, strict=True)
    if not any("_" in name and name == encoded for name, encoded in names):
        return struct
    return _camel_struct(struct, struct.__struct_config__, struct.__name__, struct.__module__, struct.__doc__)


def _camel_struct(
    struct: type[msgspec.Struct], config: msgspec.structs.StructConfig, name: str, module: str, doc: str | None
) -> type[msgspec.Struct]:
    hints = typing.get_type_hints(struct, include_extras=True)
    fields: list[tuple[Any, ...]] = []
    for field in msgspec.structs.fields(struct):
        kind = _spelled(hints[field.name])
        if field.default is not msgspec.NODEFAULT:
            fields.append((field.name, kind, field.default))
        elif field.default_factory is not msgspec.NODEFAULT:
            fields.append((field.name, kind, msgspec.field(default_factory=field.default_factory)))
        else:
            fields.append((field.name, kind))
    derived = msgspec.defstruct(
        name,
        fields,
        module=module,
        rename="camel",
        kw_only=True,
        frozen=config.frozen,
        omit_defaults=config.omit_defaults,
        forbid_unknown_fields=config.forbid_unknown_fields,
    )
    derived.__doc__ = doc
    return derived


def _spelled(kind: Any) -> Any:
    """``kind`` with every Struct in it replaced by its wire Struct."""
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        return _nested(kind)
    origin, arguments = typing.get_origin(kind), typing.get_args(kind)
    if origin is Annotated:
        return Annotated[(_spelled(arguments[0]), *kind.__metadata__)]
    if origin in (typing.Union, types.UnionType):
        return functools.reduce(operator.or_, [_spelled(argument) for argument in arguments])
    if origin is not None and arguments:
        return origin[tuple(_spelled(argument) for argument in arguments)]
    return kind
