"""The workflow's records: recommendation, MDT review, referral, placement."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from core.types import RequestUser
from core.vocab import NAME_MAX, PHONE_MAX, GoodCause, validate_phone
from homes.models import Home
from survivors.models import Survivor

# Limits shared by the model fields, the API's serializers and the pages' forms.
TEXT_MAX = 4000  # a rationale, a comment, a justification
CLOSE_REASON_MAX = 300  # why a referral was withdrawn
# A home's answer given off Harbor (by phone, or through its single-use link).
ANSWER_DECISIONS = [("accept", _("Accept")), ("decline", _("Decline"))]


class RecommendationQuerySet(models.QuerySet["Recommendation"]):
    def visible_to(self, user: RequestUser) -> RecommendationQuerySet:
        """Part of a survivor's record: whoever may see the survivor sees these."""
        return self.filter(survivor__in=Survivor.objects.visible_to(user))


class CaseRecordQuerySet(models.QuerySet):
    """Referrals and placements: the case side sees its survivors'; a home admin sees
    those of the homes they run (a referral de-identified until it is accepted)."""

    def visible_to(self, user: RequestUser) -> CaseRecordQuerySet:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_harbor_admin:
            return self.all()
        if user.role == Role.HOME_ADMIN:
            return self.filter(home__in=Home.objects.editable_by(user))
        return self.filter(survivor__in=Survivor.objects.visible_to(user))


# --- The placement workflow ------------------------------------------------------------
#
# recommendation (a case worker proposes a home) -> MDT reviews -> referral to the home
# -> the home accepts (a bed hold that expires) or declines -> placement (arrival) ->
# discharge. Only placement/services/ moves these along; every transition is audited
# and every survivor status change has its StatusChange row.


class Recommendation(models.Model):
    """A case worker's proposal of one home for one survivor, for the MDT to review.

    The snapshot fields freeze what the worker saw when proposing: the survivor's
    matching needs (no identity), the home's profile, and the home's rank, score
    and breakdown in that search. The MDT reviews that, not today's numbers.

    pending_review -> approved (the team's quorum of approvals)
                   -> rejected (any rejection)
                   -> withdrawn (the survivor was placed elsewhere)
    A crisis override sends a referral while pending_review; the review follows, even
    after the child arrived (an arrival never withdraws it), and one left unreviewed
    OVERRIDE_REVIEW_HOURS goes to the agency's supervisors.
    """

    class Status(models.TextChoices):
        PENDING_REVIEW = "pending_review", _("Pending MDT review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    survivor = models.ForeignKey(
        "survivors.Survivor", on_delete=models.PROTECT, related_name="recommendations"
    )
    home = models.ForeignKey("homes.Home", on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    quorum = models.PositiveSmallIntegerField(
        help_text="Approvals needed: the team's quorum when the recommendation was made."
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    rationale = models.TextField(max_length=TEXT_MAX)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING_REVIEW)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    # The snapshot.
    searched_at = models.DateTimeField()
    needs = models.JSONField(encoder=DjangoJSONEncoder)
    home_profile = models.JSONField(encoder=DjangoJSONEncoder)
    rank = models.PositiveIntegerField()
    score = models.FloatField()
    breakdown = models.JSONField()
    distance_miles = models.FloatField(null=True, blank=True)
    stale = models.BooleanField(default=False)
    feasible_count = models.PositiveIntegerField()

    # ICWA (25 U.S.C. 1915(b)): the home's preference tier and the best tier any feasible
    # home had in that search; a home below the best needs good cause (25 CFR 23.132).
    icwa_tier = models.PositiveSmallIntegerField(null=True, blank=True)
    best_icwa_tier = models.PositiveSmallIntegerField(null=True, blank=True)
    good_cause = models.CharField(max_length=30, choices=GoodCause.choices, blank=True)
    good_cause_detail = models.TextField(max_length=TEXT_MAX, blank=True)

    crisis_override = models.BooleanField(default=False)
    crisis_justification = models.TextField(max_length=TEXT_MAX, blank=True)
    crisis_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    crisis_override_at = models.DateTimeField(null=True, blank=True)
    # When the supervisors were told an override was still unreviewed (once).
    review_escalated_at = models.DateTimeField(null=True, blank=True)

    objects = RecommendationQuerySet.as_manager()

    class Meta:
        db_table = "matching_recommendation"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(crisis_override=False) | ~Q(crisis_justification=""),
                name="recommendation_crisis_override_justified",
                violation_error_message="A crisis override needs a justification.",
            ),
            models.UniqueConstraint(
                fields=["survivor", "home"],
                condition=Q(status="pending_review"),
                name="recommendation_one_pending_per_home",
                violation_error_message="This home is already proposed and waiting for review.",
            ),
        ]

    def __str__(self) -> str:
        return f"Recommendation {self.pk}: survivor {self.survivor_id} -> home {self.home_id}"

    def get_absolute_url(self) -> str:
        return reverse("recommendation-page", args=[self.pk])

    @property
    def below_icwa_preference(self) -> bool:
        """The home ranks below a preferred home that could take the child."""
        best = self.best_icwa_tier
        return best is not None and (self.icwa_tier is None or self.icwa_tier > best)


class Review(models.Model):
    """One MDT member's decision on a recommendation: one per member."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(max_length=TEXT_MAX, blank=True)
    after_the_fact = models.BooleanField(
        default=False, help_text="Given after a crisis override had already sent the referral."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "matching_review"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "reviewer"],
                name="review_one_per_member",
                violation_error_message="You have already reviewed this recommendation.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision} by {self.reviewer_id} on {self.recommendation_id}"

    def get_absolute_url(self) -> str:
        return reverse("recommendation-page", args=[self.recommendation_id])

    def clean(self) -> None:
        super().clean()
        if self.decision == self.Decision.REJECT and not self.comment.strip():
            raise ValidationError({"comment": "Say why you reject: the case worker reads it."})


class Referral(models.Model):
    """A recommended home asked to take the child.

    pending -> accepted (beds held until hold_expires_at) -> placed
            |          -> expired (the hold ran out; the beds came back)
            |          -> withdrawn / declined (the hold released)
            -> declined (with a reason code) | withdrawn (another home accepted first,
               or the case worker or the MDT withdrew it)
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the home")
        ACCEPTED = "accepted", _("Accepted: beds held")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Hold expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        PLACED = "placed", _("Placed")

    class ReasonCode(models.TextChoices):
        NO_BED = "no_bed", _("No bed")
        STAFFING = "staffing", _("Staffing")
        CLINICAL_FIT = "clinical_fit", _("Clinical fit")
        SAFETY = "safety", _("Safety")
        ELIGIBILITY = "eligibility", _("Eligibility")
        OTHER = "other", _("Other")

    class Channel(models.TextChoices):
        """How the home's answer reached Harbor."""

        HARBOR = "harbor", _("In Harbor")
        PHONE = "phone", _("Recorded by phone")
        LINK = "link", _("Through the home's single-use link")

    ACTIVE = (Status.PENDING, Status.ACCEPTED)

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, related_name="referrals"
    )
    survivor = models.ForeignKey(
        "survivors.Survivor", on_delete=models.PROTECT, related_name="referrals"
    )
    home = models.ForeignKey("homes.Home", on_delete=models.PROTECT, related_name="referrals")
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    crisis_override = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    beds = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1)], help_text="1 + the child's dependents."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who answered for the home when it was not one of its Harbor users: the person the
    # case worker spoke to (recorded by phone), or who opened the single-use link.
    answer_channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    answered_by_name = models.CharField(max_length=NAME_MAX, blank=True)
    answered_by_phone = models.CharField(
        max_length=PHONE_MAX, blank=True, validators=[validate_phone]
    )
    reason_code = models.CharField(max_length=20, choices=ReasonCode.choices, blank=True)
    comment = models.TextField(max_length=TEXT_MAX, blank=True)
    hold_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    close_reason = models.CharField(max_length=CLOSE_REASON_MAX, blank=True)
    # When the background jobs last chased this referral (each happens once).
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        db_table = "matching_referral"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survivor", "home"],
                condition=Q(status__in=["pending", "accepted"]),
                name="referral_one_active_per_home",
                violation_error_message="This child is already referred to this home.",
            ),
            # A bed is never held twice for one child, whatever the concurrency.
            models.UniqueConstraint(
                fields=["survivor"],
                condition=Q(status="accepted"),
                name="referral_one_hold_per_survivor",
                violation_error_message="Beds are already held for this child.",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(hold_expires_at__isnull=False),
                name="referral_hold_has_expiry",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(reason_code=""),
                name="referral_decline_has_reason",
            ),
            models.CheckConstraint(condition=Q(beds__gte=1), name="referral_beds_positive"),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk}: survivor {self.survivor_id} -> home {self.home_id}"

    def get_absolute_url(self) -> str:
        return reverse("referral-page", args=[self.pk])

    @property
    def off_platform(self) -> bool:
        """Whether the answer came by phone or through the link, not a Harbor user."""
        return self.answer_channel in (self.Channel.PHONE, self.Channel.LINK)

    @property
    def identified(self) -> bool:
        """Whether the home may know who the child is: once it has accepted."""
        return self.status in (self.Status.ACCEPTED, self.Status.PLACED)


class Placement(models.Model):
    """A child living in a home: from arrival (the hold filled) to discharge."""

    class EndReason(models.TextChoices):
        PLANNED = "planned", _("Planned")
        RUNAWAY = "runaway", _("Runaway")
        DISRUPTION = "disruption", _("Disruption")
        REUNIFIED = "reunified", _("Reunified")
        AGED_OUT = "aged_out", _("Aged out")
        OTHER = "other", _("Other")
        # An interim stay ended by the move to a long-term home (never chosen at discharge).
        TRANSFER = "transfer", _("Transferred from the interim stay")

    # What a worker may give at discharge: a transfer is the workflow's, at arrival elsewhere.
    DISCHARGE_REASONS = EndReason.choices[: EndReason.values.index(EndReason.TRANSFER)]

    referral = models.OneToOneField(Referral, on_delete=models.PROTECT, related_name="placement")
    survivor = models.ForeignKey(
        "survivors.Survivor", on_delete=models.PROTECT, related_name="placements"
    )
    home = models.ForeignKey("homes.Home", on_delete=models.PROTECT, related_name="placements")
    beds = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    # At an emergency shelter, for the meantime: the search stays open (DESIGN "Interim
    # stays"). Frozen at arrival: a home retyped later does not rewrite the history.
    interim = models.BooleanField(default=False)
    # The placement a transfer ended this interim one for.
    transferred_to = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transferred_from",
    )
    started_at = models.DateTimeField(auto_now_add=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)
    end_comment = models.TextField(max_length=TEXT_MAX, blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        db_table = "matching_placement"
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survivor"],
                condition=Q(ended_at__isnull=True),
                name="placement_one_active_per_survivor",
                violation_error_message="This child is already placed.",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, end_reason="")
                | (Q(ended_at__isnull=False) & ~Q(end_reason="")),
                name="placement_end_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(end_reason="transfer") | Q(interim=True),
                name="placement_transfer_ends_interim",
                violation_error_message="Only an interim stay ends in a transfer.",
            ),
        ]

    def __str__(self) -> str:
        return f"Placement {self.pk}: survivor {self.survivor_id} at home {self.home_id}"

    def get_absolute_url(self) -> str:
        """The referral it came from shows the placement (arrival, discharge)."""
        return reverse("referral-page", args=[self.referral_id])

    @property
    def active(self) -> bool:
        return self.ended_at is None
