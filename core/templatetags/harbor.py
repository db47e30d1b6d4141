from __future__ import annotations

from django import template

from core import vocab
from core.vocab import COMMITMENT_RULE_LABELS, FIELD_LABELS, HomeType

register = template.Library()


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key, key)


@register.filter
def home_type_label(value: str) -> str:
    try:
        return HomeType(value).label
    except ValueError:
        return value


@register.filter
def rule_label(code: str) -> str:
    return COMMITMENT_RULE_LABELS.get(code, code)


@register.filter
def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace("_", " ").capitalize())


@register.filter
def shown(value) -> str:
    """A snapshot value as a person reads it: yes/no, a dash for nothing, lists joined."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(_CODE_LABELS.get(str(v), str(v)) for v in value)
    return _CODE_LABELS.get(str(value), str(value))


def _code_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for choices in (vocab.Service, vocab.SubstanceUse, vocab.MedicalLevel, vocab.Gender,
                    vocab.Guardianship, vocab.Urgency):  # fmt: skip
        labels.update({value: str(label) for value, label in choices.choices})
    return labels


_CODE_LABELS = _code_labels()


@register.filter
def ago(moment, now=None) -> str:
    """'just now', '3 hours ago', or 'never' for a time that never was."""
    from django.utils.timesince import timesince

    if moment is None:
        return "never"
    text = timesince(moment, now)
    return "just now" if text.startswith("0\xa0minutes") or text == "0 minutes" else f"{text} ago"
