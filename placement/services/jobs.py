"""The workflow's clocks, run by the beat jobs: holds that expire (with a warning
first), referrals left unanswered (a reminder, then the supervisors). Each is safe to
run twice or concurrently: row locks and conditional updates make a second run do
nothing."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from homes.models import Home
from homes.services import home_admins
from notifications.models import Notification
from notifications.services import notification_send
from placement.models import Referral
from placement.selectors import holds_expiring_soon, holds_to_expire, referrals_unanswered
from placement.services.common import (
    case_workers,
    lock_survivor,
    plural,
    settle_status,
    supervisors,
    when,
)
from placement.services.referrals import referral_close


@transaction.atomic
def referral_expire(*, referral_id: int, now: datetime.datetime | None = None) -> bool:
    """Expire one hold that ran out: its beds come back. False if there is nothing to do
    (already expired, placed, withdrawn, or not due yet): safe to run twice."""
    now = now or timezone.now()
    survivor_id = Referral.objects.filter(pk=referral_id).values_list("survivor_id", flat=True)
    survivor = lock_survivor(survivor_id.get())
    referral = Referral.objects.select_for_update().get(pk=referral_id)
    if referral.status != Referral.Status.ACCEPTED or referral.hold_expires_at > now:
        return False
    referral_close(
        None,
        referral,
        Referral.Status.EXPIRED,
        reason="The hold ran out before the child arrived.",
        ip=None,
    )
    settle_status(None, survivor, note=f"Hold of referral {referral.pk} expired", ip=None)
    home = Home.objects.get(pk=referral.home_id)
    notification_send(
        recipients=[*case_workers(survivor, referral.referred_by), *home_admins(home)],
        kind=Notification.Kind.HOLD_EXPIRED,
        message=(
            f"The hold at {home.name} for referral {referral.pk} expired at "
            f"{when(referral.hold_expires_at)} before the child arrived: the "
            f"{plural(referral.beds, 'bed')} went back."
        ),
        obj=referral,
        dedupe_key=f"hold_expired:{referral.pk}",
    )
    return True


def holds_expire(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The hold job: warn of holds expiring soon, then expire those that ran out."""
    now = now or timezone.now()
    warned = 0
    for referral_id in holds_expiring_soon(
        now=now, within=datetime.timedelta(hours=settings.HOLD_WARNING_HOURS)
    ):
        warned += _hold_warn(referral_id=referral_id, now=now)
    expired = sum(referral_expire(referral_id=pk, now=now) for pk in holds_to_expire(now=now))
    return {"warned": warned, "expired": expired}


@transaction.atomic
def _hold_warn(*, referral_id: int, now: datetime.datetime) -> int:
    # The conditional update is the once-only guard: a second run updates nothing.
    if not Referral.objects.filter(
        pk=referral_id, status=Referral.Status.ACCEPTED, expiry_warned_at__isnull=True
    ).update(expiry_warned_at=now):
        return 0
    referral = Referral.objects.select_related("home", "survivor", "referred_by").get(
        pk=referral_id
    )
    notification_send(
        recipients=case_workers(referral.survivor, referral.referred_by),
        kind=Notification.Kind.HOLD_EXPIRING,
        message=(
            f"The hold at {referral.home.name} for survivor {referral.survivor_id} (referral "
            f"{referral.pk}) expires at {when(referral.hold_expires_at)}: confirm the arrival "
            "before then, or the beds go back."
        ),
        obj=referral,
        dedupe_key=f"hold_expiring:{referral.pk}",
    )
    return 1


def referrals_chase(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The stalled-referral job: remind the home of a referral unanswered after
    REFERRAL_REMINDER_HOURS; tell the agency's supervisors after REFERRAL_ESCALATION_HOURS."""
    now = now or timezone.now()
    reminded = sum(
        _referral_chase(referral_id=pk, now=now, escalate=False)
        for pk in referrals_unanswered(
            now=now,
            older_than=datetime.timedelta(hours=settings.REFERRAL_REMINDER_HOURS),
            not_yet="reminded_at",
        )
    )
    escalated = sum(
        _referral_chase(referral_id=pk, now=now, escalate=True)
        for pk in referrals_unanswered(
            now=now,
            older_than=datetime.timedelta(hours=settings.REFERRAL_ESCALATION_HOURS),
            not_yet="escalated_at",
        )
    )
    return {"reminded": reminded, "escalated": escalated}


@transaction.atomic
def _referral_chase(*, referral_id: int, now: datetime.datetime, escalate: bool) -> int:
    stamp = "escalated_at" if escalate else "reminded_at"
    if not Referral.objects.filter(
        pk=referral_id, status=Referral.Status.PENDING, **{f"{stamp}__isnull": True}
    ).update(**{stamp: now}):
        return 0
    referral = Referral.objects.select_related("home", "survivor").get(pk=referral_id)
    waited = int((now - referral.created_at).total_seconds() // 3600)
    if escalate:
        notification_send(
            recipients=supervisors(referral.survivor),
            kind=Notification.Kind.REFERRAL_ESCALATED,
            message=(
                f"Referral {referral.pk} to {referral.home.name} (survivor "
                f"{referral.survivor_id}) has had no answer for {plural(waited, 'hour')}: "
                "call the home or refer elsewhere."
            ),
            obj=referral,
            dedupe_key=f"referral_escalated:{referral.pk}",
        )
    else:
        notification_send(
            recipients=home_admins(referral.home),
            kind=Notification.Kind.REFERRAL_REMINDER,
            message=(
                f"Referral {referral.pk} to {referral.home.name} has waited "
                f"{plural(waited, 'hour')} for an answer: a child needs a bed. Please "
                "accept or decline."
            ),
            obj=referral,
            dedupe_key=f"referral_reminder:{referral.pk}",
        )
    return 1
