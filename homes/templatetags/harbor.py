from __future__ import annotations

from django import template

from homes.vocab import HomeType

register = template.Library()

RULE_LABELS = {
    "beds": "Beds",
    "staffing": "Staffing",
    "age": "Age",
    "gender": "Gender",
    "substance_use": "Substance use",
    "detox": "Detox",
    "dependents": "Own children",
    "medical": "Medical",
    "pregnancy": "Pregnancy",
    "mental_health": "Mental health",
    "runaway_risk": "Runaway risk",
    "guardianship": "Guardianship",
    "state_line": "State line / ICPC",
    "exclusion_zone": "Exclusion zone",
    "crisis_intake": "Crisis intake",
}


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
    return RULE_LABELS.get(code, code)
