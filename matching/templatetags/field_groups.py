"""A form field as `forms/field.html` draws it (`{{ form.name.as_field_group }}`), built in
Python for the widgets the search pages use: an `<input>` (number, text, a checkbox) and
a group of checkboxes (`CheckboxSelectMultiple`). `{% field_group form.name %}`.

Through the form renderer the search page's three filters were about a third of its
rendering: the field's template, then a template per widget and, for the ten services,
one per checkbox (each a template with an include), every one a new context and a
lookup per variable. Here the same HTML, byte for byte (tests/matching compare it with
the renderer's for bound, unbound and refused forms, in both languages): Django's own
widget context (`get_context`, `subwidgets`) gives the names, values, ids and ARIA
attributes, so nothing of the widget's logic is copied; only its two small templates
(input.html, attrs.html) and field.html are written out, with every value escaped as
the template escapes it. The words are the form's (labels, errors, help texts are its
gettext_lazy strings) and field.html's "(required)", the same msgid.

Anything else (another widget or template, a hidden or initial-carrying field) is drawn
by the renderer as before.
"""

from __future__ import annotations

import html
from typing import Any

from django import forms, template
from django.forms.boundfield import BoundField
from django.forms.widgets import Input
from django.utils.safestring import SafeString
from django.utils.translation import gettext

register = template.Library()

# The input widgets whose template is input.html alone.
_INPUTS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("input", "text", "number", "email", "url", "password", "search", "checkbox")
)
_CHECKBOX_OPTION = "django/forms/widgets/checkbox_option.html"
_FIELD_TEMPLATE = "forms/field.html"


def conditional_escape(value: object) -> str:
    """As the template escapes a variable (django.utils.html.conditional_escape, without
    its lazy wrapper, which cost more than the rest here): safe strings as they are."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html: False left out, True as a bare name."""
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict[str, Any]) -> str:
    """django/forms/widgets/input.html (checkbox.html and the options include it)."""
    value = widget["value"]
    shown = "" if value is None else f' value="{conditional_escape(value)}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}"'
        f' name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _drawn_here(field: BoundField) -> bool:
    widget = field.field.widget
    if field.is_hidden or field.field.show_hidden_initial or field.field.localize:
        return False
    own = getattr(field.field, "template_name", None)  # a field's own template, if any
    if (own or field.form.renderer.field_template_name) != _FIELD_TEMPLATE:
        return False
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return (
            widget.option_template_name == _CHECKBOX_OPTION
            and widget.use_fieldset
            and type(widget).subwidgets is forms.CheckboxSelectMultiple.subwidgets
        )
    return isinstance(widget, Input | forms.CheckboxInput) and widget.template_name in _INPUTS


def _errors(field: BoundField) -> str:
    return conditional_escape(" ").join(conditional_escape(error) for error in field.errors)


def field_group_html(field: BoundField) -> str:
    """What `field.as_field_group()` returns for the widgets above."""
    auto_id = conditional_escape(field.auto_id)
    errors = _errors(field) if field.errors else ""
    help_text = conditional_escape(field.help_text) if field.help_text else ""
    label = conditional_escape(field.label)
    if field.use_fieldset:
        boxes = "".join(
            f'<label class="inline" for="{conditional_escape(box.id_for_label)}">'
            f"{_input(box.data)} {conditional_escape(box.choice_label)}</label>"
            for box in field.subwidgets
        )
        described = field.aria_describedby
        error_class = ' class="has-error"' if errors else ""
        described_by = f' aria-describedby="{described}"' if described else ""
        error_line = f'<p class="error" id="{auto_id}_error">{errors}</p>' if errors else ""
        hint_line = f'<p class="hint" id="{auto_id}_helptext">{help_text}</p>' if help_text else ""
        return (
            f'<fieldset id="{auto_id}"{error_class}{described_by}>\n'
            f"  <legend>{label}</legend>\n"
            f'  <div class="checks">{boxes}</div>\n'
            f"  {error_line}\n"
            f"  {hint_line}\n"
            "</fieldset>"
        )
    widget = field.field.widget
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    drawn = _input(widget.get_context(field.html_name, field.value(), attrs)["widget"])
    for_id = conditional_escape(field.id_for_label)
    if field.widget_type == "checkbox":
        head = f'<label class="inline" for="{for_id}">{drawn} {label}</label>'
    else:
        required = ""
        css = getattr(field.form, "required_css_class", "")
        if field.field.required and css:
            words = conditional_escape(gettext("(required)"))
            required = f' <span class="{conditional_escape(css)}">{words}</span>'
        head = f'<label for="{for_id}">{label}{required}</label>\n  {drawn}'
    error_line = f'<span class="error" id="{auto_id}_error">{errors}</span>' if errors else ""
    hint_line = (
        f'<span class="hint" id="{auto_id}_helptext">{help_text}</span>' if help_text else ""
    )
    return (
        f'<p class="field{" has-error" if errors else ""}">\n'
        f"  {head}\n"
        f"  {error_line}\n"
        f"  {hint_line}\n"
        "</p>"
    )


@register.simple_tag
def field_group(field: BoundField) -> SafeString:
    """`{{ field.as_field_group }}`, without the renderer's templates where it can."""
    if not _drawn_here(field):
        return field.as_field_group()
    return SafeString(field_group_html(field))
