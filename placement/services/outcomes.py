"""Placement outcomes: the 30- and 90-day follow-ups (DESIGN.md "Outcomes").

The beat makes each follow-up when its day comes and tells the child's case workers;
one left open FOLLOW_UP_ESCALATE_DAYS goes to the agency's supervisors. A placement
that ended before its day needs no visit: the follow-up is filled from the discharge
reason, and nobody is told. The case worker records (or corrects) an outcome through
`follow_up_record`, from the page or the API.

Every job here is safe to run twice or concurrently: the unique (placement, day)
constraint under `get_or_create`, conditional updates of the once-only stamps, and the
notifications' dedupe keys.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from audit.services import audit_record
from core.errors import Conflict, Forbidden
from core.types import Actor
from notifications.models import Notification
from notifications.services import notification_send
from notifications.texts import count, moment, msg
from placement import policy
from placement.models import FollowUp, Placement
from placement.selectors import (
    FOLLOW_UP_DAYS,
    follow_up_due_at,
    follow_ups_overdue,
    placements_needing_follow_up,
)
from placement.services.common import (
    agency_zone,
    case_text,
    case_workers,
    lock_visible,
    supervisors,
    when,
)
from placement.services.duties import missing_from_outcome

# What a discharge reason says about how the placement ended, as a follow-up outcome.
FROM_DISCHARGE: dict[str, str] = {
    Placement.EndReason.RUNAWAY: FollowUp.Outcome.RUNAWAY,
    Placement.EndReason.DISRUPTION: FollowUp.Outcome.DISRUPTED,
    Placement.EndReason.PLANNED: FollowUp.Outcome.MOVED_PLANNED,
    Placement.EndReason.REUNIFIED: FollowUp.Outcome.MOVED_PLANNED,
    Placement.EndReason.AGED_OUT: FollowUp.Outcome.MOVED_PLANNED,
    Placement.EndReason.OTHER: FollowUp.Outcome.OTHER,
    Placement.EndReason.TRANSFER: FollowUp.Outcome.TRANSFERRED,
}


def _state(follow_up: FollowUp) -> dict[str, Any]:
    return {
        "outcome": follow_up.outcome or None,
        "recorded_at": follow_up.recorded_at.isoformat() if follow_up.recorded_at else None,
        "from_discharge": follow_up.from_discharge,
    }


# --- The beat ---------------------------------------------------------------------------


def follow_ups_create_due(*, now: datetime.datetime | None = None) -> int:
    """Make every follow-up whose day has come; returns how many were made.

    One transaction per follow-up, not one for the run: the first run over a large
    history commits as it goes, and one bad row does not undo the others."""
    now = now or timezone.now()
    return sum(
        _follow_up_create(placement_id=pk, day=day, now=now)
        for day in FOLLOW_UP_DAYS
        for pk in placements_needing_follow_up(day=day, now=now)
    )


@transaction.atomic
def _follow_up_create(*, placement_id: int, day: int, now: datetime.datetime) -> int:
    placement = Placement.objects.select_related("home", "survivor").get(pk=placement_id)
    due_at = follow_up_due_at(placement, day)
    ended_before = placement.ended_at is not None and placement.ended_at < due_at
    defaults: dict[str, Any] = {"due_at": due_at}
    if ended_before:
        defaults.update(
            outcome=FROM_DISCHARGE[placement.end_reason],
            recorded_at=placement.ended_at,
            from_discharge=True,
        )
    # A concurrent run that made it first leaves `created` False here: nothing more to do.
    follow_up, created = FollowUp.objects.get_or_create(
        placement=placement, day=day, defaults=defaults
    )
    if not created:
        return 0
    survivor = placement.survivor
    audit_record(
        actor=None,
        action="follow_up.record" if ended_before else "follow_up.create",
        obj=follow_up,
        survivor_id=survivor.pk,
        after={"placement": placement.pk, "day": day, **_state(follow_up)},
    )
    if ended_before:
        return 1
    notification_send(
        recipients=case_workers(survivor),
        kind=Notification.Kind.FOLLOW_UP_DUE,
        message=msg(
            gettext_noop(
                "Follow-up due: %(days)s at %(home)s (%(case)s). Record how the placement "
                "stands on the child's page."
            ),
            days=count(day, "day"),
            home=placement.home.name,
            case=case_text(survivor),
        ),
        obj=survivor,
        dedupe_key=f"follow_up_due:{follow_up.pk}",
    )
    FollowUp.objects.filter(pk=follow_up.pk).update(reminded_at=now)
    return 1


def follow_ups_chase(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Tell the agency's supervisors of each follow-up still open FOLLOW_UP_ESCALATE_DAYS
    after it fell due, once, as a stalled referral is escalated."""
    now = now or timezone.now()
    overdue = follow_ups_overdue(
        now=now, older_than=datetime.timedelta(days=settings.FOLLOW_UP_ESCALATE_DAYS)
    )
    return {"escalated": sum(_follow_up_escalate(follow_up_id=pk, now=now) for pk in overdue)}


@transaction.atomic
def _follow_up_escalate(*, follow_up_id: int, now: datetime.datetime) -> int:
    # The conditional update is the once-only guard: a second run updates nothing, and a
    # follow-up recorded meanwhile is not escalated.
    if not FollowUp.objects.filter(pk=follow_up_id, outcome="", escalated_at__isnull=True).update(
        escalated_at=now
    ):
        return 0
    follow_up = FollowUp.objects.select_related("placement__home", "placement__survivor").get(
        pk=follow_up_id
    )
    placement = follow_up.placement
    survivor = placement.survivor
    waited = count((now - follow_up.due_at).days, "day")
    notification_send(
        recipients=supervisors(survivor),
        kind=Notification.Kind.FOLLOW_UP_ESCALATED,
        message=msg(
            gettext_noop(
                "The %(day)s-day follow-up at %(home)s (%(case)s) fell due %(when)s and is "
                "still open after %(waited)s: ask the case worker to record it."
            ),
            day=follow_up.day,
            home=placement.home.name,
            case=case_text(survivor),
            when=moment(follow_up.due_at, agency_zone(survivor)),
            waited=waited,
        ),
        obj=survivor,
        dedupe_key=f"follow_up_escalated:{follow_up.pk}",
    )
    audit_record(
        actor=None,
        action="follow_up.escalate",
        obj=follow_up,
        survivor_id=survivor.pk,
        before={"escalated_at": None},
        after={"escalated_at": now.isoformat()},
    )
    return 1


# --- The case worker --------------------------------------------------------------------


def _check(day: Any, outcome: Any) -> int:
    errors = {}
    if day not in FOLLOW_UP_DAYS:
        errors["day"] = gettext("Give one of: %(values)s.") % {
            "values": ", ".join(str(d) for d in FOLLOW_UP_DAYS)
        }
    recordable = [value for value, _ in FollowUp.RECORDABLE]
    if outcome not in recordable:
        errors["outcome"] = gettext("Give one of: %(values)s.") % {"values": ", ".join(recordable)}
    if errors:
        raise ValidationError(errors)
    return int(day)


@transaction.atomic
def follow_up_record(
    *,
    actor: Actor,
    placement_id: int | None,
    day: int,
    outcome: str,
    ip: str | None = None,
) -> tuple[FollowUp, bool]:
    """Record how the placement stood on its 30th or 90th day. Returns the follow-up and
    whether this was its first recording (False: a correction of a recorded outcome,
    the earlier one kept in the audit trail).

    Made here if the beat has not made it yet, so a worker who visits on the day need
    not wait for the hour. The survivor row is locked first, as every workflow service
    does: two recordings of one follow-up at once run one after the other."""
    survivor, placement = lock_visible(actor, Placement, placement_id)
    if not policy.may_record_follow_up(actor, survivor.pk):
        raise Forbidden(
            gettext("Only the child's case workers and their supervisors record follow-ups.")
        )
    day = _check(day, outcome)
    now = timezone.now()
    due_at = follow_up_due_at(placement, day)
    if due_at > now:
        raise Conflict(
            gettext("The %(day)s-day follow-up is not due until %(when)s.")
            % {"day": day, "when": when(due_at, agency_zone(survivor))},
            code="follow_up_not_due",
        )
    follow_up, _ = FollowUp.objects.select_for_update().get_or_create(
        placement=placement, day=day, defaults={"due_at": due_at}
    )
    first = follow_up.open
    before = _state(follow_up)
    follow_up.outcome = outcome
    follow_up.recorded_at = now
    follow_up.recorded_by = actor
    follow_up.from_discharge = False
    follow_up.full_clean()
    follow_up.save(update_fields=["outcome", "recorded_at", "recorded_by", "from_discharge"])
    if outcome == FollowUp.Outcome.RUNAWAY:
        # She ran away and has not been reported missing: the episode and its 24-hour
        # reports start now.
        missing_from_outcome(actor=actor, survivor=survivor, placement=placement, ip=ip)
    audit_record(
        actor=actor,
        action="follow_up.record" if first else "follow_up.correct",
        obj=follow_up,
        survivor_id=survivor.pk,
        before=before,
        after={"placement": placement.pk, "day": day, **_state(follow_up)},
        ip=ip,
    )
    return follow_up, first
