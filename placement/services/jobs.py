"""The workflow's clocks, run by the beat jobs: holds that expire (with a warning
first), referrals left unanswered (a reminder, then the supervisors and the case
worker), crisis overrides the MDT left unreviewed (the supervisors). Each is safe to
run twice or concurrently: row locks and conditional updates make a second run do
nothing."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from audit.services import audit_record
from homes.models import Home
from homes.services import home_admins
from notifications.models import Notification
from notifications.services import notification_send
from notifications.texts import choice, count, moment, msg
from placement.models import Recommendation, Referral
from placement.selectors import (
    holds_expiring_soon,
    holds_to_expire,
    overrides_unreviewed,
    referrals_unanswered,
)
from placement.services.answer_links import answer_link_reissue
from placement.services.common import (
    agency_zone,
    case_text,
    case_workers,
    child_summary,
    home_contact,
    home_zone,
    lock_survivor,
    next_step,
    settle_status,
    supervisors,
    worker_contact,
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
    expires = referral.hold_expires_at
    if referral.status != Referral.Status.ACCEPTED or expires is None or expires > now:
        return False
    referral_close(
        None,
        referral,
        Referral.Status.EXPIRED,
        reason=gettext_noop("The hold ran out before the child arrived."),
        ip=None,
    )
    settle_status(None, survivor, note=f"Hold of referral {referral.pk} expired", ip=None)
    home = Home.objects.get(pk=referral.home_id)
    beds = count(referral.beds, "bed")
    notification_send(
        recipients=case_workers(survivor, referral.referred_by),
        kind=Notification.Kind.HOLD_EXPIRED,
        message=msg(
            gettext_noop(
                "The hold at %(home)s for %(case)s ran out at %(when)s before the arrival was "
                "confirmed: the %(beds)s went back. %(next)s"
            ),
            home=home.name,
            case=case_text(survivor),
            when=moment(referral.hold_expires_at, agency_zone(survivor)),
            beds=beds,
            next=next_step(survivor),
        ),
        obj=referral,
        dedupe_key=f"hold_expired:{referral.pk}",
    )
    # The home no longer knows who the child is (the referral is not accepted any more).
    notification_send(
        recipients=home_admins(home),
        kind=Notification.Kind.HOLD_EXPIRED,
        message=msg(
            gettext_noop(
                "The hold at %(home)s for referral %(referral)s ran out at %(when)s before the "
                "child arrived: the %(beds)s are free again."
            ),
            home=home.name,
            referral=str(referral.pk),
            when=moment(referral.hold_expires_at, home_zone(home)),
            beds=beds,
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
        message=msg(
            gettext_noop(
                "The hold at %(home)s for %(case)s ends at %(when)s: confirm the arrival "
                "before then, or the beds go back. %(contact)s"
            ),
            home=referral.home.name,
            case=case_text(referral.survivor),
            when=moment(referral.hold_expires_at, agency_zone(referral.survivor)),
            contact=home_contact(referral.home),
        ),
        obj=referral,
        dedupe_key=f"hold_expiring:{referral.pk}",
    )
    return 1


def referrals_chase(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The stalled-referral job: remind the home of a referral unanswered after
    REFERRAL_REMINDER_HOURS (a home with no Harbor user gets a fresh answer link); tell
    the agency's supervisors and the child's case workers after
    REFERRAL_ESCALATION_HOURS, with the home's number to call."""
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
    referral = Referral.objects.select_related("home", "survivor", "referred_by").get(
        pk=referral_id
    )
    survivor, home = referral.survivor, referral.home
    waited = count(int((now - referral.created_at).total_seconds() // 3600), "hour")
    if escalate:
        notification_send(
            recipients=supervisors(survivor),
            kind=Notification.Kind.REFERRAL_ESCALATED,
            message=msg(
                gettext_noop(
                    "The referral for %(case)s to %(home)s has had no answer for %(waited)s: "
                    "call the home or refer elsewhere. %(contact)s"
                ),
                case=case_text(survivor),
                home=home.name,
                waited=waited,
                contact=home_contact(home),
            ),
            obj=referral,
            dedupe_key=f"referral_escalated:{referral.pk}",
        )
        # The case worker is the one who can act tonight: they hear it too.
        notification_send(
            recipients=case_workers(survivor, referral.referred_by),
            kind=Notification.Kind.REFERRAL_ESCALATED,
            message=msg(
                gettext_noop(
                    "The referral for %(case)s to %(home)s has had no answer for %(waited)s; "
                    "your supervisors were told. %(contact)s If the home cannot take the "
                    "child, withdraw the referral and refer elsewhere."
                ),
                case=case_text(survivor),
                home=home.name,
                waited=waited,
                contact=home_contact(home),
            ),
            obj=referral,
            dedupe_key=f"referral_stalled:{referral.pk}",
        )
    elif not home_admins(home):
        # Nobody at the home signs in to Harbor: the reminder is a fresh answer link.
        answer_link_reissue(referral=referral, now=now)
    else:
        notification_send(
            recipients=home_admins(home),
            kind=Notification.Kind.REFERRAL_REMINDER,
            message=msg(
                gettext_noop(
                    "Referral %(referral)s to %(home)s has waited %(waited)s for an answer: "
                    "%(child)s needs a bed. Please accept or decline. %(worker)s"
                ),
                referral=str(referral.pk),
                home=home.name,
                waited=waited,
                child=child_summary(survivor),
                worker=worker_contact(referral.referred_by),
            ),
            obj=referral,
            dedupe_key=f"referral_reminder:{referral.pk}",
        )
    return 1


def overrides_chase(*, now: datetime.datetime | None = None) -> int:
    """The unreviewed-override job: a crisis override the MDT has not decided
    OVERRIDE_REVIEW_HOURS after its referral went goes to the agency's supervisors, once
    (whether or not the child has arrived). Returns how many were escalated."""
    now = now or timezone.now()
    older_than = datetime.timedelta(hours=settings.OVERRIDE_REVIEW_HOURS)
    return sum(
        _override_escalate(recommendation_id=pk, now=now)
        for pk in overrides_unreviewed(now=now, older_than=older_than)
    )


@transaction.atomic
def _override_escalate(*, recommendation_id: int, now: datetime.datetime) -> int:
    # The conditional update is the once-only guard: a second run updates nothing.
    if not Recommendation.objects.filter(
        pk=recommendation_id,
        status=Recommendation.Status.PENDING_REVIEW,
        crisis_override=True,
        review_escalated_at__isnull=True,
    ).update(review_escalated_at=now):
        return 0
    recommendation = Recommendation.objects.select_related("home", "survivor", "team").get(
        pk=recommendation_id
    )
    survivor, home = recommendation.survivor, recommendation.home
    referral = recommendation.referrals.order_by("-id").first()
    where = (
        msg(gettext_noop("the child is placed there"))
        if referral is not None and referral.status == Referral.Status.PLACED
        else msg(
            gettext_noop("the referral is %(status)s"),
            status=(
                choice(referral.get_status_display(), lower=True)
                if referral
                else msg(gettext_noop("not sent"))
            ),
        )
    )
    since = recommendation.crisis_override_at or recommendation.created_at
    waited = count(int((now - since).total_seconds() // 3600), "hour")
    notification_send(
        recipients=supervisors(survivor),
        kind=Notification.Kind.OVERRIDE_UNREVIEWED,
        message=msg(
            gettext_noop(
                "The crisis override for %(case)s to %(home)s has waited %(waited)s for the "
                "MDT's review (%(where)s): ask %(team)s to review it."
            ),
            case=case_text(survivor),
            home=home.name,
            waited=waited,
            where=where,
            team=recommendation.team.name,
        ),
        obj=recommendation,
        dedupe_key=f"override_unreviewed:{recommendation.pk}",
    )
    audit_record(
        actor=None,
        action="recommendation.escalate",
        obj=recommendation,
        survivor_id=survivor.pk,
        before={"review_escalated_at": None},
        after={"review_escalated_at": now.isoformat(), "to": "supervisors"},
    )
    return 1
