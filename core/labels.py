"""The engine's English words, translated at the Django boundary.

The engine imports no Django, so its labels (engine.types: the rules', the reported
needs', every matching field's) stay English there; core.vocab and core.inputs hand them
to pages, forms and reports through `label()`, a lazy gettext, so each is read in the
language of the request that shows it. `makemessages` cannot read a variable, so every
one is also written below inside gettext_noop, where it finds them;
tests/core/test_translations.py fails when the engine gains a label this list lacks.
"""

from __future__ import annotations

from typing import cast

from django.utils.translation import gettext_lazy, gettext_noop


def label(text: str) -> str:
    """The engine's English `text`, translated when it is shown (a lazy string: it acts as
    a str wherever a page, a form or a report uses it)."""
    return cast(str, gettext_lazy(text))


ENGINE_LABELS = (
    gettext_noop("Beds"),
    gettext_noop("Staffing"),
    gettext_noop("Age"),
    gettext_noop("Gender"),
    gettext_noop("Substance use"),
    gettext_noop("Detox"),
    gettext_noop("Own children"),
    gettext_noop("Medical"),
    gettext_noop("Pregnancy"),
    gettext_noop("Mental health"),
    gettext_noop("Runaway risk"),
    gettext_noop("Guardianship"),
    gettext_noop("State line / ICPC"),
    gettext_noop("Exclusion zone"),
    gettext_noop("Crisis intake"),
    gettext_noop("License"),
    gettext_noop("Juvenile justice"),
    gettext_noop("Language"),
    gettext_noop("Interpreter needed"),
    gettext_noop("Kept apart"),
    gettext_noop("Homes of children to keep apart from"),
    gettext_noop("Complex medical needs"),
    gettext_noop("High mental-health acuity"),
    gettext_noop("High runaway risk"),
    gettext_noop("Juvenile justice involvement"),
    gettext_noop("Id"),
    gettext_noop("Home name"),
    gettext_noop("Home type"),
    gettext_noop("State"),
    gettext_noop("ZIP code"),
    gettext_noop("Latitude"),
    gettext_noop("Longitude"),
    gettext_noop("Licensed beds"),
    gettext_noop("Available beds"),
    gettext_noop("Staff on duty"),
    gettext_noop("Residents per staff member"),
    gettext_noop("Youngest age served"),
    gettext_noop("Oldest age served"),
    gettext_noop("Genders served"),
    gettext_noop("Substance use accepted"),
    gettext_noop("Detox on site"),
    gettext_noop("Takes parenting youth with their children"),
    gettext_noop("Most children a parenting youth may bring"),
    gettext_noop("Medical care level"),
    gettext_noop("Takes pregnant youth"),
    gettext_noop("Highest mental health acuity served"),
    gettext_noop("Staff secure"),
    gettext_noop("Takes children from other states"),
    gettext_noop("Takes state wards"),
    gettext_noop("Takes placements by parents or guardians"),
    gettext_noop("Takes children 24/7 (crisis intake)"),
    gettext_noop("Takes youth with juvenile justice involvement"),
    gettext_noop("Languages spoken"),
    gettext_noop("Services offered"),
    gettext_noop("Offered to case workers (active)"),
    gettext_noop("Availability updated"),
    gettext_noop("License expires"),
    gettext_noop("Custody state"),
    gettext_noop("ICPC approved states"),
    gettext_noop("Urgency"),
    gettext_noop("Needs detox"),
    gettext_noop("Medical needs"),
    gettext_noop("Pregnant"),
    gettext_noop("Mental health acuity"),
    gettext_noop("Primary language"),
    gettext_noop("Services needed"),
    gettext_noop("Exclusion zones"),
    gettext_noop("Maximum distance"),
    gettext_noop("Search date"),
    gettext_noop("Approved or licensed by the tribes"),
    gettext_noop("ICWA category"),
    gettext_noop("ICWA preference order"),
    gettext_noop("Indian child (ICWA)"),
    gettext_noop("Tribes"),
)
