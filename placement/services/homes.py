"""A change to a home's beds or staff, seen from the workflow: the homes service makes
it (validated, audited, in the availability history), then the waitlist is re-checked
at that home after the commit, so a child waiting for a bed hears of it within seconds.

The pages, the API and the admin that change a home call these, never the homes
services alone; the homes app cannot import the workflow (arrows point down)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from core.types import Actor
from homes.models import Home
from homes.policy import AVAILABILITY_FIELDS
from homes.services import home_update, home_update_availability
from placement.services.waitlist import waitlist_recheck_after_commit


@transaction.atomic
def home_availability_report(
    *,
    actor: Actor,
    home_id: int,
    available_beds: int | None = None,
    staff_on_duty: int | None = None,
) -> Home:
    """A home's admin reports its free beds and/or staff on duty
    (`homes.services.home_update_availability`); the waitlist is re-checked there."""
    home = home_update_availability(
        actor=actor, home_id=home_id, available_beds=available_beds, staff_on_duty=staff_on_duty
    )
    waitlist_recheck_after_commit(home_id=home.pk)
    return home


@transaction.atomic
def home_profile_update(*, actor: Actor, home_id: int, data: dict[str, Any]) -> Home:
    """Edit a home's profile (`homes.services.home_update`); when that changed its free
    beds or staff (a Harbor admin may), the waitlist is re-checked there."""
    # Read under the home's row lock, which home_update takes too: what it changes is
    # exactly the difference from this.
    before = (
        Home.objects.select_for_update()
        .filter(pk=home_id)
        .values_list(*AVAILABILITY_FIELDS)
        .first()
    )
    home = home_update(actor=actor, home_id=home_id, data=data)
    if before != tuple(getattr(home, name) for name in AVAILABILITY_FIELDS):
        waitlist_recheck_after_commit(home_id=home.pk)
    return home
