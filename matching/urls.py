from __future__ import annotations

from django.urls import path

from matching import apis, workflow_apis
from notifications import apis as notification_apis

urlpatterns = [
    path("match/", apis.what_if_match, name="match-what-if"),
    path("survivors/<record_id:id>/matches/", apis.survivor_matches, name="survivor-matches"),
    # The placement workflow (DESIGN.md "Workflow").
    path(
        "survivors/<record_id:id>/recommendations/",
        workflow_apis.SurvivorRecommendationsApi.as_view(),
        name="survivor-recommendations",
    ),
    path(
        "survivors/<record_id:id>/waitlist/",
        workflow_apis.SurvivorWaitlistApi.as_view(),
        name="survivor-waitlist",
    ),
    path(
        "recommendations/<record_id:id>/",
        workflow_apis.RecommendationDetailApi.as_view(),
        name="recommendation-detail",
    ),
    path(
        "recommendations/<record_id:id>/reviews/",
        workflow_apis.RecommendationReviewsApi.as_view(),
        name="recommendation-reviews",
    ),
    path(
        "recommendations/<record_id:id>/refer/",
        workflow_apis.RecommendationReferApi.as_view(),
        name="recommendation-refer",
    ),
    path("referrals/", workflow_apis.ReferralListApi.as_view(), name="referral-list"),
    path(
        "referrals/<record_id:id>/",
        workflow_apis.ReferralDetailApi.as_view(),
        name="referral-detail",
    ),
    path(
        "referrals/<record_id:id>/accept/",
        workflow_apis.ReferralAcceptApi.as_view(),
        name="referral-accept",
    ),
    path(
        "referrals/<record_id:id>/decline/",
        workflow_apis.ReferralDeclineApi.as_view(),
        name="referral-decline",
    ),
    path(
        "referrals/<record_id:id>/withdraw/",
        workflow_apis.ReferralWithdrawApi.as_view(),
        name="referral-withdraw",
    ),
    path(
        "referrals/<record_id:id>/place/",
        workflow_apis.ReferralPlaceApi.as_view(),
        name="referral-place",
    ),
    path(
        "placements/<record_id:id>/",
        workflow_apis.PlacementDetailApi.as_view(),
        name="placement-detail",
    ),
    path(
        "placements/<record_id:id>/discharge/",
        workflow_apis.PlacementDischargeApi.as_view(),
        name="placement-discharge",
    ),
    # A user's own notifications (the notifications app), for the workflow's events.
    path(
        "notifications/",
        notification_apis.NotificationListApi.as_view(),
        name="notification-list",
    ),
    path(
        "notifications/unread-count/",
        notification_apis.NotificationUnreadCountApi.as_view(),
        name="notification-unread-count",
    ),
    path(
        "notifications/read-all/",
        notification_apis.NotificationReadAllApi.as_view(),
        name="notification-read-all",
    ),
    path(
        "notifications/<record_id:id>/read/",
        notification_apis.NotificationReadApi.as_view(),
        name="notification-read",
    ),
]
