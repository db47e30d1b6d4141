"""The matching inputs of the pages' forms and the API's serializers, derived from the
engine's specification of the matching fields (engine/spec.py): a flag, a level or a
whole number the child's record holds becomes the same field with the same choices,
limits and default on the intake page, the what-if page and the API. The fields whose
input differs from what the engine holds (a state list typed as text, a language by
name, exclusion zones) are declared by the form or serializer beside these."""

from __future__ import annotations

import copy
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.utils.serializer_helpers import BindingDict

from core.labels import label
from core.vocab import LEVEL_CHOICES, TRIBE_NAME_MAX, TRIBES_MAX, clean_tribes, validate_tribes
from engine import NEEDS_SPEC
from engine.spec import FieldSpec

# The kinds of field derived here; the others are declared where they are used.
DERIVED_KINDS = ("bool", "level", "int")
# The child's matching inputs of those kinds, in the specification's order.
NEEDS_INPUTS: dict[str, FieldSpec] = {
    name: field for name, field in NEEDS_SPEC.items() if field.input and field.kind in DERIVED_KINDS
}
# Flags a page shows as checkboxes, and the defaults a form fills in when left out.
NEEDS_FLAGS: dict[str, str] = {
    name: label(field.label) for name, field in NEEDS_INPUTS.items() if field.kind == "bool"
}
NEEDS_DEFAULTS: dict[str, Any] = {
    name: field.default for name, field in NEEDS_INPUTS.items() if not field.required
}


def _choices(field: FieldSpec) -> list[tuple[str, str]]:
    return LEVEL_CHOICES[field.levels]


def form_field(field: FieldSpec) -> forms.Field:
    """The page's input for one matching field (never required where it has a default),
    labelled as the specification labels it: a flag is a checkbox, a level a list."""
    if field.kind == "bool":
        return forms.BooleanField(required=False, label=label(field.label))
    if field.kind == "level":
        return forms.ChoiceField(
            choices=_choices(field), required=field.required, label=label(field.label)
        )
    if field.kind == "int":
        return forms.IntegerField(
            min_value=field.minimum,
            max_value=field.maximum,
            required=field.required,
            label=label(field.label),
            # A phone offers digits; min and max come from the limits above.
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        )
    raise ValueError(f"no derived form field for kind {field.kind!r}")


def serializer_field(field: FieldSpec) -> serializers.Field:
    """The API's input for one matching field, with the specification's default."""
    options: dict[str, Any] = {} if field.required else {"default": field.default}
    if field.kind == "bool":
        return serializers.BooleanField(**options)
    if field.kind == "level":
        return serializers.ChoiceField(choices=_choices(field), **options)
    if field.kind == "int":
        return serializers.IntegerField(min_value=field.minimum, max_value=field.maximum, **options)
    raise ValueError(f"no derived serializer field for kind {field.kind!r}")


def needs_form_fields() -> dict[str, forms.Field]:
    """A form's fields for the child's derived matching inputs (new instances)."""
    return {name: form_field(field) for name, field in NEEDS_INPUTS.items()}


def needs_serializer_fields() -> dict[str, serializers.Field]:
    """A serializer's fields for the child's derived matching inputs (new instances)."""
    return {name: serializer_field(field) for name, field in NEEDS_INPUTS.items()}


class TribesSerializerField(serializers.ListField):
    """Tribes by name (the pages' `core.forms.TribesField`): spaces collapsed, each once."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", serializers.CharField(max_length=TRIBE_NAME_MAX))
        kwargs.setdefault("max_length", TRIBES_MAX)
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Tribes by name, e.g. Cherokee Nation.")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[str]:
        names = clean_tribes(super().to_internal_value(data))
        try:
            validate_tribes(names)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return names


class SharedFieldsSerializer(serializers.Serializer):
    """An input serializer whose fields are made and bound once per class, then shared
    by every instance (every request).

    DRF deep-copies every declared field for each instance, and binds each to it:
    measured on the what-if search's validation, copying and binding were about 40 %
    of it (shallow copies already; deep ones, rebuilding each choice field's maps, were
    several times that). A field holds nothing a validation writes to: binding sets its
    name, label and parent once (to a first instance, which validates nothing), its
    validators are made on first use; choices, limits and messages are only read, and
    what a validation makes (values, errors) lives on the instance. A field reads its
    root's `partial` and `context`, the first instance's: so not for a partial update
    or a serializer given a context, which get their own fields as DRF makes them."""

    @cached_property
    def fields(self) -> BindingDict:
        if self.partial or self._context:
            return super().fields
        cls = type(self)
        shared = cls.__dict__.get("_shared_fields")
        if shared is None:
            first = cls()
            shared = BindingDict(first)
            for name, field in first.get_fields().items():
                shared[name] = field
            cls._shared_fields = shared  # type: ignore[attr-defined]
        return shared

    def get_fields(self) -> dict[str, serializers.Field]:
        """The declared fields, for binding: nested serializers deep-copied, as DRF
        does, plain fields shallow-copied (they hold nothing of an instance)."""
        return {
            name: copy.deepcopy(field)
            if isinstance(field, serializers.BaseSerializer)
            else _shallow_copy(field)
            for name, field in self._declared_fields.items()
        }


def _shallow_copy(field: serializers.Field) -> serializers.Field:
    """What copy.copy makes of a field (a new instance sharing its attributes), without
    copy's generic reduce protocol: building the what-if serializer's fields took
    0.45 ms with copy.copy, 0.27 ms so (timeit, min of 7, on a loaded machine)."""
    new = type(field).__new__(type(field))
    new.__dict__.update(field.__dict__)
    return new


# Bases declaring those fields, for the forms and serializers that take a child's matching
# fields: a class built from the specification, which mypy sees as its plain base.
if TYPE_CHECKING:
    NeedsFormBase = forms.Form
    NeedsSerializerBase = SharedFieldsSerializer
else:
    NeedsFormBase = type(forms.Form)("NeedsFormBase", (forms.Form,), needs_form_fields())
    NeedsSerializerBase = type(SharedFieldsSerializer)(
        "NeedsSerializerBase", (SharedFieldsSerializer,), needs_serializer_fields()
    )
