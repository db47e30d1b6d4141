from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from accounts.models import Role, User
from audit.models import AuditEntry, Outcome
from audit.services import audit_record
from homes.models import Home
from homes.services import (
    PROFILE_FIELDS,
    home_admins,
    home_fill_held_beds,
    home_free_beds,
    home_hold_beds,
    home_release_beds,
)
from matching.engine import MatchResult, SurvivorNeeds
from matching.models import (
    MatchSearch,
    Placement,
    Recommendation,
    Referral,
    Review,
    WaitlistEntry,
    WaitlistOffer,
)
from matching.selectors import (
    holds_expiring_soon,
    holds_to_expire,
    home_failures,
    home_rank,
    match_needs,
    may_act_for_survivor,
    may_answer_referral,
    may_review,
    needs_of_survivor,
    placement_scope,
    referral_scope,
    referrals_unanswered,
    waitlist_open_entries,
)
from notifications.models import Notification
from notifications.services import notification_send
from placement.errors import Conflict, Forbidden, NotFound
from survivors.models import Status, Survivor
from survivors.services import survivor_set_status


def _needs_snapshot(needs: SurvivorNeeds) -> dict[str, Any]:
    """The matching inputs as JSON; no identity is part of SurvivorNeeds."""
    snapshot = dataclasses.asdict(needs)
    for key, value in snapshot.items():
        if isinstance(value, frozenset):
            snapshot[key] = sorted(value)
    snapshot["exclusion_zones"] = [
        {"zip_code": z.zip_code, "radius_miles": z.radius_miles} for z in needs.exclusion_zones
    ]
    # Coordinates are the residence ZIP's centroid; the ZIP itself stays on the survivor.
    snapshot.pop("latitude")
    snapshot.pop("longitude")
    return snapshot


@transaction.atomic
def search_record(
    *,
    actor: Any,
    survivor: Survivor,
    needs: SurvivorNeeds,
    result: MatchResult,
    ip: str | None = None,
) -> MatchSearch:
    """Keep what a stored survivor's search asked and found, and audit the read."""
    search = MatchSearch.objects.create(
        survivor=survivor,
        searched_by=actor,
        needs=_needs_snapshot(needs),
        homes_considered=result.homes_considered,
        feasible_count=result.feasible_count,
        near_miss_count=result.near_miss_count,
        failures_by_rule=result.failures_by_rule,
        top_home_ids=[r.home.id for r in result.results],
    )
    audit_record(
        actor=actor,
        action="survivor.match",
        obj=survivor,
        survivor_id=survivor.pk,
        after={"search": search.pk, "feasible_count": result.feasible_count},
        ip=ip,
    )
    return search


# --- The placement workflow ----------------------------------------------------------------
#
# recommendation -> MDT review -> referral -> accept (a bed hold) | decline -> placement ->
# discharge; and the waitlist. Every service here:
#   - checks who may do it (NotFound for a record the actor may not see, Forbidden for a
#     role that may not do this) and whether the state allows it (Conflict, with the
#     reason), so the API and the pages share one set of rules;
#   - locks rows in one order everywhere: the survivor, then the referral (or the
#     recommendation or placement), then the home. Every transition of one child is
#     serialized on the survivor row; bed counts on the home row, last, so two
#     transactions never wait on each other in opposite orders;
#   - records each survivor status change (StatusChange + audit), each bed movement
#     (AvailabilityChange + audit) and its own audit entry in the same transaction;
#   - queues notifications and tasks with transaction.on_commit.

MAX_ACTIVE_REFERRALS = 3


def _when(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _survivor_id_of(model: type[models.Model], pk: int | None) -> int:
    survivor_id = (
        model.objects.filter(pk=pk).values_list("survivor_id", flat=True).first()
        if pk is not None
        else None
    )
    if survivor_id is None:
        raise NotFound()
    return survivor_id


def _lock_survivor(survivor_id: int) -> Survivor:
    return Survivor.objects.select_for_update().get(pk=survivor_id)


def _lock_visible_survivor(actor: Any, survivor_id: int | None) -> Survivor:
    """The survivor row, locked, if the actor may see it; NotFound otherwise."""
    if (
        survivor_id is None
        or not Survivor.objects.visible_to(actor).filter(pk=survivor_id).exists()
    ):
        raise NotFound()
    return _lock_survivor(survivor_id)


def _require_case_side(actor: Any, what: str) -> None:
    if not may_act_for_survivor(actor):
        raise Forbidden(f"Only the child's case workers and their supervisors {what}.")


def _case_workers(survivor: Survivor, *also: Any) -> list[Any]:
    """Who hears about a case: its assigned case workers, and whoever acted on it."""
    people = {user.pk: user for user in survivor.assigned_workers.filter(is_active=True)}
    for user in also:
        if user is not None and getattr(user, "is_authenticated", False):
            people.setdefault(user.pk, user)
    return list(people.values())


def _supervisors(survivor: Survivor) -> list[Any]:
    return list(
        User.objects.filter(role=Role.SUPERVISOR, agency_id=survivor.agency_id, is_active=True)
    )


def _team_members(team_id: int) -> list[Any]:
    return list(User.objects.filter(role=Role.MDT_MEMBER, team_id=team_id, is_active=True))


def _settle_status(actor: Any, survivor: Survivor, *, note: str, ip: str | None) -> None:
    """After something ended (a rejection, decline, expiry, withdrawal), the survivor's
    status says what is still going on: placed, referred, pending review, else searching."""
    if Placement.objects.filter(survivor=survivor, ended_at__isnull=True).exists():
        status = Status.PLACED
    elif Referral.objects.filter(survivor=survivor, status__in=Referral.ACTIVE).exists():
        status = Status.REFERRED
    elif Recommendation.objects.filter(
        survivor=survivor, status=Recommendation.Status.PENDING_REVIEW
    ).exists():
        status = Status.PENDING_REVIEW
    else:
        status = Status.SEARCHING
    survivor_set_status(actor=actor, survivor=survivor, status=status, note=note, ip=ip)


def _end_waitlist(survivor: Survivor, *, now: datetime.datetime) -> None:
    WaitlistEntry.objects.filter(survivor=survivor, ended_at__isnull=True).update(ended_at=now)


def _home_profile(home: Home) -> dict[str, Any]:
    profile = {name: getattr(home, name) for name in PROFILE_FIELDS}
    profile.update(
        id=home.pk,
        beds_held=home.beds_held,
        availability_updated_at=home.availability_updated_at,
    )
    return profile


def _review_snapshot(needs: SurvivorNeeds) -> dict[str, Any]:
    """What the MDT sees of the needs: the exclusion zones (where the trafficker operates)
    are need-to-know for the case workers only; the home passed them."""
    snapshot = _needs_snapshot(needs)
    snapshot["exclusion_zones"] = len(snapshot["exclusion_zones"])
    return snapshot


def _child_summary(survivor: Survivor) -> str:
    """A de-identified line for a home: age, gender, dependents, urgency."""
    age = survivor.age_on(timezone.localdate())
    parts = [f"a {age}-year-old ({survivor.get_gender_display().lower()})"]
    if survivor.dependents:
        parts.append(f"with {_plural(survivor.dependents, 'dependent')}")
    if survivor.urgency == "crisis":
        parts.append("in crisis")
    return " ".join(parts)


@transaction.atomic
def recommendation_create(
    *,
    actor: Any,
    survivor_id: int | None,
    home_id: int | None,
    rationale: str,
    ip: str | None = None,
) -> Recommendation:
    """A case worker proposes a home for the MDT to review.

    Freezes what the worker saw: the needs, the home's profile and its rank, score
    and breakdown in a search run now. The home must be feasible now (Conflict with
    the failed rules otherwise). The survivor moves to pending_review (a survivor
    already referred elsewhere stays referred) and leaves the waitlist.
    """
    survivor = _lock_visible_survivor(actor, survivor_id)
    _require_case_side(actor, "propose homes")
    errors = {}
    rationale = (rationale or "").strip()
    if not rationale:
        errors["rationale"] = "Say why this home: the MDT reads it."
    home = Home.objects.filter(pk=home_id).first() if home_id is not None else None
    if home is None:
        errors["home"] = "No such home."
    elif not home.active:
        errors["home"] = f"{home.name} is not taking children (inactive)."
    if errors:
        raise ValidationError(errors)
    if survivor.status == Status.PLACED:
        raise Conflict(
            "This child is placed: discharge them before proposing another home.",
            code="already_placed",
        )
    held = Referral.objects.filter(survivor=survivor, status=Referral.Status.ACCEPTED).first()
    if held is not None:
        raise Conflict(
            f"Beds are held for this child at {held.home.name} (referral {held.pk}): confirm "
            "the arrival or withdraw that referral before proposing another home.",
            code="hold_exists",
        )
    if survivor.team_id is None:
        raise Conflict(
            "This child has no MDT team to review a recommendation: ask a supervisor to "
            "assign one.",
            code="no_team",
        )
    if Recommendation.objects.filter(
        survivor=survivor, home=home, status=Recommendation.Status.PENDING_REVIEW
    ).exists():
        raise Conflict(
            f"{home.name} is already proposed for this child and waiting for review.",
            code="already_proposed",
        )

    now = timezone.now()
    needs = needs_of_survivor(survivor, today=timezone.localdate())
    result = home_rank(needs, home_id=home.pk, now=now)
    ranked = next((r for r in result.results if r.home.id == home.pk), None)
    if ranked is None:
        failures = home_failures(needs, home_id=home.pk) or ()
        reasons = "; ".join(failure.reason for failure in failures)
        raise Conflict(
            f"{home.name} does not fit this child now"
            + (f": {reasons}" if reasons else "")
            + ". Pick a home from the child's search results.",
            code="not_feasible",
        )
    recommendation = Recommendation(
        survivor=survivor,
        home=home,
        team_id=survivor.team_id,
        quorum=survivor.team.quorum,
        proposed_by=actor,
        rationale=rationale,
        searched_at=now,
        needs=_review_snapshot(needs),
        home_profile=_home_profile(home),
        rank=ranked.rank,
        score=ranked.score,
        breakdown=[dataclasses.asdict(factor) for factor in ranked.breakdown],
        distance_miles=ranked.distance_miles,
        stale=ranked.stale,
        feasible_count=result.feasible_count,
    )
    recommendation.full_clean()
    recommendation.save()
    if survivor.status != Status.REFERRED:
        survivor_set_status(
            actor=actor,
            survivor=survivor,
            status=Status.PENDING_REVIEW,
            note=f"Recommendation {recommendation.pk}",
            ip=ip,
        )
    _end_waitlist(survivor, now=now)
    audit_record(
        actor=actor,
        action="recommendation.create",
        obj=recommendation,
        survivor_id=survivor.pk,
        after={
            "home": home.pk,
            "rank": ranked.rank,
            "score": ranked.score,
            "feasible_count": result.feasible_count,
            "status": recommendation.status,
        },
        ip=ip,
    )
    notification_send(
        recipients=_team_members(recommendation.team_id),
        kind=Notification.Kind.REVIEW_REQUESTED,
        message=(
            f"Recommendation {recommendation.pk} (survivor {survivor.pk}) waits for your "
            f"review: {home.name}, ranked {ranked.rank} of {result.feasible_count} "
            f"feasible homes, score {ranked.score}."
        ),
        obj=recommendation,
    )
    return recommendation


def _decide(
    actor: Any, recommendation: Recommendation, status: str, *, ip: str | None, why: str = ""
) -> None:
    before = recommendation.status
    recommendation.status = status
    recommendation.decided_at = timezone.now()
    recommendation.save(update_fields=["status", "decided_at"])
    after: dict[str, Any] = {"status": status}
    if why:
        after["why"] = why
    audit_record(
        actor=actor,
        action=f"recommendation.{status}",
        obj=recommendation,
        survivor_id=recommendation.survivor_id,
        before={"status": before},
        after=after,
        ip=ip,
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

    One review per member; any rejection rejects; the quorum of approvals approves.
    Rejecting a recommendation referred under a crisis override withdraws its
    referrals still waiting for an answer, and tells the supervisors; beds already
    held or a child already placed stay as they are, for the case worker to act on.
    """
    survivor = _lock_visible_survivor(actor, _survivor_id_of(Recommendation, recommendation_id))
    recommendation = Recommendation.objects.select_for_update().get(pk=recommendation_id)
    if not may_review(actor, recommendation):
        raise Forbidden("Only members of the MDT team reviewing this case review it.")
    if recommendation.reviews.filter(reviewer=actor).exists():
        raise Conflict("You have already reviewed this recommendation.", code="already_reviewed")
    if recommendation.status != Recommendation.Status.PENDING_REVIEW:
        raise Conflict(
            f"This recommendation is already {recommendation.get_status_display().lower()}.",
            code="already_decided",
        )
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
    home_name = recommendation.home.name
    if review.decision == Review.Decision.REJECT:
        _decide(actor, recommendation, Recommendation.Status.REJECTED, ip=ip)
        if recommendation.crisis_override:
            for referral in Referral.objects.select_for_update().filter(
                recommendation=recommendation, status=Referral.Status.PENDING
            ):
                _close_referral(
                    actor,
                    referral,
                    Referral.Status.WITHDRAWN,
                    reason="The MDT rejected the recommendation after the crisis override.",
                    ip=ip,
                )
            notification_send(
                recipients=_supervisors(survivor),
                kind=Notification.Kind.REVIEW_DONE,
                message=(
                    f"The MDT rejected recommendation {recommendation.pk} ({home_name}, "
                    f"survivor {survivor.pk}) after it was referred under a crisis "
                    "override: review the case."
                ),
                obj=recommendation,
            )
        _settle_status(actor, survivor, note=f"Recommendation {recommendation.pk} rejected", ip=ip)
    else:
        approvals = recommendation.reviews.filter(decision=Review.Decision.APPROVE).count()
        if approvals >= recommendation.quorum:
            _decide(actor, recommendation, Recommendation.Status.APPROVED, ip=ip)
    outcome = {
        Recommendation.Status.APPROVED: "It is approved: you can refer.",
        Recommendation.Status.REJECTED: "It is rejected.",
    }.get(recommendation.status, "It waits for more reviews.")
    notification_send(
        recipients=_case_workers(survivor, recommendation.proposed_by),
        kind=Notification.Kind.REVIEW_DONE,
        message=(
            f"{actor.get_full_name() or actor.get_username()} "
            f"{'approved' if review.decision == Review.Decision.APPROVE else 'rejected'} "
            f"recommendation {recommendation.pk} ({home_name}, survivor {survivor.pk}). "
            f"{outcome}"
        ),
        obj=recommendation,
    )
    return review


@transaction.atomic
def referral_create(
    *,
    actor: Any,
    recommendation_id: int | None,
    crisis_override: bool = False,
    justification: str = "",
    ip: str | None = None,
) -> Referral:
    """Refer the child to the recommended home: once the MDT approved, or at once under a
    crisis override with a justification (recorded; the MDT then reviews after the fact).

    A child may be referred to at most three homes at once, and never while beds are
    held for them; the first home to accept withdraws the others.
    """
    survivor = _lock_visible_survivor(actor, _survivor_id_of(Recommendation, recommendation_id))
    _require_case_side(actor, "refer a child")
    recommendation = (
        Recommendation.objects.select_for_update().select_related("home").get(pk=recommendation_id)
    )
    home = recommendation.home
    override = False
    justification = (justification or "").strip()
    if recommendation.status == Recommendation.Status.PENDING_REVIEW:
        if not crisis_override:
            approvals = recommendation.reviews.filter(decision=Review.Decision.APPROVE).count()
            raise Conflict(
                "The MDT has not approved this recommendation yet "
                f"({approvals} of {recommendation.quorum} approvals). Refer once it is "
                "approved, or now with crisis_override and a justification: the MDT then "
                "reviews it after the fact.",
                code="not_approved",
            )
        if not justification:
            raise ValidationError(
                {"justification": "A crisis override needs a justification: the MDT reviews it."}
            )
        override = True
    elif recommendation.status == Recommendation.Status.REJECTED:
        raise Conflict(
            "The MDT rejected this recommendation: propose another home.", code="rejected"
        )
    elif recommendation.status == Recommendation.Status.WITHDRAWN:
        raise Conflict("This recommendation was withdrawn.", code="withdrawn")
    if survivor.status == Status.PLACED:
        raise Conflict(
            "This child is placed: discharge them before referring again.",
            code="already_placed",
        )
    active = list(
        Referral.objects.select_for_update()
        .filter(survivor=survivor, status__in=Referral.ACTIVE)
        .select_related("home")
        .order_by("id")
    )
    held = next((r for r in active if r.status == Referral.Status.ACCEPTED), None)
    if held is not None:
        raise Conflict(
            f"Beds are held for this child at {held.home.name} (referral {held.pk}).",
            code="hold_exists",
        )
    if any(r.home_id == home.pk for r in active):
        raise Conflict(f"This child is already referred to {home.name}.", code="already_referred")
    if len(active) >= MAX_ACTIVE_REFERRALS:
        raise Conflict(
            f"A child may be referred to at most {MAX_ACTIVE_REFERRALS} homes at once: wait "
            "for an answer or withdraw a referral.",
            code="too_many_referrals",
        )
    if not home.active:
        raise Conflict(f"{home.name} is not taking children (inactive).", code="home_inactive")

    now = timezone.now()
    if override:
        recommendation.crisis_override = True
        recommendation.crisis_justification = justification
        recommendation.crisis_override_by = actor
        recommendation.crisis_override_at = now
        recommendation.full_clean()
        recommendation.save(
            update_fields=[
                "crisis_override",
                "crisis_justification",
                "crisis_override_by",
                "crisis_override_at",
            ]
        )
    referral = Referral(
        recommendation=recommendation,
        survivor=survivor,
        home=home,
        referred_by=actor,
        crisis_override=override,
        beds=1 + survivor.dependents,
    )
    referral.full_clean()
    referral.save()
    survivor_set_status(
        actor=actor,
        survivor=survivor,
        status=Status.REFERRED,
        note=f"Referral {referral.pk}",
        ip=ip,
    )
    after: dict[str, Any] = {
        "recommendation": recommendation.pk,
        "home": home.pk,
        "beds": referral.beds,
        "status": referral.status,
    }
    if override:
        after.update(crisis_override=True, justification=justification)
    audit_record(
        actor=actor,
        action="referral.create",
        obj=referral,
        survivor_id=survivor.pk,
        after=after,
        ip=ip,
    )
    if override:
        notification_send(
            recipients=_team_members(recommendation.team_id),
            kind=Notification.Kind.REVIEW_REQUESTED,
            message=(
                f"Recommendation {recommendation.pk} (survivor {survivor.pk}, {home.name}) "
                "was referred under a crisis override: please review it after the fact."
            ),
            obj=recommendation,
        )
    notification_send(
        recipients=home_admins(home),
        kind=Notification.Kind.REFERRAL_RECEIVED,
        message=(
            f"New referral {referral.pk} to {home.name}: {_child_summary(survivor)}, needing "
            f"{_plural(referral.beds, 'bed')}. Please accept or decline."
        ),
        obj=referral,
    )
    return referral


def _lock_referral(actor: Any, referral_id: int | None) -> tuple[Survivor, Referral]:
    """Lock the survivor, then the referral; NotFound unless the actor may see it."""
    survivor = _lock_survivor(_survivor_id_of(Referral, referral_id))
    if not referral_scope(user=actor).filter(pk=referral_id).exists():
        raise NotFound()
    referral = Referral.objects.select_for_update().get(pk=referral_id)
    return survivor, referral


def _referral_state(referral: Referral) -> str:
    """Why a referral cannot move: a sentence for the 409."""
    status = referral.status
    if status == Referral.Status.ACCEPTED:
        until = _when(referral.hold_expires_at)
        return f"This referral is already accepted; beds are held until {until}."
    if status == Referral.Status.DECLINED:
        return "This referral was declined."
    if status == Referral.Status.EXPIRED:
        return (
            f"The hold on this referral expired at {_when(referral.hold_expires_at)} and its "
            "beds went back: the case worker must refer again."
        )
    if status == Referral.Status.WITHDRAWN:
        return f"This referral was withdrawn. {referral.close_reason}".strip()
    if status == Referral.Status.PLACED:
        return "The child has arrived: this referral is now a placement."
    return "The home has not accepted this referral yet."


def _close_referral(
    actor: Any, referral: Referral, status: str, *, reason: str, ip: str | None
) -> None:
    """End a pending or accepted referral (withdrawn, declined or expired): an accepted one
    gives its held beds back. Tells the home, unless the home itself declined."""
    before = referral.status
    if before == Referral.Status.ACCEPTED:
        home_release_beds(
            actor=actor,
            home_id=referral.home_id,
            beds=referral.beds,
            note={"referral": referral.pk, "why": status},
        )
    referral.status = status
    referral.closed_at = timezone.now()
    referral.closed_by = actor if getattr(actor, "is_authenticated", False) else None
    referral.close_reason = reason[:300]
    referral.save(update_fields=["status", "closed_at", "closed_by", "close_reason"])
    audit_record(
        actor=actor,
        action=f"referral.{'expire' if status == Referral.Status.EXPIRED else 'withdraw'}",
        obj=referral,
        survivor_id=referral.survivor_id,
        before={"status": before},
        after={"status": status, "reason": referral.close_reason},
        ip=ip,
    )
    if status == Referral.Status.WITHDRAWN:
        home = Home.objects.get(pk=referral.home_id)
        notification_send(
            recipients=home_admins(home),
            kind=Notification.Kind.REFERRAL_WITHDRAWN,
            message=f"Referral {referral.pk} to {home.name} was withdrawn: {reason}",
            obj=referral,
        )


@transaction.atomic
def referral_accept(*, actor: Any, referral_id: int | None, ip: str | None = None) -> Referral:
    """The home accepts: 1 + dependents beds are held until the hold expires.

    Atomic under any concurrency: the beds are checked and moved under the home's row
    lock, so a home never holds more than it has free; a loser gets Conflict. The
    child's other pending referrals are withdrawn.
    """
    survivor, referral = _lock_referral(actor, referral_id)
    if not may_answer_referral(actor, referral):
        raise Forbidden("Only this home's administrators answer its referrals.")
    if referral.status != Referral.Status.PENDING:
        raise Conflict(_referral_state(referral), code=f"referral_{referral.status}")
    if survivor.status == Status.PLACED:
        raise Conflict("This child is already placed.", code="already_placed")
    # Lock the child's other referrals before the home: the lock order holds everywhere.
    others = list(
        Referral.objects.select_for_update()
        .filter(survivor=survivor, status=Referral.Status.PENDING)
        .exclude(pk=referral.pk)
        .order_by("id")
    )
    beds = 1 + survivor.dependents
    home = home_hold_beds(
        actor=actor, home_id=referral.home_id, beds=beds, note={"referral": referral.pk}
    )
    now = timezone.now()
    referral.status = Referral.Status.ACCEPTED
    referral.beds = beds
    referral.answered_at = now
    referral.answered_by = actor
    referral.hold_expires_at = now + datetime.timedelta(hours=settings.REFERRAL_HOLD_HOURS)
    referral.save(update_fields=["status", "beds", "answered_at", "answered_by", "hold_expires_at"])
    audit_record(
        actor=actor,
        action="referral.accept",
        obj=referral,
        survivor_id=survivor.pk,
        before={"status": Referral.Status.PENDING},
        after={
            "status": referral.status,
            "beds": beds,
            "hold_expires_at": referral.hold_expires_at.isoformat(),
        },
        ip=ip,
    )
    for other in others:
        _close_referral(
            actor, other, Referral.Status.WITHDRAWN, reason="Another home accepted first.", ip=ip
        )
    notification_send(
        recipients=_case_workers(survivor, referral.referred_by),
        kind=Notification.Kind.REFERRAL_ACCEPTED,
        message=(
            f"{home.name} accepted referral {referral.pk} (survivor {survivor.pk}) and holds "
            f"{_plural(beds, 'bed')} until {_when(referral.hold_expires_at)}. Confirm the "
            "arrival before then."
        ),
        obj=referral,
    )
    return referral


@transaction.atomic
def referral_decline(
    *,
    actor: Any,
    referral_id: int | None,
    reason_code: str,
    comment: str = "",
    ip: str | None = None,
) -> Referral:
    """The home declines with a reason code (and a comment for "other"). A home that
    accepted and can no longer take the child declines too: the held beds come back."""
    survivor, referral = _lock_referral(actor, referral_id)
    if not may_answer_referral(actor, referral):
        raise Forbidden("Only this home's administrators answer its referrals.")
    comment = (comment or "").strip()
    errors = {}
    if reason_code not in Referral.ReasonCode.values:
        errors["reason_code"] = f"Give one of: {', '.join(Referral.ReasonCode.values)}."
    elif reason_code == Referral.ReasonCode.OTHER and not comment:
        errors["comment"] = "Say why, when the reason is other."
    if errors:
        raise ValidationError(errors)
    if referral.status not in Referral.ACTIVE:
        raise Conflict(_referral_state(referral), code=f"referral_{referral.status}")
    before = referral.status
    if before == Referral.Status.ACCEPTED:
        home_release_beds(
            actor=actor,
            home_id=referral.home_id,
            beds=referral.beds,
            note={"referral": referral.pk, "why": "declined"},
        )
    now = timezone.now()
    referral.status = Referral.Status.DECLINED
    referral.reason_code = reason_code
    referral.comment = comment
    referral.answered_at = now
    referral.answered_by = actor
    referral.closed_at = now
    referral.closed_by = actor
    referral.full_clean()
    referral.save()
    audit_record(
        actor=actor,
        action="referral.decline",
        obj=referral,
        survivor_id=survivor.pk,
        before={"status": before},
        after={"status": referral.status, "reason_code": reason_code},
        ip=ip,
    )
    _settle_status(actor, survivor, note=f"Referral {referral.pk} declined", ip=ip)
    notification_send(
        recipients=_case_workers(survivor, referral.referred_by),
        kind=Notification.Kind.REFERRAL_DECLINED,
        message=(
            f"{referral.home.name} declined referral {referral.pk} (survivor {survivor.pk}): "
            f"{referral.get_reason_code_display().lower()}."
        ),
        obj=referral,
    )
    return referral


@transaction.atomic
def referral_withdraw(
    *, actor: Any, referral_id: int | None, reason: str = "", ip: str | None = None
) -> Referral:
    """The case worker withdraws a referral still pending or accepted (held beds return)."""
    survivor, referral = _lock_referral(actor, referral_id)
    if not Survivor.objects.visible_to(actor).filter(pk=survivor.pk).exists():
        raise Forbidden("Only the child's case workers and their supervisors withdraw a referral.")
    _require_case_side(actor, "withdraw a referral")
    if referral.status not in Referral.ACTIVE:
        raise Conflict(_referral_state(referral), code=f"referral_{referral.status}")
    _close_referral(
        actor,
        referral,
        Referral.Status.WITHDRAWN,
        reason=(reason or "").strip() or "Withdrawn by the case worker.",
        ip=ip,
    )
    _settle_status(actor, survivor, note=f"Referral {referral.pk} withdrawn", ip=ip)
    return referral


@transaction.atomic
def referral_place(*, actor: Any, referral_id: int | None, ip: str | None = None) -> Placement:
    """The case worker confirms the child arrived: the hold becomes the placement."""
    survivor, referral = _lock_referral(actor, referral_id)
    if not Survivor.objects.visible_to(actor).filter(pk=survivor.pk).exists():
        raise Forbidden("Only the child's case workers and their supervisors confirm an arrival.")
    _require_case_side(actor, "confirm an arrival")
    if referral.status != Referral.Status.ACCEPTED:
        raise Conflict(_referral_state(referral), code=f"referral_{referral.status}")
    now = timezone.now()
    if referral.hold_expires_at <= now:
        raise Conflict(
            f"The hold expired at {_when(referral.hold_expires_at)}; its beds are going back. "
            "Refer again.",
            code="hold_expired",
        )
    if Placement.objects.filter(survivor=survivor, ended_at__isnull=True).exists():
        raise Conflict("This child is already placed.", code="already_placed")
    home_fill_held_beds(
        actor=actor, home_id=referral.home_id, beds=referral.beds, note={"referral": referral.pk}
    )
    referral.status = Referral.Status.PLACED
    referral.closed_at = now
    referral.closed_by = actor
    referral.save(update_fields=["status", "closed_at", "closed_by"])
    placement = Placement(
        referral=referral,
        survivor=survivor,
        home_id=referral.home_id,
        beds=referral.beds,
        placed_by=actor,
    )
    placement.full_clean()
    placement.save()
    survivor_set_status(
        actor=actor,
        survivor=survivor,
        status=Status.PLACED,
        note=f"Placement {placement.pk}",
        ip=ip,
    )
    for recommendation in Recommendation.objects.select_for_update().filter(
        survivor=survivor, status=Recommendation.Status.PENDING_REVIEW
    ):
        _decide(
            actor,
            recommendation,
            Recommendation.Status.WITHDRAWN,
            ip=ip,
            why=f"The child was placed (placement {placement.pk}).",
        )
    _end_waitlist(survivor, now=now)
    audit_record(
        actor=actor,
        action="placement.create",
        obj=placement,
        survivor_id=survivor.pk,
        after={"referral": referral.pk, "home": referral.home_id, "beds": placement.beds},
        ip=ip,
    )
    return placement


@transaction.atomic
def placement_discharge(
    *,
    actor: Any,
    placement_id: int | None,
    end_reason: str,
    comment: str = "",
    ip: str | None = None,
) -> Placement:
    """The child left the home: the beds return and the survivor is discharged."""
    survivor = _lock_survivor(_survivor_id_of(Placement, placement_id))
    if not placement_scope(user=actor).filter(pk=placement_id).exists():
        raise NotFound()
    placement = Placement.objects.select_for_update().get(pk=placement_id)
    if not Survivor.objects.visible_to(actor).filter(pk=survivor.pk).exists():
        raise Forbidden("Only the child's case workers and their supervisors discharge.")
    _require_case_side(actor, "discharge")
    comment = (comment or "").strip()
    if end_reason not in Placement.EndReason.values:
        raise ValidationError(
            {"end_reason": f"Give one of: {', '.join(Placement.EndReason.values)}."}
        )
    if end_reason == Placement.EndReason.OTHER and not comment:
        raise ValidationError({"comment": "Say why, when the reason is other."})
    if placement.ended_at is not None:
        raise Conflict(
            f"This placement already ended ({_when(placement.ended_at)}).",
            code="already_discharged",
        )
    home_free_beds(
        actor=actor,
        home_id=placement.home_id,
        beds=placement.beds,
        note={"placement": placement.pk},
    )
    placement.ended_at = timezone.now()
    placement.end_reason = end_reason
    placement.end_comment = comment
    placement.discharged_by = actor
    placement.full_clean()
    placement.save(update_fields=["ended_at", "end_reason", "end_comment", "discharged_by"])
    survivor_set_status(
        actor=actor,
        survivor=survivor,
        status=Status.DISCHARGED,
        note=f"Placement {placement.pk} ended: {placement.get_end_reason_display().lower()}",
        ip=ip,
    )
    audit_record(
        actor=actor,
        action="placement.discharge",
        obj=placement,
        survivor_id=survivor.pk,
        before={"ended_at": None},
        after={"ended_at": placement.ended_at.isoformat(), "end_reason": end_reason},
        ip=ip,
    )
    return placement


@transaction.atomic
def survivor_waitlist(
    *, actor: Any, survivor_id: int | None, ip: str | None = None
) -> WaitlistEntry:
    """Put a child no home fits on the waitlist; their case workers then hear of each
    home that becomes feasible. Refused while any home fits (propose one instead)."""
    survivor = _lock_visible_survivor(actor, survivor_id)
    _require_case_side(actor, "waitlist a child")
    blocked = {
        Status.PLACED: "This child is placed.",
        Status.REFERRED: "This child is referred to a home: wait for the answer.",
        Status.PENDING_REVIEW: "A recommendation for this child is waiting for MDT review.",
        Status.WAITLISTED: "This child is already on the waitlist.",
    }
    if survivor.status in blocked:
        raise Conflict(blocked[survivor.status], code=f"survivor_{survivor.status}")
    needs = needs_of_survivor(survivor, today=timezone.localdate())
    result = match_needs(needs, limit=1)
    if result.feasible_count:
        raise Conflict(
            f"{_plural(result.feasible_count, 'home')} fit this child now: propose one "
            "instead of waitlisting.",
            code="homes_available",
        )
    entry = WaitlistEntry(survivor=survivor, added_by=actor)
    entry.full_clean()
    entry.save()
    survivor_set_status(
        actor=actor, survivor=survivor, status=Status.WAITLISTED, note="No feasible home", ip=ip
    )
    audit_record(
        actor=actor,
        action="waitlist.add",
        obj=entry,
        survivor_id=survivor.pk,
        after={"homes_considered": result.homes_considered, "feasible_count": 0},
        ip=ip,
    )
    return entry


def waitlist_recheck(*, home_id: int | None = None) -> int:
    """Look for newly feasible homes for every waitlisted survivor (at one home, or
    everywhere); tell their case workers of each home once. Returns homes found.

    Safe to run twice or concurrently: a (waitlist entry, home) pair is recorded once,
    in the same transaction as its notification.
    """
    found = 0
    today = timezone.localdate()
    for entry in waitlist_open_entries():
        survivor = entry.survivor
        if survivor.status != Status.WAITLISTED:
            # The status moved on without the entry being closed: close it now.
            WaitlistEntry.objects.filter(pk=entry.pk, ended_at__isnull=True).update(
                ended_at=timezone.now()
            )
            continue
        needs = needs_of_survivor(survivor, today=today)
        if home_id is not None:
            feasible = [home_id] if home_failures(needs, home_id=home_id) == () else []
        else:
            feasible = [ranked.home.id for ranked in match_needs(needs, limit=50).results]
        for feasible_home_id in feasible:
            found += _waitlist_offer(entry, survivor, feasible_home_id)
    return found


@transaction.atomic
def _waitlist_offer(entry: WaitlistEntry, survivor: Survivor, home_id: int) -> int:
    _, created = WaitlistOffer.objects.get_or_create(entry=entry, home_id=home_id)
    if not created:
        return 0
    home = Home.objects.get(pk=home_id)
    notification_send(
        recipients=_case_workers(survivor),
        kind=Notification.Kind.BED_OPENED,
        message=(
            f"A bed that fits waitlisted survivor {survivor.pk} opened at {home.name} "
            f"({home.state}): propose it before it goes."
        ),
        obj=survivor,
        dedupe_key=f"waitlist:{entry.pk}:{home_id}",
    )
    return 1


@transaction.atomic
def referral_expire(*, referral_id: int, now: datetime.datetime | None = None) -> bool:
    """Expire one hold that ran out: its beds come back. False if there is nothing to do
    (already expired, placed, withdrawn, or not due yet): safe to run twice."""
    now = now or timezone.now()
    survivor_id = Referral.objects.filter(pk=referral_id).values_list("survivor_id", flat=True)
    survivor = _lock_survivor(survivor_id.get())
    referral = Referral.objects.select_for_update().get(pk=referral_id)
    if referral.status != Referral.Status.ACCEPTED or referral.hold_expires_at > now:
        return False
    _close_referral(
        None,
        referral,
        Referral.Status.EXPIRED,
        reason="The hold ran out before the child arrived.",
        ip=None,
    )
    _settle_status(None, survivor, note=f"Hold of referral {referral.pk} expired", ip=None)
    home = Home.objects.get(pk=referral.home_id)
    notification_send(
        recipients=[*_case_workers(survivor, referral.referred_by), *home_admins(home)],
        kind=Notification.Kind.HOLD_EXPIRED,
        message=(
            f"The hold at {home.name} for referral {referral.pk} expired at "
            f"{_when(referral.hold_expires_at)} before the child arrived: the "
            f"{_plural(referral.beds, 'bed')} went back."
        ),
        obj=referral,
        dedupe_key=f"hold_expired:{referral.pk}",
    )
    return True


def holds_expire(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The hold job: warn of holds expiring soon, then expire those that ran out."""
    now = now or timezone.now()
    warned = 0
    for referral_id in holds_expiring_soon(
        now=now, within=datetime.timedelta(hours=settings.HOLD_WARNING_HOURS)
    ):
        warned += _hold_warn(referral_id=referral_id, now=now)
    expired = sum(referral_expire(referral_id=pk, now=now) for pk in holds_to_expire(now=now))
    return {"warned": warned, "expired": expired}


@transaction.atomic
def _hold_warn(*, referral_id: int, now: datetime.datetime) -> int:
    # The conditional update is the once-only guard: a second run updates nothing.
    if not Referral.objects.filter(
        pk=referral_id, status=Referral.Status.ACCEPTED, expiry_warned_at__isnull=True
    ).update(expiry_warned_at=now):
        return 0
    referral = Referral.objects.select_related("home", "survivor", "referred_by").get(
        pk=referral_id
    )
    notification_send(
        recipients=_case_workers(referral.survivor, referral.referred_by),
        kind=Notification.Kind.HOLD_EXPIRING,
        message=(
            f"The hold at {referral.home.name} for survivor {referral.survivor_id} (referral "
            f"{referral.pk}) expires at {_when(referral.hold_expires_at)}: confirm the arrival "
            "before then, or the beds go back."
        ),
        obj=referral,
        dedupe_key=f"hold_expiring:{referral.pk}",
    )
    return 1


def referrals_chase(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The stalled-referral job: remind the home of a referral unanswered after
    REFERRAL_REMINDER_HOURS; tell the agency's supervisors after REFERRAL_ESCALATION_HOURS."""
    now = now or timezone.now()
    reminded = sum(
        _referral_chase(referral_id=pk, now=now, escalate=False)
        for pk in referrals_unanswered(
            now=now,
            older_than=datetime.timedelta(hours=settings.REFERRAL_REMINDER_HOURS),
            not_yet="reminded_at",
        )
    )
    escalated = sum(
        _referral_chase(referral_id=pk, now=now, escalate=True)
        for pk in referrals_unanswered(
            now=now,
            older_than=datetime.timedelta(hours=settings.REFERRAL_ESCALATION_HOURS),
            not_yet="escalated_at",
        )
    )
    return {"reminded": reminded, "escalated": escalated}


@transaction.atomic
def _referral_chase(*, referral_id: int, now: datetime.datetime, escalate: bool) -> int:
    stamp = "escalated_at" if escalate else "reminded_at"
    if not Referral.objects.filter(
        pk=referral_id, status=Referral.Status.PENDING, **{f"{stamp}__isnull": True}
    ).update(**{stamp: now}):
        return 0
    referral = Referral.objects.select_related("home", "survivor").get(pk=referral_id)
    waited = int((now - referral.created_at).total_seconds() // 3600)
    if escalate:
        notification_send(
            recipients=_supervisors(referral.survivor),
            kind=Notification.Kind.REFERRAL_ESCALATED,
            message=(
                f"Referral {referral.pk} to {referral.home.name} (survivor "
                f"{referral.survivor_id}) has had no answer for {_plural(waited, 'hour')}: "
                "call the home or refer elsewhere."
            ),
            obj=referral,
            dedupe_key=f"referral_escalated:{referral.pk}",
        )
    else:
        notification_send(
            recipients=home_admins(referral.home),
            kind=Notification.Kind.REFERRAL_REMINDER,
            message=(
                f"Referral {referral.pk} to {referral.home.name} has waited "
                f"{_plural(waited, 'hour')} for an answer: a child needs a bed. Please "
                "accept or decline."
            ),
            obj=referral,
            dedupe_key=f"referral_reminder:{referral.pk}",
        )
    return 1


def workflow_record_reads(
    *, actor: Any, objects: list[models.Model], action: str, ip: str | None = None
) -> None:
    """One audit entry per recommendation, referral or placement shown (one INSERT): each
    is part of a survivor's record, so it lands on that survivor's trail."""
    is_user = getattr(actor, "is_authenticated", False)
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                actor=actor if is_user else None,
                actor_username=actor.get_username() if is_user else "",
                action=action,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                survivor_id=obj.survivor_id,
                ip=ip,
            )
            for obj in objects
        ]
    )


def workflow_record_denied(
    *,
    actor: Any,
    model: type[models.Model],
    object_id: int | None,
    action: str,
    ip: str | None = None,
) -> None:
    """Record a refused attempt on a workflow record, whether or not it exists; it joins
    the survivor's trail only when it does."""
    survivor_id = (
        model.objects.filter(pk=object_id).values_list("survivor_id", flat=True).first()
        if object_id is not None
        else None
    )
    audit_record(
        actor=actor,
        action=action,
        outcome=Outcome.DENIED,
        object_type=model._meta.label_lower,
        object_id="" if object_id is None else str(object_id),
        survivor_id=survivor_id,
        ip=ip,
    )
