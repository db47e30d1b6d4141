"""MDT reviews: one per member; any rejection rejects; the team's quorum approves."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from audit.services import audit_record
from core.errors import Conflict, Forbidden
from notifications.models import Notification
from notifications.services import notification_send
from placement import policy
from placement.models import Recommendation, Referral, Review
from placement.services.common import (
    case_workers,
    lock_visible_survivor,
    settle_status,
    supervisors,
    survivor_id_of,
)
from placement.services.recommendations import recommendation_decide
from placement.services.referrals import referral_close
from survivors.models import Survivor


def _check_may_review(actor: Any, recommendation: Recommendation) -> None:
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
    actor: Any,
    recommendation_id: int | None,
    decision: str,
    comment: str = "",
    ip: str | None = None,
) -> Review:
    """An MDT member of the reviewing team approves or rejects (with a comment).

    Rejecting a recommendation referred under a crisis override withdraws its
    referrals still waiting for an answer, and tells the supervisors; beds already
    held or a child already placed stay as they are, for the case worker to act on.
    """
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
    _tell_case_workers(actor, survivor, recommendation, review)
    return review


def _reject(actor: Any, survivor: Survivor, recommendation: Recommendation, *, ip) -> None:
    recommendation_decide(actor, recommendation, Recommendation.Status.REJECTED, ip=ip)
    if recommendation.crisis_override:
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
        notification_send(
            recipients=supervisors(survivor),
            kind=Notification.Kind.REVIEW_DONE,
            message=(
                f"The MDT rejected recommendation {recommendation.pk} "
                f"({recommendation.home.name}, survivor {survivor.pk}) after it was referred "
                "under a crisis override: review the case."
            ),
            obj=recommendation,
        )
    settle_status(actor, survivor, note=f"Recommendation {recommendation.pk} rejected", ip=ip)


def _tell_case_workers(
    actor: Any, survivor: Survivor, recommendation: Recommendation, review: Review
) -> None:
    outcome = {
        Recommendation.Status.APPROVED: "It is approved: you can refer.",
        Recommendation.Status.REJECTED: "It is rejected.",
    }.get(recommendation.status, "It waits for more reviews.")
    verb = "approved" if review.decision == Review.Decision.APPROVE else "rejected"
    notification_send(
        recipients=case_workers(survivor, recommendation.proposed_by),
        kind=Notification.Kind.REVIEW_DONE,
        message=(
            f"{actor.get_full_name() or actor.get_username()} {verb} recommendation "
            f"{recommendation.pk} ({recommendation.home.name}, survivor {survivor.pk}). "
            f"{outcome}"
        ),
        obj=recommendation,
    )
