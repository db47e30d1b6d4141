"""Recommendations: a case worker proposes a home; the MDT's decision moves it on."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Team
from audit.services import audit_record
from core.errors import Conflict, Forbidden
from core.sentences import sentence
from core.types import Actor
from core.vocab import GoodCause
from engine import INTERIM_HOME_TYPE, MatchResult, Ranked, SurvivorNeeds
from homes.models import Home
from homes.services import PROFILE_FIELDS
from matching.selectors import home_failures, home_rank
from matching.services import needs_snapshot
from notifications.models import Notification
from notifications.services import notification_send
from notifications.texts import msg
from placement import policy
from placement.models import Recommendation, Referral
from placement.selectors import case_needs
from placement.services.common import (
    end_waitlist,
    interim_placement,
    lock_visible_survivor,
    set_seeking_status,
    team_members,
)
from survivors.models import Status, Survivor


def _home_profile(home: Home) -> dict[str, Any]:
    profile = {name: getattr(home, name) for name in PROFILE_FIELDS}
    profile.update(
        id=home.pk,
        beds_held=home.beds_held,
        availability_updated_at=home.availability_updated_at,
    )
    return profile


def review_snapshot(needs: SurvivorNeeds) -> dict[str, Any]:
    """What the MDT sees of the needs: how many exclusion zones, never where they lie
    (need-to-know for the case workers only; the home passed them)."""
    return needs_snapshot(needs)


def _proposable_home(home_id: int | None, rationale: str) -> Home:
    errors = {}
    if not rationale:
        errors["rationale"] = _("Say why this home: the MDT reads it.")
    home = Home.objects.filter(pk=home_id).first() if home_id is not None else None
    if home is None:
        errors["home"] = _("No such home.")
    elif not home.active:
        errors["home"] = _("%(home)s is not taking children (inactive).") % {"home": home.name}
    if errors or home is None:  # no home is an error already
        raise ValidationError(errors)
    return home


def _check_case_allows_proposal(survivor: Survivor, home: Home) -> Team:
    """The team that reviews the proposal, unless the case refuses it (Conflict)."""
    if survivor.status == Status.PLACED:
        raise Conflict(
            _("This child is placed: discharge them before proposing another home."),
            code="already_placed",
        )
    held = Referral.objects.filter(survivor=survivor, status=Referral.Status.ACCEPTED).first()
    if held is not None:
        raise Conflict(
            _(
                "Beds are held for this child at %(home)s (referral %(referral)s): confirm the "
                "arrival or withdraw that referral before proposing another home."
            )
            % {"home": held.home.name, "referral": held.pk},
            code="hold_exists",
        )
    team = survivor.team
    if team is None:
        raise Conflict(
            _(
                "This child has no MDT team to review a recommendation: ask a supervisor to "
                "assign one."
            ),
            code="no_team",
        )
    if Recommendation.objects.filter(
        survivor=survivor, home=home, status=Recommendation.Status.PENDING_REVIEW
    ).exists():
        raise Conflict(
            _("%(home)s is already proposed for this child and waiting for review.")
            % {"home": home.name},
            code="already_proposed",
        )
    return team


def _ranked(needs: SurvivorNeeds, home: Home, now) -> tuple[Ranked, MatchResult]:
    """The home's place in a search run now; Conflict (with the reasons) if it does not fit."""
    result = home_rank(needs, home_id=home.pk, now=now)
    ranked = next((r for r in result.results if r.home.id == home.pk), None)
    if ranked is None:
        failures = home_failures(needs, home_id=home.pk) or ()
        reasons = "; ".join(sentence(failure.reason) for failure in failures)
        raise Conflict(
            (
                _(
                    "%(home)s does not fit this child now: %(reasons)s. Pick a home from the "
                    "child's search results."
                )
                if reasons
                else _(
                    "%(home)s does not fit this child now. Pick a home from the child's search "
                    "results."
                )
            )
            % {"home": home.name, "reasons": reasons},
            code="not_feasible",
        )
    return ranked, result


@transaction.atomic
def recommendation_create(
    *,
    actor: Actor,
    survivor_id: int | None,
    home_id: int | None,
    rationale: str,
    good_cause: str = "",
    good_cause_detail: str = "",
    ip: str | None = None,
    announce: bool = True,
) -> Recommendation:
    """A case worker proposes a home for the MDT to review.

    `announce=False` leaves the team's "waits for your review" notice out (a group plan
    tells the team once, for all its children); the audit entry is written either way.

    Freezes what the worker saw: the needs, the home's profile and its rank, score
    and breakdown in a search run now. The home must be feasible now (Conflict with
    the failed rules otherwise). The survivor moves to pending_review (a survivor
    already referred elsewhere stays referred, one in an interim stay stays interim) and
    leaves the waitlist, unless the home is an emergency shelter: an interim stay, while
    Harbor keeps watching for a home.

    For a child ICWA covers, a home below the best preference tier any feasible home
    reaches needs good cause (25 CFR 23.132): a basis from `GoodCause` and the reason in
    writing, kept on the recommendation for the MDT, the packet and the reports;
    without it, Conflict `good_cause_required`.
    """
    survivor = lock_visible_survivor(actor, survivor_id)
    if not policy.may_act_on_case(actor, survivor.pk):
        raise Forbidden(_("Only the child's case workers and their supervisors propose homes."))
    home = _proposable_home(home_id, (rationale or "").strip())
    team = _check_case_allows_proposal(survivor, home)
    now = timezone.now()
    needs = case_needs(survivor, today=timezone.localdate())
    ranked, result = _ranked(needs, home, now)
    best_tier = _best_icwa_tier(needs, result)
    good_cause, good_cause_detail = _check_good_cause(
        home, ranked, result, best_tier, good_cause, (good_cause_detail or "").strip()
    )
    recommendation = Recommendation(
        survivor=survivor,
        home=home,
        team=team,
        quorum=team.quorum,
        proposed_by=actor,
        rationale=(rationale or "").strip(),
        searched_at=now,
        needs=review_snapshot(needs),
        home_profile=_home_profile(home),
        rank=ranked.rank,
        score=ranked.score,
        breakdown=[dataclasses.asdict(factor) for factor in ranked.breakdown],
        distance_miles=ranked.distance_miles,
        stale=ranked.stale,
        feasible_count=result.feasible_count,
        icwa_tier=ranked.icwa_tier,
        best_icwa_tier=best_tier,
        good_cause=good_cause,
        good_cause_detail=good_cause_detail,
    )
    recommendation.full_clean()
    recommendation.save()
    if survivor.status != Status.REFERRED:
        set_seeking_status(
            actor,
            survivor,
            Status.PENDING_REVIEW,
            note=f"Recommendation {recommendation.pk}",
            ip=ip,
        )
    if home.home_type != INTERIM_HOME_TYPE and interim_placement(survivor) is None:
        end_waitlist(survivor, now=now)
    _announce(actor, recommendation, result.feasible_count, ip=ip, notify=announce)
    return recommendation


def _best_icwa_tier(needs: SurvivorNeeds, result: MatchResult) -> int | None:
    """The best ICWA tier of any feasible home: the first result's, since a search for a
    child ICWA covers ranks by tier first. None when ICWA does not apply."""
    if not needs.icwa_applies or not result.results:
        return None
    return result.results[0].icwa_tier


def _check_good_cause(
    home: Home,
    ranked: Ranked,
    result: MatchResult,
    best_tier: int | None,
    good_cause: str,
    detail: str,
) -> tuple[str, str]:
    """The good cause to keep on the recommendation ("" when none is needed)."""
    below = best_tier is not None and (ranked.icwa_tier is None or ranked.icwa_tier > best_tier)
    if not below:
        return "", ""
    if not good_cause:
        preferred = result.results[0].home.name
        raise Conflict(
            _(
                "%(home)s is below ICWA's placement preferences for this child: "
                "%(preferred)s (preference %(tier)s) can take her. Choosing %(home)s needs "
                "good cause (25 CFR 23.132): pick the basis and say why in writing."
            )
            % {"home": home.name, "preferred": preferred, "tier": best_tier},
            code="good_cause_required",
        )
    if good_cause not in GoodCause.values:
        raise ValidationError({"good_cause": _("Pick a basis of good cause from the list.")})
    if not detail:
        raise ValidationError(
            {"good_cause_detail": _("Say in writing why the preferred homes do not serve her.")}
        )
    return good_cause, detail


def _announce(
    actor: Actor, recommendation: Recommendation, feasible: int, *, ip, notify: bool = True
) -> None:
    survivor = recommendation.survivor
    audit_record(
        actor=actor,
        action="recommendation.create",
        obj=recommendation,
        survivor_id=recommendation.survivor_id,
        after={
            "home": recommendation.home_id,
            "rank": recommendation.rank,
            "score": recommendation.score,
            "feasible_count": feasible,
            "status": recommendation.status,
        },
        ip=ip,
    )
    if not notify:
        return
    notification_send(
        recipients=team_members(recommendation.team_id),
        kind=Notification.Kind.REVIEW_REQUESTED,
        message=msg(
            gettext_noop(
                "Crisis: case %(number)s waits for your review: %(home)s proposed, ranked "
                "%(rank)s of %(feasible)s feasible homes, score %(score)s."
            )
            if survivor.urgency == "crisis"
            else gettext_noop(
                "Case %(number)s waits for your review: %(home)s proposed, ranked %(rank)s of "
                "%(feasible)s feasible homes, score %(score)s."
            ),
            number=survivor.case_number,
            home=recommendation.home.name,
            rank=recommendation.rank,
            feasible=feasible,
            score=recommendation.score,
        ),
        obj=recommendation,
    )


def recommendation_decide(
    actor: Actor, recommendation: Recommendation, status: str, *, ip: str | None, why: str = ""
) -> None:
    """Move a recommendation to approved, rejected or withdrawn (the caller holds it locked)."""
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
