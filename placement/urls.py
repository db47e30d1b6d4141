"""The workflow's pages and form posts (a child's case page and the role home pages
are desk's)."""

from __future__ import annotations

from django.urls import path

from placement import batch_views, duty_views, link_views, outcome_views, pages, views

urlpatterns = [
    path("duties/<int:duty_id>/done/", duty_views.duty_done, name="duty-done-form"),
    path(
        "placements/<int:placement_id>/missing/", duty_views.missing, name="placement-missing-form"
    ),
    path(
        "placements/<int:placement_id>/returned/",
        duty_views.returned,
        name="placement-returned-form",
    ),
    path("survivors/<int:survivor_id>/waitlist/", views.waitlist, name="survivor-waitlist-form"),
    path(
        "survivors/<int:survivor_id>/keep-apart/",
        views.keep_apart,
        name="survivor-keep-apart-form",
    ),
    path(
        "survivors/<int:survivor_id>/keep-apart/<int:other_id>/end/",
        views.keep_apart_end,
        name="survivor-keep-apart-end-form",
    ),
    path(
        "recommendations/<int:recommendation_id>/",
        pages.recommendation_page,
        name="recommendation-page",
    ),
    path(
        "recommendations/<int:recommendation_id>/review/",
        views.review,
        name="recommendation-review",
    ),
    path(
        "recommendations/<int:recommendation_id>/refer/",
        views.refer,
        name="recommendation-refer-form",
    ),
    path("referrals/<int:referral_id>/", pages.referral_page, name="referral-page"),
    path("referrals/<int:referral_id>/accept/", views.accept, name="referral-accept-form"),
    path("referrals/<int:referral_id>/decline/", views.decline, name="referral-decline-form"),
    path("referrals/<int:referral_id>/place/", views.place, name="referral-place-form"),
    path("referrals/<int:referral_id>/withdraw/", views.withdraw, name="referral-withdraw-form"),
    path(
        "referrals/<int:referral_id>/record-answer/",
        views.record_answer,
        name="referral-record-answer-form",
    ),
    # A referral's single-use answer link, for a home with no Harbor user: no sign-in.
    path("r/<str:token>/", link_views.answer_link_page, name="answer-link"),
    path(
        "placements/<int:placement_id>/discharge/", views.discharge, name="placement-discharge-form"
    ),
    path(
        "placements/<int:placement_id>/follow-ups/",
        outcome_views.follow_up,
        name="placement-follow-up-form",
    ),
    # Mass recovery: place a group by one plan, the MDT reviews it as one.
    path("batches/new/", batch_views.batch_new, name="batch-new"),
    path("batches/<int:batch_id>/", batch_views.batch_page, name="batch-page"),
    path("batches/<int:batch_id>/progress/", batch_views.batch_progress, name="batch-progress"),
    path("batches/<int:batch_id>/cancel/", batch_views.batch_cancel_view, name="batch-cancel-form"),
    path("batches/<int:batch_id>/submit/", batch_views.batch_submit_view, name="batch-submit-form"),
    path("batches/<int:batch_id>/review/", batch_views.batch_review_view, name="batch-review-page"),
    # A group at night: refer all now, waitlist the unplaced, place siblings apart.
    path(
        "batches/<int:batch_id>/crisis-override/",
        batch_views.batch_crisis_view,
        name="batch-crisis-form",
    ),
    path(
        "batches/<int:batch_id>/waitlist/",
        batch_views.batch_waitlist_view,
        name="batch-waitlist-form",
    ),
    path("batches/<int:batch_id>/split/", batch_views.batch_split_view, name="batch-split-form"),
]
