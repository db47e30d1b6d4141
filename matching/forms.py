"""HTML form data to the matching fields, validated by the API's own serializer.

The pages and the API share one set of rules: a form posts the same fields the
JSON body has, so there is one validator and one set of messages.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from homes.vocab import (
    US_STATES,
    Acuity,
    Gender,
    Guardianship,
    MedicalLevel,
    Service,
    SubstanceUse,
    Urgency,
)

ZONE_ROWS = 3

CHOICES = {
    "gender": Gender.choices,
    "guardianship": Guardianship.choices,
    "urgency": Urgency.choices,
    "substance_use": SubstanceUse.choices,
    "medical_level": MedicalLevel.choices,
    "mental_health_acuity": Acuity.choices,
    "runaway_risk": Acuity.choices,
    "services": Service.choices,
    "states": sorted(US_STATES.items()),
}


def _states(text: str) -> list[str]:
    return [part.strip().upper() for part in text.replace(";", ",").split(",") if part.strip()]


def needs_data_from_post(post: QueryDict) -> dict[str, Any]:
    """A JSON-like dict for WhatIfSerializer / survivor services from a posted form.

    Blank inputs are left out (so defaults apply and "required" errors name the
    field); checkboxes become booleans; ICPC states are typed as "KS, NE".
    """
    data: dict[str, Any] = {}
    for name in (
        "age", "date_of_birth", "gender", "guardianship", "custody_state", "residence_zip",
        "urgency", "substance_use", "dependents", "medical_level", "mental_health_acuity",
        "runaway_risk", "primary_language", "max_distance_miles",
    ):  # fmt: skip
        value = post.get(name, "").strip()
        if value:
            data[name] = value
    for name in ("needs_detox", "pregnant"):
        data[name] = post.get(name) in ("on", "true", "1")
    data["services_needed"] = post.getlist("services_needed")
    data["icpc_approved_states"] = _states(post.get("icpc_approved_states", ""))
    zones = []
    for row in range(ZONE_ROWS):
        zip_code = post.get(f"zone_zip_{row}", "").strip()
        radius = post.get(f"zone_radius_{row}", "").strip()
        if zip_code or radius:
            try:
                radius_value: Any = float(radius) if radius else None
            except ValueError:
                radius_value = radius
            zones.append({"zip_code": zip_code, "radius_miles": radius_value})
    data["exclusion_zones"] = zones
    return data


def form_values(data: dict[str, Any]) -> dict[str, Any]:
    """What the form shows again: the same dict, with zones spread over rows."""
    values = dict(data)
    values["icpc_text"] = ", ".join(data.get("icpc_approved_states") or [])
    zones = list(data.get("exclusion_zones") or [])
    values["zone_rows"] = [
        (i, zones[i] if i < len(zones) else {"zip_code": "", "radius_miles": ""})
        for i in range(ZONE_ROWS)
    ]
    return values


FIELD_LABELS = {
    "case_number": "Case number", "first_name": "First name", "last_name": "Last name",
    "date_of_birth": "Date of birth", "age": "Age", "gender": "Gender",
    "guardianship": "Guardianship", "custody_state": "Custody state",
    "icpc_approved_states": "ICPC approved states", "residence_zip": "ZIP where the child is",
    "urgency": "Urgency", "substance_use": "Substance use", "needs_detox": "Needs detox",
    "dependents": "Own children", "medical_level": "Medical needs", "pregnant": "Pregnant",
    "mental_health_acuity": "Mental health acuity", "runaway_risk": "Runaway risk",
    "primary_language": "Primary language", "services_needed": "Services needed",
    "exclusion_zones": "Exclusion zones", "max_distance_miles": "Maximum distance",
    "notes": "Notes", "non_field_errors": "Form", "__all__": "Form",
}  # fmt: skip


def flat_errors(errors: Any) -> dict[str, str]:
    """DRF or Django error structures as one message per field, for the template."""
    flat: dict[str, str] = {}
    for field, messages in dict(errors).items():
        if isinstance(messages, dict):
            messages = [f"{k}: {' '.join(map(str, v))}" for k, v in messages.items()]
        elif isinstance(messages, list) and messages and isinstance(messages[0], dict):
            messages = [
                f"Zone {i + 1}: " + " ".join(" ".join(map(str, v)) for v in item.values())
                for i, item in enumerate(messages)
                if item
            ]
        elif not isinstance(messages, list):
            messages = [messages]
        text = " ".join(str(m) for m in messages)
        flat[field] = text.replace("This field cannot be null.", "This field is required.")
    return flat
