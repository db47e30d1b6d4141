"""Valid request bodies the API tests share."""

from __future__ import annotations

INTAKE = {
    "case_number": "KS-2026-0042",
    "first_name": "Lena",
    "last_name": "Doe",
    "date_of_birth": "2010-06-01",
    "gender": "female",
    "guardianship": "state",
    "custody_state": "KS",
    "residence_zip": "66101",
    "exclusion_zones": [{"zip_code": "66102", "radius_miles": 15}],
    "notes": "Trafficker known to operate near 66102.",
}


def home_full(world=None, role=None) -> dict:
    return {
        "name": "Harbor Light",
        "home_type": "crisis_stabilization",
        "state": "KS",
        "zip_code": "66101",
        "licensed_beds": 8,
        "available_beds": 3,
        "staff_on_duty": 3,
        "genders_served": ["female", "nonbinary"],
        "languages": ["en", "es"],
        "services": ["trauma_therapy", "education"],
        "intake_24_7": True,
    }


def survivor_full(world, role=None, case_number: str | None = None) -> dict:
    return {
        "case_number": case_number or world.objects["survivor"].case_number,
        "first_name": "Jane",
        "last_name": "Roe",
        "date_of_birth": "2011-03-04",
        "gender": "female",
        "guardianship": "state",
        "custody_state": "KS",
        "icpc_approved_states": ["MO"],
        "residence_zip": "66101",
        "urgency": "crisis",
        "services_needed": ["trauma_therapy"],
        "exclusion_zones": [{"zip_code": "66102", "radius_miles": 10}],
        "notes": "Prefers a female case worker.",
    }
