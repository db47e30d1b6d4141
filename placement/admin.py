from __future__ import annotations

from django.contrib import admin

from core.admin_base import ReadOnlyAdmin
from placement.models import (
    AnswerLink,
    Batch,
    BatchAssignment,
    Duty,
    FollowUp,
    KeepApart,
    MissingEpisode,
    Placement,
    Recommendation,
    Referral,
    Review,
    WaitlistEntry,
    WaitlistOffer,
)


class ReviewInline(admin.TabularInline):
    model = Review
    extra = 0
    can_delete = False
    fields = readonly_fields = ("reviewer", "decision", "comment", "after_the_fact", "created_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Recommendation)
class RecommendationAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "survivor",
        "home",
        "status",
        "score",
        "rank",
        "crisis_override",
        "created_at",
    ]
    list_filter = ["status", "crisis_override", "team"]
    search_fields = ["survivor__case_number", "home__name"]
    list_select_related = ["survivor", "home"]
    date_hierarchy = "created_at"
    inlines = [ReviewInline]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["recommendation", "reviewer", "decision", "after_the_fact", "created_at"]
    list_filter = ["decision", "after_the_fact"]
    search_fields = ["recommendation__survivor__case_number", "reviewer__username"]


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ["id", "survivor", "home", "status", "beds", "hold_expires_at", "created_at"]
    list_filter = ["status", "reason_code", "crisis_override"]
    search_fields = ["survivor__case_number", "home__name"]
    list_select_related = ["survivor", "home"]
    date_hierarchy = "created_at"


@admin.register(Placement)
class PlacementAdmin(ReadOnlyAdmin):
    list_display = ["id", "survivor", "home", "beds", "started_at", "ended_at", "end_reason"]
    list_filter = ["end_reason"]
    search_fields = ["survivor__case_number", "home__name"]
    list_select_related = ["survivor", "home"]


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    """A record: outcomes are recorded through placement.services.outcomes, audited."""

    list_display = ["placement", "day", "due_at", "outcome", "recorded_at", "from_discharge"]
    list_filter = ["day", "outcome", "from_discharge"]
    search_fields = ["placement__survivor__case_number", "placement__home__name"]
    list_select_related = ["placement"]
    date_hierarchy = "due_at"


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdmin):
    list_display = ["survivor", "added_at", "ended_at"]
    search_fields = ["survivor__case_number"]


@admin.register(WaitlistOffer)
class WaitlistOfferAdmin(ReadOnlyAdmin):
    list_display = ["entry", "home", "found_at"]


class BatchAssignmentInline(admin.TabularInline):
    model = BatchAssignment
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "survivor",
        "home",
        "score",
        "reason",
        "recommendation",
        "referral",
        "outcome",
    )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
    """Mass-recovery plans: they move only through placement.services.batches and batch_runs."""

    list_display = [
        "id",
        "agency",
        "created_by",
        "status",
        "progress",
        "placed_count",
        "total_score",
        "optimal",
        "review_status",
        "created_at",
    ]
    list_filter = ["status", "review_status", "optimal", "agency"]
    search_fields = ["created_by__username", "agency__code"]
    list_select_related = ["agency", "created_by"]
    date_hierarchy = "created_at"
    exclude = ["survivors"]
    inlines = [BatchAssignmentInline]


@admin.register(BatchAssignment)
class BatchAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["batch", "survivor", "home", "score", "outcome"]
    search_fields = ["survivor__case_number", "home__name"]
    list_select_related = ["batch", "survivor", "home"]


# Below, the encrypted texts (where a missing child was found, a duty's reference, why two
# children are kept apart) stay off the admin: they are read on the case page, audited.


@admin.register(AnswerLink)
class AnswerLinkAdmin(ReadOnlyAdmin):
    list_display = ["id", "referral", "created_at", "expires_at", "used_at", "email_delivery"]
    exclude = ["token_digest"]
    list_select_related = ["referral"]


@admin.register(Duty)
class DutyAdmin(ReadOnlyAdmin):
    list_display = ["id", "survivor", "kind", "due_at", "completed_at"]
    list_filter = ["kind"]
    exclude = ["reference"]
    search_fields = ["survivor__case_number"]
    list_select_related = ["survivor"]


@admin.register(MissingEpisode)
class MissingEpisodeAdmin(ReadOnlyAdmin):
    list_display = ["id", "survivor", "started_at", "returned_at"]
    exclude = ["found_at"]
    search_fields = ["survivor__case_number"]
    list_select_related = ["survivor"]


@admin.register(KeepApart)
class KeepApartAdmin(ReadOnlyAdmin):
    list_display = ["id", "survivor", "other", "created_at", "ended_at"]
    exclude = ["reason"]
    search_fields = ["survivor__case_number", "other__case_number"]
    list_select_related = ["survivor", "other"]
