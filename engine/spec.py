"""The one specification of the matching fields: each field a rule reads is declared once,
on the engine's dataclasses (`SurvivorNeeds`, `HomeOffer` in `types.py`), with a `spec(...)`
that says what kind of value it holds, how a page labels it, its vocabulary and default,
and which rule reads it. Everything else that lists these fields is derived from here:

- the directory's SQL and numpy columns and the offers built from its rows (matching),
- the batch of columns a directory load writes (`vector.BATCH_FIELDS`),
- the capability rules judged on the whole directory at once (`CAPABILITIES`),
- the matching inputs of the pages' forms and the API's serializers, with their defaults,
- the labels a page and a report show for a field, a rule or a need.

So a rule of the kind "the home takes youth who ..." is one field on each dataclass, the
model fields and their migrations, a check in `rules.py` and its relaxation sentence.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal[
    "id",  # a home's primary key
    "text",  # free text (a home's name)
    "state",  # a USPS state code
    "states",  # a set of USPS state codes
    "zip",  # a 5-digit ZIP code
    "float",  # a number with a fraction (coordinates, miles)
    "int",  # a whole number
    "bool",  # yes or no
    "level",  # one of `levels`, in their order (a rule compares the ranks)
    "tags",  # a set of `levels` (genders served, languages, services)
    "language",  # an ISO 639-1 code
    "date",
    "datetime",
    "zones",  # exclusion zones (a tuple of ExclusionZone)
    "ids",  # a set of homes' primary keys
]


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """What one matching field is. `levels`: the vocabulary of a level, a choice or a
    tag set, in order. `default`: what an input left out means (NO_DEFAULT: required).
    `rule`: the rule that reads the field. On a home's field, `requires` names the
    child's field and value that make this capability necessary ("the home must have
    `accepts_pregnant` when the child is `pregnant`"): such a rule is judged on the whole
    directory from the spec alone. On a child's field, `need` names the need the reports
    count it under and `need_values` the values that flag it (empty: any value but the
    default). `input`: a child's field the forms and the API take as it is (False for
    those computed from other inputs: age, location, the search date)."""

    kind: Kind
    label: str
    levels: tuple[str, ...] = ()
    default: Any = NO_DEFAULT
    rule: str | None = None
    requires: tuple[str, object] | None = None
    need: str | None = None
    need_values: tuple[object, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    input: bool = True

    @property
    def required(self) -> bool:
        return self.default is NO_DEFAULT


def spec(kind: Kind, label: str, *, optional: bool = False, **options: Any) -> Any:
    """A dataclass field carrying its FieldSpec (in `metadata["spec"]`). `optional`: a
    keyword-only argument that takes its `default` when left out (a field added to a
    dataclass its callers build with every field named)."""
    metadata = {"spec": FieldSpec(kind, label, **options)}
    if optional:
        return dataclasses.field(default=options["default"], kw_only=True, metadata=metadata)
    return dataclasses.field(metadata=metadata)


def specs_of(cls: type) -> Mapping[str, FieldSpec]:
    """The FieldSpec of each field of a dataclass, in declaration order."""
    found = {}
    for field in dataclasses.fields(cls):
        if "spec" not in field.metadata:
            raise TypeError(f"{cls.__name__}.{field.name} has no spec(...)")
        found[field.name] = field.metadata["spec"]
    return found


def names_of_kind(specs: Mapping[str, FieldSpec], *kinds: Kind) -> tuple[str, ...]:
    return tuple(name for name, field in specs.items() if field.kind in kinds)


def labels_of(specs: Mapping[str, FieldSpec]) -> dict[str, str]:
    return {name: field.label for name, field in specs.items()}
