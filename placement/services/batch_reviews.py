"""A batch plan through the workflow: the MDT reviews it as one, approval refers each child.

`batch_submit` turns each assigned line of a done plan into a Recommendation through the
normal service (the same snapshot of needs, home profile, score and breakdown as a case
worker's proposal; the home re-checked as feasible now), linked back to its line, and
sends the plan to the children's MDT team. `batch_review` records one Review per
recommendation through the normal review service (quorum and audit as usual); once the
plan is approved, each approved line is referred through `referral_create`, which
re-checks every rule on the live rows under the lock. What is refused at that moment is
written on its line (`outcome`), told to the case workers, and shown on the page: never
dropped.

Locks: the batch row first (only batch services lock it), then every child of the plan in
id order, then what the normal services lock (the recommendation or referral, the home),
so two transactions never wait on each other's survivors in opposite orders.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop, ngettext

from accounts.models import Role, Team
from audit.services import audit_record
from core.errors import Conflict, DomainError, Forbidden, NotFound, RulesFailed
from core.sentences import message
from core.types import Actor
from engine.rules import plural
from notifications.models import Notification
from notifications.services import notification_send
from notifications.texts import Text, count, msg
from placement import policy
from placement.models import Batch, BatchAssignment, Recommendation, Review
from placement.services.common import case_of, case_text, case_workers, next_step, team_members
from placement.services.recommendations import recommendation_create
from placement.services.referrals import referral_create
from placement.services.reviews import review_create
from placement.services.rules import without_zones
from survivors.models import Survivor

REFERRED = "referred"
NOT_SENT = "Not sent to the MDT"
NOT_REFERRED = "Not referred"
REJECTED = "Rejected by the MDT"


def _lock_batch(batch: Batch) -> Batch:
    return Batch.objects.select_for_update().get(pk=batch.pk)


def _lines(batch: Batch) -> list[BatchAssignment]:
    """The plan's lines in the lock order (survivor id), each child's row locked."""
    lines = list(
        batch.assignments.select_related("survivor", "home", "recommendation").order_by(
            "survivor_id"
        )
    )
    ids = [line.survivor_id for line in lines]
    list(Survivor.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
    return lines


def _plan_team(lines: list[BatchAssignment]) -> int:
    """The one MDT team of the children placed by the plan; Conflict naming the cases
    when one has no team, or when they belong to different teams (the plan goes to one
    team as one review: split the batch per team)."""
    placed = [line for line in lines if line.home_id is not None]
    if not placed:
        raise Conflict(
            gettext("The plan places no child: there is nothing to review."), code="empty_plan"
        )
    no_team: list[str] = []
    teams: dict[int, list[str]] = {}
    for line in placed:
        if line.survivor.team_id is None:
            no_team.append(line.survivor.case_number)
        else:
            teams.setdefault(line.survivor.team_id, []).append(line.survivor.case_number)
    if no_team:
        raise Conflict(
            ngettext(
                "No MDT team reviews %(count)d case (%(cases)s): ask a supervisor to assign one "
                "before sending the plan.",
                "No MDT team reviews %(count)d cases (%(cases)s): ask a supervisor to assign one "
                "before sending the plan.",
                len(no_team),
            )
            % {"count": len(no_team), "cases": ", ".join(no_team)},
            code="no_team",
        )
    if len(teams) > 1:
        parts = "; ".join(f"{team.name}: {', '.join(teams[team.pk])}" for team in _teams(teams))
        raise Conflict(
            gettext(
                "The children belong to different MDT teams, and a plan goes to one team as one "
                "review (%(teams)s). Plan each team's children as a separate group."
            )
            % {"teams": parts},
            code="several_teams",
        )
    return next(iter(teams))


def _teams(teams: dict[int, list[str]]) -> list[Team]:
    return list(Team.objects.filter(pk__in=teams).order_by("name"))


@transaction.atomic
def batch_submit(*, actor: Actor, batch: Batch, ip: str | None = None) -> Batch:
    """Send a done plan to the MDT as one review.

    Each child the plan places becomes a Recommendation through `recommendation_create`
    (the home must still fit the child now; the snapshot is what the MDT reviews). A
    line whose recommendation is refused now (the home no longer fits, the child was
    placed meanwhile, ...) keeps the reason in its `outcome` and the rest go; if none can
    go, nothing is sent (Conflict with the reasons). The children must share one MDT team.
    """
    batch = _lock_batch(batch)
    _check_submittable(actor, batch)
    lines = _lines(batch)
    for line in lines:
        if not policy.may_act_on_case(actor, line.survivor_id):
            raise NotFound()
    team_id = _plan_team(lines)
    sent, refused = _recommend_lines(actor, batch, lines, ip=ip)
    if not sent:
        raise Conflict(
            gettext("No line of the plan can go to the MDT now: %(reasons)s")
            % {"reasons": "; ".join(refused)},
            code="none_sent",
        )
    before = batch.review_status
    batch.review_status = Batch.ReviewStatus.PENDING_REVIEW
    batch.team_id = team_id
    batch.submitted_at = timezone.now()
    batch.save(update_fields=["review_status", "team", "submitted_at"])
    audit_record(
        actor=actor,
        action="batch.submit",
        obj=batch,
        before={"review_status": before},
        after={
            "review_status": batch.review_status,
            "team": team_id,
            "recommendations": sent,
            "not_sent": len(refused),
        },
        ip=ip,
    )
    notification_send(
        recipients=team_members(team_id),
        kind=Notification.Kind.REVIEW_REQUESTED,
        message=msg(
            gettext_noop(
                "A group plan (batch %(batch)s) for %(children)s waits for your review: approve "
                "or reject it as one, on the plan's review page."
            ),
            batch=str(batch.pk),
            children=count(sent, "child"),
        ),
        obj=batch,
    )
    return batch


def _check_submittable(actor: Actor, batch: Batch) -> None:
    if not policy.is_case_side(actor):
        raise Forbidden(gettext("Only case workers and supervisors send a plan to the MDT."))
    if batch.status != Batch.Status.DONE:
        raise Conflict(
            gettext("The plan is not ready (%(status)s).")
            % {"status": batch.get_status_display().lower()},
            code="not_done",
        )
    if batch.review_status != Batch.ReviewStatus.DRAFT:
        raise Conflict(
            gettext("This plan was already sent to the MDT (%(status)s).")
            % {"status": batch.get_review_status_display()},
            code="already_sent",
        )


def _recommend_lines(
    actor: Actor, batch: Batch, lines: list[BatchAssignment], *, ip: str | None
) -> tuple[int, list[str]]:
    """A recommendation for each line that places its child, each in its own savepoint:
    how many went, and why each refused one did not (also written on its line)."""
    rationale = (
        f"Group plan {batch.pk}: {plural(batch.placed_count or 0, 'child', 'children')} placed "
        f"together by {'an optimal' if batch.optimal else 'the best found'} plan (total "
        f"score {batch.total_score}), keeping siblings together and co-victims apart."
    )
    sent, refused = 0, []
    for line in lines:
        if line.home_id is None:
            continue
        try:
            # The reason kept on the line is in English, the API's words (shown in the
            # reader's language through core.sentences.message).
            with translation.override("en"), transaction.atomic():
                recommendation = recommendation_create(
                    actor=actor,
                    survivor_id=line.survivor_id,
                    home_id=line.home_id,
                    rationale=rationale,
                    ip=ip,
                    announce=False,  # the team is told once, of the whole plan
                )
        except (Conflict, ValidationError) as exc:
            line.outcome = f"{NOT_SENT}: {_reason(exc)}"[:500]
            line.save(update_fields=["outcome"])
            refused.append(f"{case_of(line.survivor)}: {message(_reason(exc))}")
            continue
        line.recommendation = recommendation
        line.outcome = ""
        line.save(update_fields=["recommendation", "outcome"])
        sent += 1
    return sent, refused


def _reason(exc: Exception) -> str:
    if isinstance(exc, RulesFailed):
        return "; ".join(f"{item['rule']}: {item['reason']}" for item in without_zones(exc.failed))
    if isinstance(exc, DomainError):
        return exc.reason
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _check_decision(decision: str, comment: str) -> None:
    if decision not in Review.Decision.values:
        raise ValidationError({"decision": gettext("Choose approve or reject.")})
    if decision == Review.Decision.REJECT and not comment:
        raise ValidationError({"comment": gettext("Say why you reject: the case worker reads it.")})


@transaction.atomic
def batch_review(
    *, actor: Actor, batch: Batch, decision: str, comment: str = "", ip: str | None = None
) -> Batch:
    """An MDT member of the plan's team approves or rejects the whole plan at once.

    One Review per recommendation of the plan, through `review_create`: any rejection
    rejects the plan; once every line has its quorum of approvals the plan is approved
    and each approved line is referred (`referral_create`, as the case worker who sent
    the plan, re-checking every rule on the live rows). A refusal then is written on the
    line (`outcome`) with the failed rules and told to the case workers; the rest go.
    """
    comment = (comment or "").strip()
    batch = _lock_batch(batch)
    _check_reviewable(actor, batch)
    _check_decision(decision, comment)
    lines = [
        (line, line.recommendation) for line in _lines(batch) if line.recommendation is not None
    ]
    todo = [
        line
        for line, recommendation in lines
        if recommendation.status == Recommendation.Status.PENDING_REVIEW
        and not recommendation.reviews.filter(reviewer=actor).exists()
    ]
    if not todo:
        raise Conflict(gettext("You have already reviewed this plan."), code="already_reviewed")
    for line in todo:
        review_create(
            actor=actor,
            recommendation_id=line.recommendation_id,
            decision=decision,
            comment=comment,
            ip=ip,
            tell=False,  # the plan's outcome is told once the referrals are sent
        )
    for _, recommendation in lines:
        recommendation.refresh_from_db(fields=["status"])
    before = batch.review_status
    statuses = {recommendation.status for _, recommendation in lines}
    if decision == Review.Decision.REJECT:
        batch.review_status = Batch.ReviewStatus.REJECTED
    elif Recommendation.Status.PENDING_REVIEW not in statuses:
        batch.review_status = Batch.ReviewStatus.APPROVED
    audit_record(
        actor=actor,
        action="batch.review",
        obj=batch,
        before={"review_status": before},
        after={"review_status": batch.review_status, "decision": decision, "lines": len(todo)},
        ip=ip,
    )
    if batch.review_status == before:
        return batch  # more approvals needed: the quorum is the team's
    batch.decided_at = timezone.now()
    batch.save(update_fields=["review_status", "decided_at"])
    if batch.review_status == Batch.ReviewStatus.REJECTED:
        _reject_lines(batch, lines, comment)
    else:
        _refer_all(actor, batch, lines, ip=ip)
    return batch


def _check_reviewable(actor: Actor, batch: Batch) -> None:
    if not (
        getattr(actor, "role", None) == Role.MDT_MEMBER
        and actor.team_id is not None
        and actor.team_id == batch.team_id
    ):
        raise Forbidden(gettext("Only members of the MDT team reviewing this plan review it."))
    if batch.review_status != Batch.ReviewStatus.PENDING_REVIEW:
        raise Conflict(
            gettext("This plan is not waiting for review (%(status)s).")
            % {"status": batch.get_review_status_display()},
            code="not_pending",
        )


def _reject_lines(
    batch: Batch, lines: list[tuple[BatchAssignment, Recommendation]], comment: str
) -> None:
    """The MDT rejected the plan: each line says so, and whoever made the plan hears why."""
    for line, recommendation in lines:
        if line.referral_id is not None:
            # Referred under the crisis override before the review: the case worker is told
            # (below) and decides about the child's placement.
            line.outcome = "Referred under the crisis override; the MDT rejected the plan after"
            line.save(update_fields=["outcome"])
            continue
        rejected = recommendation.status == Recommendation.Status.REJECTED
        line.outcome = REJECTED if rejected else f"{NOT_REFERRED}: the MDT rejected the plan."
        line.save(update_fields=["outcome"])
    _tell_creator(
        batch,
        msg(
            gettext_noop("The MDT rejected group plan %(batch)s: “%(comment)s”."),
            batch=str(batch.pk),
            comment=comment[:200],
        ),
    )


def _refer_all(
    actor: Actor,
    batch: Batch,
    lines: list[tuple[BatchAssignment, Recommendation]],
    *,
    ip: str | None,
) -> None:
    """Refer each approved line, as the case worker who sent the plan; each refusal is
    written on its line and told to the child's case workers."""
    referred, refused = 0, []
    for line, recommendation in lines:
        if line.referral_id is not None:
            continue  # referred already, under the plan's crisis override: reviewed after
        if recommendation.status != Recommendation.Status.APPROVED:
            status = recommendation.get_status_display().lower()
            line.outcome = (
                REJECTED
                if recommendation.status == Recommendation.Status.REJECTED
                else f"{NOT_REFERRED}: the recommendation is {status}."
            )
            line.save(update_fields=["outcome"])
            continue
        try:
            with translation.override("en"), transaction.atomic():  # the line's words
                referral = referral_create(
                    actor=batch.created_by, recommendation_id=recommendation.pk, ip=ip
                )
        except (DomainError, ValidationError) as exc:
            line.outcome = f"{NOT_REFERRED}: {_reason(exc)}"[:500]
            line.save(update_fields=["outcome"])
            refused.append({"survivor": line.survivor_id, "why": _codes(exc)})
            survivor = Survivor.objects.get(pk=line.survivor_id)
            notification_send(
                recipients=case_workers(survivor, batch.created_by),
                kind=Notification.Kind.REVIEW_DONE,
                # The refusal's reason as it was raised (in the approving member's language).
                message=msg(
                    gettext_noop(
                        "The MDT approved group plan %(batch)s, but %(home)s could not be "
                        "referred for %(case)s: %(reason)s. %(next)s"
                    ),
                    batch=str(batch.pk),
                    home=recommendation.home.name,
                    case=case_text(survivor),
                    reason=_reason(exc),
                    next=next_step(survivor),
                ),
                obj=recommendation,
            )
            continue
        line.referral = referral
        line.outcome = REFERRED
        line.save(update_fields=["referral", "outcome"])
        referred += 1
    audit_record(
        actor=actor,
        action="batch.refer",
        obj=batch,
        after={"referred": referred, "refused": refused},
        ip=ip,
    )
    _tell_creator(
        batch,
        msg(
            gettext_noop(
                "The MDT approved group plan %(batch)s: %(referrals)s sent, %(refused)s refused "
                "on the live check (see the plan)."
            ),
            batch=str(batch.pk),
            referrals=count(referred, "referral"),
            refused=len(refused),
        )
        if refused
        else msg(
            gettext_noop("The MDT approved group plan %(batch)s: %(referrals)s sent."),
            batch=str(batch.pk),
            referrals=count(referred, "referral"),
        ),
    )


def _codes(exc: Exception) -> list[str] | str:
    """What the audit keeps of a refusal: rule codes or the error code, no personal data."""
    if isinstance(exc, RulesFailed):
        return [item["rule"] for item in exc.failed]
    if isinstance(exc, DomainError):
        return exc.code
    return "invalid"


def _tell_creator(batch: Batch, message: Text) -> None:
    notification_send(
        recipients=[batch.created_by],
        kind=Notification.Kind.REVIEW_DONE,
        message=message,
        obj=batch,
    )


def batches_to_review(*, user: Actor) -> QuerySet[Batch]:
    """The plans waiting for this MDT member's review (the home page's list)."""
    if getattr(user, "role", None) != Role.MDT_MEMBER or user.team_id is None:
        return Batch.objects.none()
    reviewed = Review.objects.filter(reviewer=user).values("recommendation_id")
    return (
        Batch.objects.filter(team_id=user.team_id, review_status=Batch.ReviewStatus.PENDING_REVIEW)
        .exclude(assignments__recommendation_id__in=reviewed)
        .order_by("submitted_at", "id")
    )
