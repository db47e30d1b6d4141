"""MDT reviews: one per member; any rejection rejects; the team's quorum approves."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from audit.services import audit_record
from core.errors import Conflict, Forbidden, NotFound
from core.types import Actor
from notifications.models import Notification
from notifications.services import notification_send
from notifications.texts import Text, choice, count, joined, msg
from placement import policy
from placement.models import Recommendation, Referral, Review
from placement.services.common import (
    case_text,
    case_workers,
    lock_visible_survivor,
    next_step,
    quoted,
    reasons_text,
    settle_status,
    supervisors,
    survivor_id_of,
)
from placement.services.recommendations import recommendation_decide
from placement.services.referrals import referral_close
from placement.services.rules import live_failures, without_zones
from survivors.models import Status, Survivor


def _check_may_review(actor: Actor, recommendation: Recommendation) -> None:
    if not policy.may_review(actor, recommendation):
        raise Forbidden(_("Only members of the MDT team reviewing this case review it."))
    if recommendation.reviews.filter(reviewer=actor).exists():
        raise Conflict(_("You have already reviewed this recommendation."), code="already_reviewed")
    if recommendation.status != Recommendation.Status.PENDING_REVIEW:
        raise Conflict(
            _("This recommendation is already %(status)s.")
            % {"status": str(recommendation.get_status_display()).lower()},
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
                reason=gettext_noop(
                    "The MDT rejected the recommendation after the crisis override."
                ),
                ip=ip,
            )
            withdrawn += 1
        review = recommendation.reviews.filter(decision=Review.Decision.REJECT).last()
        parts: list[Text] = [
            msg(
                gettext_noop(
                    "The MDT rejected %(home)s for %(case)s after the child was referred "
                    "under a crisis override."
                ),
                home=recommendation.home.name,
                case=case_text(survivor),
            )
        ]
        if review is not None:
            parts.append(quoted(review.comment))
        if withdrawn:
            parts.append(msg(gettext_noop("Its referral was withdrawn.")))
        parts += [msg(gettext_noop("Review the case with the case worker.")), next_step(survivor)]
        notification_send(
            recipients=supervisors(survivor),
            kind=Notification.Kind.REVIEW_DONE,
            message=joined(parts),
            obj=recommendation,
        )
    settle_status(actor, survivor, note=f"Recommendation {recommendation.pk} rejected", ip=ip)


def _outcome(survivor: Survivor, recommendation: Recommendation, review: Review) -> Text:
    """What the review means for the case worker, and what they can do now."""
    home = recommendation.home.name
    if recommendation.status == Recommendation.Status.PENDING_REVIEW:
        approvals = recommendation.reviews.filter(decision=Review.Decision.APPROVE).count()
        missing = recommendation.quorum - approvals
        return msg(gettext_noop("It needs %(approvals)s."), approvals=count(missing, "approval"))
    referral = (
        recommendation.referrals.filter(status__in=[*Referral.ACTIVE, Referral.Status.PLACED])
        .order_by("-id")
        .first()
    )
    if recommendation.status == Recommendation.Status.REJECTED:
        if referral is not None:
            # A crisis override sent it; beds held or a child placed stay for people to decide.
            return msg(
                gettext_noop(
                    "It is rejected, but the child is already %(status)s at %(home)s under the "
                    "crisis override: decide with your supervisor."
                ),
                status=choice(referral.get_status_display(), lower=True),
                home=home,
            )
        return joined([msg(gettext_noop("It is rejected.")), next_step(survivor)])
    if referral is not None:
        return msg(
            gettext_noop(
                "It is approved. The referral already went under the crisis override "
                "(%(status)s): nothing to send."
            ),
            status=choice(referral.get_status_display(), lower=True),
        )
    if (
        survivor.status == Status.PLACED
        or Referral.objects.filter(survivor=survivor, status=Referral.Status.ACCEPTED).exists()
    ):
        return joined([msg(gettext_noop("It is approved.")), next_step(survivor)])
    failed = live_failures(survivor, recommendation.home)
    if failed:
        # The referral would be refused (409): say why rather than "send it".
        return msg(
            gettext_noop(
                "It is approved, but %(home)s no longer fits the child (%(reasons)s), so no "
                "referral can go: search again and propose another home."
            ),
            home=home,
            reasons=reasons_text(without_zones(failed)),
        )
    return msg(gettext_noop("It is approved: send the referral to %(home)s."), home=home)


def _tell_case_workers(
    actor: Actor, survivor: Survivor, recommendation: Recommendation, review: Review
) -> None:
    decided = (
        gettext_noop("%(member)s (MDT) approved %(home)s for %(case)s.")
        if review.decision == Review.Decision.APPROVE
        else gettext_noop("%(member)s (MDT) rejected %(home)s for %(case)s.")
    )
    parts: list[Text] = [
        msg(
            decided,
            member=actor.get_full_name() or actor.get_username(),
            home=recommendation.home.name,
            case=case_text(survivor),
        )
    ]
    if review.comment:
        parts.append(quoted(review.comment))
    parts.append(_outcome(survivor, recommendation, review))
    notification_send(
        recipients=case_workers(survivor, recommendation.proposed_by),
        kind=Notification.Kind.REVIEW_DONE,
        message=joined(parts),
        obj=recommendation,
    )
