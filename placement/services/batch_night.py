"""A group at night (issue 25, item 7): the plan does not wait for the MDT.

- `batch_crisis_override`: every child the plan places is referred at once under one
  recorded crisis override, each through `referral_create` (every rule re-checked on the
  live rows under the lock; a refusal is written on the child's line). The plan goes to
  the MDT as one review all the same, after the fact: each child's recommendation stays
  pending through her arrival (as for one child's override) until the MDT decides.
- `batch_waitlist_unplaced`: the children the plan could not place, waitlisted in one
  action (each through `survivor_waitlist`; one a home still fits is told so).
- `batch_split_group`: siblings no home takes together, placed apart by a recorded
  decision: a new plan of the same children without that group, with the reason.

Locks as in batch_reviews: the batch row, then the children in id order, then what the
normal services lock.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from audit.services import audit_record
from core.errors import Conflict, DomainError, Forbidden, NotFound
from core.types import Actor
from notifications.models import Notification
from notifications.services import notification_send
from notifications.texts import count, msg
from placement import policy
from placement.models import Batch, Recommendation
from placement.services.batch_reviews import (
    NOT_REFERRED,
    REFERRED,
    _lines,
    _lock_batch,
    _plan_team,
    _reason,
    _recommend_lines,
)
from placement.services.batch_runs import batch_queue
from placement.services.common import team_members
from placement.services.referrals import referral_create
from placement.services.waitlist import survivor_waitlist

JUSTIFICATION_MAX = 4000
WAITLISTED = "waitlisted"


def _check_case_side(actor: Actor, batch: Batch, what: str) -> None:
    if not policy.is_case_side(actor):
        raise Forbidden(_("Only case workers and supervisors %(what)s.") % {"what": what})
    if batch.status != Batch.Status.DONE:
        raise Conflict(
            _("The plan is not ready (%(status)s).")
            % {"status": batch.get_status_display().lower()},
            code="not_done",
        )


@transaction.atomic
def batch_crisis_override(
    *, actor: Actor, batch: Batch, justification: str, ip: str | None = None
) -> Batch:
    """Refer every child the plan places now, before the MDT's review, under one recorded
    crisis override (the justification is each child's). The plan is sent to the MDT if
    it was not yet; the MDT reviews it after the fact. Conflict once the MDT decided or
    when nothing could be referred (each line says why)."""
    justification = (justification or "").strip()
    if not justification:
        raise ValidationError(
            {"justification": _("A crisis override needs a justification: the MDT reviews it.")}
        )
    if len(justification) > JUSTIFICATION_MAX:
        raise ValidationError({"justification": _("At most 4000 characters.")})
    batch = _lock_batch(batch)
    _check_case_side(actor, batch, _("refer a group under a crisis override"))
    if batch.crisis_override:
        raise Conflict(_("This plan was already referred under a crisis override."), code="done")
    if batch.review_status not in (Batch.ReviewStatus.DRAFT, Batch.ReviewStatus.PENDING_REVIEW):
        raise Conflict(
            _("The MDT already decided on this plan (%(status)s).")
            % {"status": batch.get_review_status_display()},
            code="decided",
        )
    lines = _lines(batch)
    for line in lines:
        if not policy.may_act_on_case(actor, line.survivor_id):
            raise NotFound()
    now = timezone.now()
    if batch.review_status == Batch.ReviewStatus.DRAFT:
        batch.team_id = _plan_team(lines)
        _recommend_lines(actor, batch, lines, ip=ip)
        batch.review_status = Batch.ReviewStatus.PENDING_REVIEW
        batch.submitted_at = now
    referred, refused = 0, 0
    for line in lines:
        recommendation = line.recommendation
        if (
            recommendation is None
            or line.referral_id is not None
            or recommendation.status != Recommendation.Status.PENDING_REVIEW
        ):
            continue
        try:
            with translation.override("en"), transaction.atomic():  # the line's words
                referral = referral_create(
                    actor=actor,
                    recommendation_id=recommendation.pk,
                    crisis_override=True,
                    justification=justification,
                    ip=ip,
                )
        except (DomainError, ValidationError) as exc:
            line.outcome = f"{NOT_REFERRED}: {_reason(exc)}"[:500]
            line.save(update_fields=["outcome"])
            refused += 1
            continue
        line.referral = referral
        line.outcome = REFERRED
        line.save(update_fields=["referral", "outcome"])
        referred += 1
    if not referred:
        raise Conflict(
            _("No child of the plan could be referred now: each line says why."),
            code="none_referred",
        )
    batch.crisis_override = True
    batch.crisis_justification = justification
    batch.crisis_override_by = actor
    batch.crisis_override_at = now
    batch.save(
        update_fields=[
            "crisis_override", "crisis_justification", "crisis_override_by",
            "crisis_override_at", "review_status", "team", "submitted_at",
        ]
    )  # fmt: skip
    audit_record(
        actor=actor,
        action="batch.crisis_override",
        obj=batch,
        after={"referred": referred, "refused": refused, "justification": justification},
        ip=ip,
    )
    assert batch.team_id is not None  # set when the plan was sent (just now or before)
    notification_send(
        recipients=team_members(batch.team_id),
        kind=Notification.Kind.REVIEW_REQUESTED,
        message=msg(
            gettext_noop(
                "Crisis: group plan %(batch)s was referred under a crisis override before your "
                "review (%(children)s): please review the plan after the fact, as one."
            ),
            batch=str(batch.pk),
            children=count(referred, "child"),
        ),
        obj=batch,
    )
    return batch


@transaction.atomic
def batch_waitlist_unplaced(*, actor: Actor, batch: Batch, ip: str | None = None) -> Batch:
    """Waitlist, in one action, each child the plan could not place. A child a home still
    fits (a bed the plan gave another child, then freed) is not waitlisted: her line says
    so. Conflict when the plan left no child unplaced."""
    batch = _lock_batch(batch)
    _check_case_side(actor, batch, _("waitlist the children of a group"))
    lines = [line for line in _lines(batch) if line.home_id is None]
    for line in lines:
        if not policy.may_act_on_case(actor, line.survivor_id):
            raise NotFound()
    todo = [line for line in lines if line.outcome != WAITLISTED]
    if not todo:
        raise Conflict(_("No child of this plan is left to waitlist."), code="nothing_to_do")
    done = 0
    for line in todo:
        try:
            with translation.override("en"), transaction.atomic():  # the line's words
                survivor_waitlist(actor=actor, survivor_id=line.survivor_id, ip=ip)
        except (DomainError, ValidationError) as exc:
            line.outcome = f"Not waitlisted: {_reason(exc)}"[:500]
        else:
            line.outcome = WAITLISTED
            done += 1
        line.save(update_fields=["outcome"])
    audit_record(
        actor=actor,
        action="batch.waitlist",
        obj=batch,
        after={"waitlisted": done, "not_waitlisted": len(todo) - done},
        ip=ip,
    )
    return batch


@transaction.atomic
def batch_split_group(
    *, actor: Actor, batch: Batch, group: int, reason: str, ip: str | None = None
) -> Batch:
    """Place apart the siblings of keep-together group `group` (1-based, as the page
    numbers them) that no home takes together: a new plan of the same children without
    that group, recording who decided, when and why. Only a group the plan left unplaced
    may be split."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the siblings may be placed apart.")})
    batch = _lock_batch(batch)
    _check_case_side(actor, batch, _("split a group of siblings"))
    if not 1 <= group <= len(batch.keep_together):
        raise ValidationError({"group": _("No such group in this plan.")})
    members = batch.keep_together[group - 1]
    lines = {line.survivor_id: line for line in _lines(batch)}
    for child in members:
        if not policy.may_act_on_case(actor, child):
            raise NotFound()
    if any(lines[child].home_id is not None for child in members if child in lines):
        raise Conflict(
            _("The plan places this group together: there is nothing to split."),
            code="placed_together",
        )
    split = Batch(
        agency_id=batch.agency_id,
        created_by=actor,
        keep_together=[g for i, g in enumerate(batch.keep_together, start=1) if i != group],
        keep_apart=batch.keep_apart,
        pins=batch.pins,
        excluded_homes=batch.excluded_homes,
        time_limit_seconds=batch.time_limit_seconds,
        task_id=str(uuid.uuid4()),
        progress_note="Waiting to start",
        split_from=batch,
        split_reason=reason,
    )
    split.full_clean()
    split.save()
    split.survivors.set(list(batch.survivors.values_list("pk", flat=True)))
    audit_record(
        actor=actor,
        action="batch.split_siblings",
        obj=split,
        after={"from": batch.pk, "group": len(members), "reason": reason},
        ip=ip,
    )
    for child in members:
        audit_record(
            actor=actor,
            action="batch.split_siblings",
            obj=split,
            survivor_id=child,
            after={"from": batch.pk, "reason": reason},
            ip=ip,
        )
    transaction.on_commit(lambda: batch_queue(split))
    return split
