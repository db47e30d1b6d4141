"""Moving a case along through the services, for tests that start mid-workflow."""

from __future__ import annotations

from placement.models import Placement, Recommendation, Referral
from placement.services import (
    recommendation_create,
    referral_accept,
    referral_create,
    referral_place,
    review_create,
)


def recommend(
    worker, survivor, home, rationale: str = "Closest trauma-informed home."
) -> Recommendation:
    return recommendation_create(
        actor=worker, survivor_id=survivor.pk, home_id=home.pk, rationale=rationale
    )


def approved(worker, reviewer, survivor, home) -> Recommendation:
    recommendation = recommend(worker, survivor, home)
    review_create(actor=reviewer, recommendation_id=recommendation.pk, decision="approve")
    recommendation.refresh_from_db()
    return recommendation


def referred(worker, reviewer, survivor, home) -> Referral:
    recommendation = approved(worker, reviewer, survivor, home)
    return referral_create(actor=worker, recommendation_id=recommendation.pk)


def accepted(worker, reviewer, home_admin, survivor, home) -> Referral:
    referral = referred(worker, reviewer, survivor, home)
    return referral_accept(actor=home_admin, referral_id=referral.pk)


def placed(worker, reviewer, home_admin, survivor, home) -> Placement:
    referral = accepted(worker, reviewer, home_admin, survivor, home)
    return referral_place(actor=worker, referral_id=referral.pk)
