"""MDT reviews: one per member; any rejection rejects; the team's quorum approves."""

from __future__ import annotations

from django.db import transaction

from audit.services import audit_record
from core.errors import Conflict, Forbidden, NotFound
from core.types import Actor
from notifications.models import Notification
from notifications.services import notification_send
from placement import policy
from placement.models import Recommendation, Referral, Review
from placement.services.common import (
    case_of,
    case_workers,
    lock_visible_survivor,
    next_step,
    quoted,
    settle_status,
    supervisors,
    survivor_id_of,
)
from placement.services.recommendations import recommendation_decide
from placement.services.referrals import referral_close
from placement.services.rules import failures_text, live_failures, without_zones
from survivors.models import Status, Survivor


def _check_may_review(actor: Actor, recommendation: Recommendation) -> None:
    if not policy.may_review(actor, recommendation):
        raise Forbidden("Only members of the MDT team reviewing this case review it.")
    if recommendation.reviews.filter(reviewer=actor).exists():
        raise Conflict("You have already reviewed this recommendation.", code="already_reviewed")
    if recommendation.status != Recommendation.Status.PENDING_REVIEW:
        raise Conflict(
            f"This recommendation is already {recommendation.get_status_display().lower()}.",
            code="already_decided",
        )


@transaction.atomic
def review_create(
    *,
    actor: Actor,
    recommendation_id: int | None,
    decision: str,
    comment: str = "",
    ip: str | None = None,
    tell: bool = True,
) -> Review:
    """An MDT member of the reviewing team approves or rejects (with a comment).

    `tell=False` leaves out the case workers' notice of the review (a group plan's
    approval refers every child at once and tells them what happened, line by line).

    Rejecting a recommendation referred under a crisis override withdraws its
    referrals still waiting for an answer, and tells the supervisors; beds already
    held or a child already placed stay as they are, for the case worker to act on.
    """
    if recommendation_id is None:
        raise NotFound()
    survivor = lock_visible_survivor(actor, survivor_id_of(Recommendation, recommendation_id))
    recommendation = Recommendation.objects.select_for_update().get(pk=recommendation_id)
    _check_may_review(actor, recommendation)
    review = Review(
        recommendation=recommendation,
        reviewer=actor,
        decision=decision,
        comment=(comment or "").strip(),
        after_the_fact=recommendation.crisis_override,
    )
    review.full_clean()
    review.save()
    audit_record(
        actor=actor,
        action="review.create",
        obj=review,
        survivor_id=survivor.pk,
        after={
            "recommendation": recommendation.pk,
            "decision": review.decision,
            "after_the_fact": review.after_the_fact,
        },
        ip=ip,
    )
    if review.decision == Review.Decision.REJECT:
        _reject(actor, survivor, recommendation, ip=ip)
    elif (
        recommendation.reviews.filter(decision=Review.Decision.APPROVE).count()
        >= recommendation.quorum
    ):
        recommendation_decide(actor, recommendation, Recommendation.Status.APPROVED, ip=ip)
    if tell:
        _tell_case_workers(actor, survivor, recommendation, review)
    return review


def _reject(actor: Actor, survivor: Survivor, recommendation: Recommendation, *, ip) -> None:
    recommendation_decide(actor, recommendation, Recommendation.Status.REJECTED, ip=ip)
    if recommendation.crisis_override:
        withdrawn = 0
        for referral in Referral.objects.select_for_update().filter(
            recommendation=recommendation, status=Referral.Status.PENDING
        ):
            referral_close(
                actor,
                referral,
                Referral.Status.WITHDRAWN,
                reason="The MDT rejected the recommendation after the crisis override.",
                ip=ip,
            )
            withdrawn += 1
        review = recommendation.reviews.filter(decision=Review.Decision.REJECT).last()
        said = f" {quoted(review.comment)}" if review is not None else ""
        done = " Its referral was withdrawn." if withdrawn else ""
        notification_send(
            recipients=supervisors(survivor),
            kind=Notification.Kind.REVIEW_DONE,
            message=(
                f"The MDT rejected {recommendation.home.name} for {case_of(survivor)} after "
                f"the child was referred under a crisis override.{said}{done} Review the case "
                f"with the case worker. {next_step(survivor)}"
            ),
            obj=recommendation,
        )
    settle_status(actor, survivor, note=f"Recommendation {recommendation.pk} rejected", ip=ip)


def _outcome(survivor: Survivor, recommendation: Recommendation, review: Review) -> str:
    """What the review means for the case worker, and what they can do now."""
    home = recommendation.home.name
    if recommendation.status == Recommendation.Status.PENDING_REVIEW:
        approvals = recommendation.reviews.filter(decision=Review.Decision.APPROVE).count()
        missing = recommendation.quorum - approvals
        return f"It needs {missing} more approval{'' if missing == 1 else 's'}."
    referral = (
        recommendation.referrals.filter(status__in=[*Referral.ACTIVE, Referral.Status.PLACED])
        .order_by("-id")
        .first()
    )
    if recommendation.status == Recommendation.Status.REJECTED:
        if referral is not None:
            # A crisis override sent it; beds held or a child placed stay for people to decide.
            return (
                f"It is rejected, but the child is already {referral.get_status_display().lower()}"
                f" at {home} under the crisis override: decide with your supervisor."
            )
        return f"It is rejected. {next_step(survivor)}"
    if referral is not None:
        return (
            f"It is approved. The referral already went under the crisis override "
            f"({referral.get_status_display().lower()}): nothing to send."
        )
    if (
        survivor.status == Status.PLACED
        or Referral.objects.filter(survivor=survivor, status=Referral.Status.ACCEPTED).exists()
    ):
        return f"It is approved. {next_step(survivor)}"
    failed = live_failures(survivor, recommendation.home)
    if failed:
        # The referral would be refused (409): say why rather than "send it".
        return (
            f"It is approved, but {home} no longer fits the child "
            f"({failures_text(without_zones(failed))}), so no referral can go: search "
            "again and propose another home."
        )
    return f"It is approved: send the referral to {home}."


def _tell_case_workers(
    actor: Actor, survivor: Survivor, recommendation: Recommendation, review: Review
) -> None:
    verb = "approved" if review.decision == Review.Decision.APPROVE else "rejected"
    said = f" {quoted(review.comment)}" if review.comment else ""
    notification_send(
        recipients=case_workers(survivor, recommendation.proposed_by),
        kind=Notification.Kind.REVIEW_DONE,
        message=(
            f"{actor.get_full_name() or actor.get_username()} (MDT) {verb} "
            f"{recommendation.home.name} for {case_of(survivor)}.{said} "
            f"{_outcome(survivor, recommendation, review)}"
        ),
        obj=recommendation,
    )
