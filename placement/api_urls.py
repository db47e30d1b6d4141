"""The workflow's API routes under /api/v1/ (DESIGN.md, public interface)."""

from __future__ import annotations

from django.urls import path

from placement import (
    apis,
    batch_apis,
    duty_apis,
    home_apis,
    match_apis,
    outcome_apis,
    referral_apis,
)

urlpatterns = [
    # A survivor's and a home's record: a change re-checks the workflow (the child's
    # open referrals and holds; the waitlist at the home).
    path("survivors/", apis.CaseListCreateApi.as_view(), name="survivor-list"),
    path("survivors/<record_id:id>/", apis.SurvivorDetailApi.as_view(), name="survivor-detail"),
    path("homes/<record_id:id>/", home_apis.HomeDetailApi.as_view(), name="home-detail"),
    path(
        "homes/<record_id:id>/availability/",
        home_apis.HomeAvailabilityApi.as_view(),
        name="home-availability",
    ),
    # A child's search: the matching rules and the workflow's `keep_apart`.
    path(
        "survivors/<record_id:id>/matches/",
        match_apis.survivor_matches,
        name="survivor-matches",
    ),
    path(
        "survivors/<record_id:id>/matches/excluded/",
        match_apis.survivor_matches_excluded,
        name="survivor-matches-excluded",
    ),
    # Safety across cases (DESIGN.md "Safety across cases").
    path(
        "survivors/<record_id:id>/keep-apart/",
        apis.SurvivorKeepApartApi.as_view(),
        name="survivor-keep-apart",
    ),
    path(
        "survivors/<record_id:id>/keep-apart/<record_id:other_id>/",
        apis.SurvivorKeepApartDetailApi.as_view(),
        name="survivor-keep-apart-end",
    ),
    # The placement workflow (DESIGN.md "Workflow").
    path(
        "survivors/<record_id:id>/recommendations/",
        apis.SurvivorRecommendationsApi.as_view(),
        name="survivor-recommendations",
    ),
    path(
        "survivors/<record_id:id>/waitlist/",
        apis.SurvivorWaitlistApi.as_view(),
        name="survivor-waitlist",
    ),
    path(
        "recommendations/<record_id:id>/",
        apis.RecommendationDetailApi.as_view(),
        name="recommendation-detail",
    ),
    path(
        "recommendations/<record_id:id>/reviews/",
        apis.RecommendationReviewsApi.as_view(),
        name="recommendation-reviews",
    ),
    path(
        "recommendations/<record_id:id>/refer/",
        apis.RecommendationReferApi.as_view(),
        name="recommendation-refer",
    ),
    path("referrals/", referral_apis.ReferralListApi.as_view(), name="referral-list"),
    path(
        "referrals/<record_id:id>/",
        referral_apis.ReferralDetailApi.as_view(),
        name="referral-detail",
    ),
    path(
        "referrals/<record_id:id>/accept/",
        referral_apis.ReferralAcceptApi.as_view(),
        name="referral-accept",
    ),
    path(
        "referrals/<record_id:id>/decline/",
        referral_apis.ReferralDeclineApi.as_view(),
        name="referral-decline",
    ),
    path(
        "referrals/<record_id:id>/record-answer/",
        referral_apis.ReferralRecordAnswerApi.as_view(),
        name="referral-record-answer",
    ),
    path(
        "referrals/<record_id:id>/withdraw/",
        referral_apis.ReferralWithdrawApi.as_view(),
        name="referral-withdraw",
    ),
    path(
        "referrals/<record_id:id>/place/",
        referral_apis.ReferralPlaceApi.as_view(),
        name="referral-place",
    ),
    path(
        "placements/<record_id:id>/",
        referral_apis.PlacementDetailApi.as_view(),
        name="placement-detail",
    ),
    path(
        "placements/<record_id:id>/discharge/",
        referral_apis.PlacementDischargeApi.as_view(),
        name="placement-discharge",
    ),
    path(
        "placements/<record_id:id>/outcomes/",
        outcome_apis.PlacementOutcomesApi.as_view(),
        name="placement-outcomes",
    ),
    # Legal duties with clocks, and a child missing from care (DESIGN.md).
    path("duties/", duty_apis.DutyListApi.as_view(), name="duty-list"),
    path(
        "duties/<record_id:id>/complete/",
        duty_apis.DutyCompleteApi.as_view(),
        name="duty-complete",
    ),
    path(
        "placements/<record_id:id>/missing/",
        duty_apis.PlacementMissingApi.as_view(),
        name="placement-missing",
    ),
    path(
        "placements/<record_id:id>/returned/",
        duty_apis.PlacementReturnedApi.as_view(),
        name="placement-returned",
    ),
    # Mass recovery (DESIGN.md "Mass recovery (batch placement)").
    path("batches/", batch_apis.BatchListApi.as_view(), name="batch-list"),
    path("batches/<record_id:id>/", batch_apis.BatchDetailApi.as_view(), name="batch-detail"),
    path(
        "batches/<record_id:id>/cancel/",
        batch_apis.BatchCancelApi.as_view(),
        name="batch-cancel",
    ),
    # A group at night (as on the plan's page).
    path(
        "batches/<record_id:id>/crisis-override/",
        batch_apis.BatchCrisisOverrideApi.as_view(),
        name="batch-crisis-override",
    ),
    path(
        "batches/<record_id:id>/waitlist/",
        batch_apis.BatchWaitlistApi.as_view(),
        name="batch-waitlist",
    ),
    path("batches/<record_id:id>/split/", batch_apis.BatchSplitApi.as_view(), name="batch-split"),
]
