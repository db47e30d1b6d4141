"""A change to a survivor's record, seen from the workflow: every open referral and
hold is re-checked against the changed record at once, and one that no longer fits is
withdrawn with the reason (DESIGN.md: "Every commitment re-checks the rules")."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop

from core.types import Actor
from notifications.models import Notification
from notifications.services import notification_send
from notifications.texts import msg
from placement.models import Referral
from placement.services.common import (
    case_text,
    case_workers,
    next_step,
    reasons_text,
    settle_status,
)
from placement.services.duties import duties_open
from placement.services.referrals import referral_close
from placement.services.rules import (
    failures_text,
    for_the_home,
    live_failures,
    lock_home,
    without_zones,
)
from survivors.models import Survivor
from survivors.services import survivor_create, survivor_update


@transaction.atomic
def case_update(
    *, actor: Actor, survivor_id: int, data: dict[str, Any], ip: str | None = None
) -> Survivor:
    """Update the survivor's record (validated and audited by the survivors service),
    then re-check their open referrals and holds under the same locks."""
    survivor = survivor_update(actor=actor, survivor_id=survivor_id, data=data, ip=ip)
    referrals_recheck(actor=actor, survivor=survivor, ip=ip)
    duties_open(actor=actor, survivor=survivor, ip=ip)
    return survivor


@transaction.atomic
def case_create(*, actor: Actor, data: dict[str, Any], ip: str | None = None) -> Survivor:
    """Record an intake (validated and audited by the survivors service) and open the
    legal duties it calls for at once: a sex-trafficking victim's report to law
    enforcement, a foreign national child's HHS request, an Indian child's tribe notice."""
    survivor = survivor_create(actor=actor, data=data, ip=ip)
    duties_open(actor=actor, survivor=survivor, ip=ip)
    return survivor


def referrals_recheck(*, actor: Actor, survivor: Survivor, ip: str | None = None) -> list[Referral]:
    """Withdraw each pending or accepted referral of the (locked) survivor whose home the
    child no longer fits; the home and the case workers are told why. Returns them."""
    withdrawn = []
    for referral in (
        Referral.objects.select_for_update()
        .filter(survivor=survivor, status__in=Referral.ACTIVE)
        .order_by("id")
    ):
        held = referral.beds if referral.status == Referral.Status.ACCEPTED else 0
        home = lock_home(referral.home_id)
        failed = live_failures(survivor, home, held_beds=held)
        if not failed:
            continue
        # The home reads the reason (close_reason, its notification): no zone details.
        changed = f"The child's record changed and {home.name} no longer fits"
        shown = f"{changed}: {failures_text(for_the_home(failed))}."
        referral_close(actor, referral, Referral.Status.WITHDRAWN, reason=shown, ip=ip)
        withdrawn.append((referral, home, failed))
    if withdrawn:
        settle_status(actor, survivor, note="Referrals re-checked after a record change", ip=ip)
    # Told after the status settled, so the next step is what is left.
    for referral, home, failed in withdrawn:
        notification_send(
            recipients=case_workers(survivor, referral.referred_by),
            kind=Notification.Kind.REFERRAL_WITHDRAWN,
            # The reasons last: a long list is what the 500-character cut may shorten.
            # No zone's ZIP: a notification may leave Harbor as an email (the record
            # says which zone, to those who may read it).
            message=msg(
                gettext_noop(
                    "The referral for %(case)s to %(home)s was withdrawn: the child's record "
                    "changed and the home no longer fits. %(next)s Why: %(reasons)s."
                ),
                case=case_text(survivor),
                home=home.name,
                next=next_step(survivor),
                reasons=reasons_text(without_zones(failed)),
            ),
            obj=referral,
        )
    return [referral for referral, _, _ in withdrawn]
