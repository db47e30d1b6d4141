"""How the pages render a form field: Django's form renderer over the project's templates
(settings.FORM_RENDERER), with one template for every field, `forms/field.html`: its
label ("(required)" where the form marks required fields), the widget, its error and its
hint, under the ids Django names in the widget's aria-describedby. A page writes
`{{ form.name.as_field_group }}`; the form carries the labels, help texts and widget
attributes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.forms.renderers import TemplatesSetting

from core.vocab import TRIBE_NAME_MAX, TRIBES_MAX, clean_tribes, validate_tribes


class FormRenderer(TemplatesSetting):
    """The project's templates (so `templates/forms/` is found) and its one field template."""

    field_template_name = "forms/field.html"


class DatalistInput(forms.TextInput):
    """A text input with a list to pick from (a <datalist>): the browser suggests as the
    person types, and any text may still be typed (the field cleans it). `options` may
    be a function, called when the widget is drawn (names in the page's language)."""

    template_name = "forms/widgets/datalist.html"

    def __init__(
        self,
        *,
        list_id: str,
        options: Sequence[str] | Callable[[], Sequence[str]],
        attrs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(attrs={**(attrs or {}), "list": list_id})
        self.list_id = list_id
        self.options = options if callable(options) else list(options)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        options = self.options() if callable(self.options) else self.options
        context["widget"]["datalist"] = {"id": self.list_id, "options": options}
        return context


class FocusesErrors(forms.BaseForm):
    """A form whose first field with an error takes the focus when the page comes back
    (the sign-in steps: one field, typed again at once)."""

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["autofocus"] = True
                break


class TribesField(forms.CharField):
    """Tribes by name, one a line or separated by semicolons (a tribe's official name
    may hold a comma), kept as a list with spaces collapsed, each once."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", (TRIBE_NAME_MAX + 2) * TRIBES_MAX)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return clean_tribes(text.replace(";", "\n").splitlines())

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        validate_tribes(value)
