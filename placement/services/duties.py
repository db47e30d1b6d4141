"""The legal duties' writes (placement.models.duties): opened by what happens, completed
by the case worker, warned of before the deadline and escalated after it; and the
episodes of a child missing from care, from the report to her return.

- `duties_open`: after an intake or an edit, the duties the record now calls for (a
  sex-trafficking victim, a foreign national child, an Indian child), each once.
- `missing_start` / `missing_return`: `placements/{id}/missing/` and `.../returned/`; a
  follow-up recorded as "ran away" starts an episode too.
- `duty_complete`: when it was done and the reference number.
- `duties_chase` (beat): the case workers warned DUTY_WARNING_HOURS before a deadline,
  the agency's supervisors told once it has passed.

Every job is once-only per duty (conditional updates of its stamps), so a rerun or two
runs at once change nothing more.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from audit.services import audit_record
from core.errors import Conflict, Forbidden
from core.types import Actor
from notifications.models import Notification
from notifications.services import notification_send
from notifications.texts import choice, joined, moment, msg, sentence
from placement import policy
from placement.models import Duty, MissingEpisode, Placement
from placement.services.common import (
    agency_zone,
    case_text,
    case_workers,
    lock_visible,
    supervisors,
    when,
)
from placement.services.rules import live_failures, lock_home
from survivors.models import Survivor

Kind = Duty.Kind


def duty_hours(survivor: Survivor, kind: str) -> int:
    """The clock of a duty, in hours: the agency's setting (24 h by default)."""
    agency = survivor.agency
    if kind == Kind.TRIBE_NOTICE:
        return agency.tribe_notice_hours
    if kind == Kind.TRAFFICKING_SCREENING:
        return agency.screening_hours
    return agency.duty_hours


def duties_called_for(survivor: Survivor) -> list[str]:
    """The once-per-child duties the record calls for."""
    kinds: list[str] = []
    if survivor.trafficking_type in ("sex", "both"):
        kinds.append(Kind.LAW_ENFORCEMENT_REPORT)
    if survivor.foreign_national:
        kinds.append(Kind.HHS_REQUEST)
    if survivor.indian_child == "yes" or (survivor.indian_child == "unknown" and survivor.tribes):
        kinds.append(Kind.TRIBE_NOTICE)
    return kinds


def _open(
    *,
    actor: Actor | None,
    survivor: Survivor,
    kind: str,
    since: datetime.datetime,
    episode: MissingEpisode | None = None,
    ip: str | None = None,
) -> Duty | None:
    """Open one duty, its clock running from `since`; None when it is open already."""
    due_at = since + datetime.timedelta(hours=duty_hours(survivor, kind))
    try:
        with transaction.atomic():
            duty = Duty.objects.create(
                survivor=survivor, kind=kind, episode=episode, opened_at=since, due_at=due_at
            )
    except IntegrityError:
        return None  # opened already (duty_once_per_child / duty_once_per_episode)
    audit_record(
        actor=actor,
        action="duty.open",
        obj=duty,
        survivor_id=survivor.pk,
        after={"kind": kind, "due_at": due_at.isoformat(), "episode": duty.episode_id},
        ip=ip,
    )
    return duty


def _announce_opened(actor: Actor | None, survivor: Survivor, duties: list[Duty]) -> None:
    if not duties:
        return
    zone = agency_zone(survivor)
    listed = joined(
        [
            msg(
                gettext_noop("%(duty)s by %(when)s"),
                duty=choice(duty.get_kind_display()),
                when=moment(duty.due_at, zone),
            )
            for duty in duties
        ],
        "; ",
    )
    notification_send(
        recipients=case_workers(survivor, actor),
        kind=Notification.Kind.DUTY_OPENED,
        message=msg(
            gettext_noop("%(case)s: due — %(duties)s."), case=case_text(survivor), duties=listed
        ),
        obj=survivor,
    )


@transaction.atomic
def duties_open(*, actor: Actor | None, survivor: Survivor, ip: str | None = None) -> list[Duty]:
    """Open the once-per-child duties the (locked or just saved) record calls for, each
    once: an intake at night with trafficking type "sex" opens the law-enforcement report
    at once, a tribe named the next morning opens the tribe's notice then. Returns the
    duties opened now."""
    now = timezone.now()
    opened = [
        duty
        for kind in duties_called_for(survivor)
        if (duty := _open(actor=actor, survivor=survivor, kind=kind, since=now, ip=ip))
    ]
    _announce_opened(actor, survivor, opened)
    return opened


# --- Completing a duty ---------------------------------------------------------------------


@transaction.atomic
def duty_complete(
    *,
    actor: Actor,
    duty_id: int | None,
    reference: str = "",
    completed_at: datetime.datetime | None = None,
    ip: str | None = None,
) -> Duty:
    """Record that the duty was done, when (by default now; never in the future nor
    before it opened) and the reference number given (the police or NCMEC case, the HHS
    request). Conflict `duty_done` when it was recorded already."""
    survivor, duty = lock_visible(actor, Duty, duty_id)
    if not policy.may_act_on_case(actor, survivor.pk):
        raise Forbidden(_("Only the child's case workers and their supervisors record duties."))
    if duty.completed_at is not None:
        raise Conflict(
            _("This duty was recorded as done on %(when)s.")
            % {"when": when(duty.completed_at, agency_zone(survivor))},
            code="duty_done",
        )
    now = timezone.now()
    completed_at = completed_at or now
    if completed_at > now + datetime.timedelta(minutes=5):
        raise ValidationError({"completed_at": _("The time it was done cannot be in the future.")})
    if completed_at < duty.opened_at - datetime.timedelta(days=1):
        raise ValidationError(
            {"completed_at": _("The time it was done cannot be before the duty arose.")}
        )
    duty.completed_at = completed_at
    duty.completed_by = actor
    duty.recorded_at = now
    duty.reference = (reference or "").strip()
    duty.full_clean()
    duty.save(update_fields=["completed_at", "completed_by", "recorded_at", "reference"])
    audit_record(
        actor=actor,
        action="duty.complete",
        obj=duty,
        survivor_id=survivor.pk,
        before={"status": "open"},
        after={
            "status": "done",
            "completed_at": completed_at.isoformat(),
            "on_time": duty.on_time,
            "reference": "<encrypted>" if duty.reference else "",
        },
        ip=ip,
    )
    return duty


# --- Missing from care -------------------------------------------------------------------


def _start_episode(
    *,
    actor: Actor | None,
    survivor: Survivor,
    placement: Placement,
    started_at: datetime.datetime,
    source: str,
    ip: str | None,
) -> MissingEpisode:
    episode = MissingEpisode.objects.create(
        placement=placement,
        survivor=survivor,
        started_at=started_at,
        reported_by=actor if getattr(actor, "is_authenticated", False) else None,
        source=source,
    )
    audit_record(
        actor=actor,
        action="missing.start",
        obj=episode,
        survivor_id=survivor.pk,
        after={"placement": placement.pk, "started_at": started_at.isoformat(), "source": source},
        ip=ip,
    )
    # The clocks run from when she was found gone, however late it is recorded.
    duties = [
        duty
        for kind in (Kind.MISSING_REPORT_LE, Kind.MISSING_REPORT_NCMEC)
        if (
            duty := _open(
                actor=actor,
                survivor=survivor,
                kind=kind,
                since=started_at,
                episode=episode,
                ip=ip,
            )
        )
    ]
    zone = agency_zone(survivor)
    notification_send(
        recipients=[*case_workers(survivor, actor), *supervisors(survivor)],
        kind=Notification.Kind.CHILD_MISSING,
        message=msg(
            gettext_noop(
                "%(case)s is missing from %(home)s since %(since)s: report to law enforcement "
                "(NCIC) and to NCMEC by %(due)s."
            ),
            case=case_text(survivor),
            home=placement.home.name,
            since=moment(started_at, zone),
            due=moment(duties[0].due_at, zone) if duties else "",
        ),
        obj=survivor,
        dedupe_key=f"child_missing:{episode.pk}",
    )
    return episode


@transaction.atomic
def missing_start(
    *,
    actor: Actor,
    placement_id: int | None,
    missing_since: datetime.datetime | None = None,
    ip: str | None = None,
) -> MissingEpisode:
    """The child is missing from her placement: an episode starts, and the reports to law
    enforcement and NCMEC are due within the agency's hours of `missing_since` (when she
    was found gone; by default now). Conflict `already_missing` while an episode is open,
    `placement_ended` after a discharge."""
    survivor, placement = lock_visible(actor, Placement, placement_id)
    if not policy.may_act_on_case(actor, survivor.pk):
        raise Forbidden(_("Only the child's case workers and their supervisors report this."))
    if placement.ended_at is not None:
        raise Conflict(
            _("This placement ended on %(when)s.")
            % {"when": when(placement.ended_at, agency_zone(survivor))},
            code="placement_ended",
        )
    if MissingEpisode.objects.filter(placement=placement, returned_at__isnull=True).exists():
        raise Conflict(_("This child is already reported missing."), code="already_missing")
    now = timezone.now()
    started_at = missing_since or now
    if started_at > now + datetime.timedelta(minutes=5):
        raise ValidationError({"missing_since": _("This time cannot be in the future.")})
    if started_at < placement.started_at:
        raise ValidationError(
            {"missing_since": _("This time cannot be before the child was placed.")}
        )
    return _start_episode(
        actor=actor,
        survivor=survivor,
        placement=placement,
        started_at=started_at,
        source="report",
        ip=ip,
    )


def missing_from_outcome(
    *, actor: Actor | None, survivor: Survivor, placement: Placement, ip: str | None = None
) -> MissingEpisode | None:
    """A follow-up recorded as "ran away" while the placement is open and no episode is:
    the episode starts now (inside the follow-up's transaction, rows locked)."""
    if placement.ended_at is not None:
        return None
    if MissingEpisode.objects.filter(placement=placement).filter(returned_at__isnull=True).exists():
        return None
    return _start_episode(
        actor=actor,
        survivor=survivor,
        placement=placement,
        started_at=timezone.now(),
        source="outcome",
        ip=ip,
    )


@transaction.atomic
def missing_return(
    *,
    actor: Actor,
    placement_id: int | None,
    found_at: str,
    returned_at: datetime.datetime | None = None,
    ip: str | None = None,
) -> MissingEpisode:
    """The child is back: the open episode ends with where she was found (encrypted), a
    trafficking screening is due within the agency's hours, and the placement is
    re-checked on its live rows before she goes back; if it no longer fits, the episode
    keeps the failed rules and the case workers and supervisors are told to find
    another home. Conflict `not_missing` without an open episode."""
    survivor, placement = lock_visible(actor, Placement, placement_id)
    if not policy.may_act_on_case(actor, survivor.pk):
        raise Forbidden(_("Only the child's case workers and their supervisors record this."))
    episode = (
        MissingEpisode.objects.select_for_update()
        .filter(placement=placement, returned_at__isnull=True)
        .first()
    )
    if episode is None:
        raise Conflict(_("This child is not reported missing."), code="not_missing")
    found_at = (found_at or "").strip()
    if not found_at:
        raise ValidationError({"found_at": _("Say where the child was found.")})
    now = timezone.now()
    returned_at = returned_at or now
    if returned_at > now + datetime.timedelta(minutes=5):
        raise ValidationError({"returned_at": _("This time cannot be in the future.")})
    if returned_at < episode.started_at:
        raise ValidationError({"returned_at": _("She cannot return before she went missing.")})
    home = lock_home(placement.home_id)
    failed = (
        live_failures(survivor, home, held_beds=placement.beds)
        if placement.ended_at is None
        else []
    )
    episode.returned_at = returned_at
    episode.returned_by = actor
    episode.found_at = found_at
    episode.recheck_failed = failed
    episode.full_clean()
    episode.save(update_fields=["returned_at", "returned_by", "found_at", "recheck_failed"])
    audit_record(
        actor=actor,
        action="missing.return",
        obj=episode,
        survivor_id=survivor.pk,
        before={"returned_at": None},
        after={
            "returned_at": returned_at.isoformat(),
            "found_at": "<encrypted>",
            "placement_fits": not failed,
            "failed": [f["rule"] for f in failed],
        },
        ip=ip,
    )
    _open(
        actor=actor,
        survivor=survivor,
        kind=Kind.TRAFFICKING_SCREENING,
        since=returned_at,
        episode=episode,
        ip=ip,
    )
    if failed:
        message = msg(
            gettext_noop(
                "%(case)s is back, but %(home)s no longer fits her: %(reasons)s. Find another "
                "home before she goes back; screen her for trafficking."
            ),
            case=case_text(survivor),
            home=home.name,
            reasons=joined([sentence(f["reason"]) for f in failed], "; "),
        )
    else:
        message = msg(
            gettext_noop("%(case)s is back; %(home)s still fits her. Screen her for trafficking."),
            case=case_text(survivor),
            home=home.name,
        )
    notification_send(
        recipients=[*case_workers(survivor, actor), *supervisors(survivor)],
        kind=Notification.Kind.CHILD_RETURNED,
        message=message,
        obj=survivor,
        dedupe_key=f"child_returned:{episode.pk}",
    )
    return episode


# --- The clocks (beat) ---------------------------------------------------------------------


def duties_chase(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Warn the case workers of each open duty due within DUTY_WARNING_HOURS, once; tell
    the agency's supervisors of each open duty past its deadline, once."""
    now = now or timezone.now()
    warning = datetime.timedelta(hours=settings.DUTY_WARNING_HOURS)
    soon = Duty.objects.open().filter(
        warned_at__isnull=True, due_at__gt=now, due_at__lte=now + warning
    )
    late = Duty.objects.open().filter(escalated_at__isnull=True, due_at__lte=now)
    warned = sum(_warn(duty_id=pk, now=now) for pk in soon.values_list("pk", flat=True))
    escalated = sum(_escalate(duty_id=pk, now=now) for pk in late.values_list("pk", flat=True))
    return {"warned": warned, "escalated": escalated}


def _duty_for_job(duty_id: int, stamp: str, now: datetime.datetime) -> Duty | None:
    """The duty, once: the conditional update of its stamp is the once-only guard, and a
    duty done meanwhile is left alone."""
    if not Duty.objects.filter(
        pk=duty_id, completed_at__isnull=True, **{f"{stamp}__isnull": True}
    ).update(**{stamp: now}):
        return None
    return Duty.objects.select_related("survivor__agency").get(pk=duty_id)


@transaction.atomic
def _warn(*, duty_id: int, now: datetime.datetime) -> int:
    duty = _duty_for_job(duty_id, "warned_at", now)
    if duty is None:
        return 0
    survivor = duty.survivor
    notification_send(
        recipients=case_workers(survivor),
        kind=Notification.Kind.DUTY_DUE,
        message=msg(
            gettext_noop("%(case)s: %(duty)s is due by %(due)s."),
            case=case_text(survivor),
            duty=choice(duty.get_kind_display()),
            due=moment(duty.due_at, agency_zone(survivor)),
        ),
        obj=survivor,
        dedupe_key=f"duty_due:{duty.pk}",
    )
    return 1


@transaction.atomic
def _escalate(*, duty_id: int, now: datetime.datetime) -> int:
    duty = _duty_for_job(duty_id, "escalated_at", now)
    if duty is None:
        return 0
    survivor = duty.survivor
    message = msg(
        gettext_noop(
            "Overdue: %(case)s — %(duty)s was due by %(due)s and is not recorded as done."
        ),
        case=case_text(survivor),
        duty=choice(duty.get_kind_display()),
        due=moment(duty.due_at, agency_zone(survivor)),
    )
    notification_send(
        recipients=[*supervisors(survivor), *case_workers(survivor)],
        kind=Notification.Kind.DUTY_OVERDUE,
        message=message,
        obj=survivor,
        dedupe_key=f"duty_overdue:{duty.pk}",
    )
    audit_record(
        actor=None,
        action="duty.escalate",
        obj=duty,
        survivor_id=survivor.pk,
        before={"escalated_at": None},
        after={"escalated_at": now.isoformat()},
    )
    return 1
