"""The home's answer to a referral: accept (a bed hold that expires, after the rules
are re-checked on the live rows under the home's lock) or decline with a reason."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from core.errors import Conflict, Forbidden
from core.types import Actor
from engine.rules import plural
from homes.services import home_hold_beds, home_release_beds
from notifications.models import Notification
from notifications.services import notification_send
from placement import policy
from placement.models import Referral
from placement.services.common import (
    agency_zone,
    case_of,
    case_workers,
    home_contact,
    lock_visible,
    next_step,
    quoted,
    settle_status,
    when,
)
from placement.services.referrals import referral_close, referral_state
from placement.services.rules import lock_home, rules_check
from placement.services.waitlist import waitlist_recheck_after_commit
from survivors.models import Status, Survivor


@transaction.atomic
def referral_accept(*, actor: Actor, referral_id: int | None, ip: str | None = None) -> Referral:
    """The home accepts: 1 + dependents beds are held until the hold expires.

    Under the home's row lock the rules are re-checked on the live rows (`beds` among
    them), so however many acceptances race, a home never holds more than it has free
    and never takes a child it no longer fits; a loser gets RulesFailed (409). The
    child's other pending referrals are withdrawn.
    """
    survivor, referral = lock_visible(actor, Referral, referral_id)
    if not policy.may_answer(actor, referral):
        raise Forbidden("Only this home's administrators answer its referrals.")
    if referral.status != Referral.Status.PENDING:
        raise Conflict(referral_state(referral), code=f"referral_{referral.status}")
    if survivor.status == Status.PLACED:
        raise Conflict("This child is already placed.", code="already_placed")
    # Lock the child's other referrals before the home: the lock order holds everywhere.
    others = list(
        Referral.objects.select_for_update()
        .filter(survivor=survivor, status=Referral.Status.PENDING)
        .exclude(pk=referral.pk)
        .order_by("id")
    )
    rules_check(survivor=survivor, home=lock_home(referral.home_id), home_side=True)
    home = _hold(actor, survivor, referral)
    audit_record(
        actor=actor,
        action="referral.accept",
        obj=referral,
        survivor_id=survivor.pk,
        before={"status": Referral.Status.PENDING},
        after={
            "status": referral.status,
            "beds": referral.beds,
            "hold_expires_at": referral.hold_expires_at.isoformat(),
        },
        ip=ip,
    )
    for other in others:
        referral_close(
            actor, other, Referral.Status.WITHDRAWN, reason="Another home accepted first.", ip=ip
        )
    until = when(referral.hold_expires_at, agency_zone(survivor))
    notification_send(
        recipients=case_workers(survivor, referral.referred_by),
        kind=Notification.Kind.REFERRAL_ACCEPTED,
        message=(
            f"{home.name} accepted the referral for {case_of(survivor)} and holds "
            f"{plural(referral.beds, 'bed')} until {until}. {home_contact(home)} Arrange the "
            "arrival, then confirm it in Harbor before the hold ends."
        ),
        obj=referral,
    )
    return referral


def _hold(actor: Actor, survivor: Survivor, referral: Referral):
    """Hold 1 + dependents beds at the (locked) home until the hold expires."""
    beds = 1 + survivor.dependents
    home = home_hold_beds(
        actor=actor, home_id=referral.home_id, beds=beds, note={"referral": referral.pk}
    )
    now = timezone.now()
    referral.status = Referral.Status.ACCEPTED
    referral.beds = beds
    referral.answered_at = now
    referral.answered_by = actor
    referral.hold_expires_at = now + datetime.timedelta(hours=settings.REFERRAL_HOLD_HOURS)
    referral.save(update_fields=["status", "beds", "answered_at", "answered_by", "hold_expires_at"])
    return home


def _check_decline(reason_code: str, comment: str) -> None:
    errors = {}
    if reason_code not in Referral.ReasonCode.values:
        errors["reason_code"] = f"Give one of: {', '.join(Referral.ReasonCode.values)}."
    elif reason_code == Referral.ReasonCode.OTHER and not comment:
        errors["comment"] = "Say why, when the reason is other."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def referral_decline(
    *,
    actor: Actor,
    referral_id: int | None,
    reason_code: str,
    comment: str = "",
    ip: str | None = None,
) -> Referral:
    """The home declines with a reason code (and a comment for "other"). A home that
    accepted and can no longer take the child declines too: the held beds come back."""
    survivor, referral = lock_visible(actor, Referral, referral_id)
    if not policy.may_answer(actor, referral):
        raise Forbidden("Only this home's administrators answer its referrals.")
    comment = (comment or "").strip()
    _check_decline(reason_code, comment)
    if referral.status not in Referral.ACTIVE:
        raise Conflict(referral_state(referral), code=f"referral_{referral.status}")
    before = referral.status
    if before == Referral.Status.ACCEPTED:
        home_release_beds(
            actor=actor,
            home_id=referral.home_id,
            beds=referral.beds,
            note={"referral": referral.pk, "why": "declined"},
        )
        waitlist_recheck_after_commit(home_id=referral.home_id)
    now = timezone.now()
    referral.status = Referral.Status.DECLINED
    referral.reason_code = reason_code
    referral.comment = comment
    referral.answered_at = referral.closed_at = now
    referral.answered_by = referral.closed_by = actor
    referral.full_clean()
    referral.save()
    audit_record(
        actor=actor,
        action="referral.decline",
        obj=referral,
        survivor_id=survivor.pk,
        before={"status": before},
        after={"status": referral.status, "reason_code": reason_code},
        ip=ip,
    )
    settle_status(actor, survivor, note=f"Referral {referral.pk} declined", ip=ip)
    said = f" {quoted(comment)}" if comment else ""
    notification_send(
        recipients=case_workers(survivor, referral.referred_by),
        kind=Notification.Kind.REFERRAL_DECLINED,
        message=(
            f"{referral.home.name} declined the referral for {case_of(survivor)}. Reason: "
            f"{referral.get_reason_code_display()}.{said} {next_step(survivor)}"
        ),
        obj=referral,
    )
    return referral
