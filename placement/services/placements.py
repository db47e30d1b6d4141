"""Placements: the case worker confirms the arrival (the hold becomes the placement,
after the rules are re-checked on the live rows); discharge frees the beds."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.errors import Conflict, Forbidden
from core.types import Actor
from engine import INTERIM_HOME_TYPE
from homes.services import home_fill_held_beds, home_free_beds
from placement import policy
from placement.models import Placement, Recommendation, Referral, WaitlistEntry
from placement.services.common import end_waitlist, lock_visible, when
from placement.services.recommendations import recommendation_decide
from placement.services.referrals import referral_state
from placement.services.rules import lock_home, rules_check
from placement.services.waitlist import waitlist_recheck_after_commit
from survivors.models import Status
from survivors.services import survivor_set_status


@transaction.atomic
def referral_place(*, actor: Actor, referral_id: int | None, ip: str | None = None) -> Placement:
    """The case worker confirms the child arrived: the hold becomes the placement.

    The rules are re-checked on the locked rows, counting the beds held for this child
    as theirs: a child is never placed where they no longer fit (a new exclusion zone,
    a birthday past the home's ages, a home deactivated).

    A placement at an emergency shelter is an interim stay: the child's status is
    `interim`, the search stays open (the waitlist on, the proposals kept). A child in
    an interim stay who arrives elsewhere is transferred: the interim placement ends
    ("transfer") and its beds are freed under the shelter's lock, in this transaction."""
    survivor, referral = lock_visible(actor, Referral, referral_id)
    if not policy.may_act_on_case(actor, survivor.pk):
        raise Forbidden(
            _("Only the child's case workers and their supervisors confirm an arrival.")
        )
    if referral.status != Referral.Status.ACCEPTED:
        raise Conflict(referral_state(referral), code=f"referral_{referral.status}")
    now = timezone.now()
    if referral.hold_expires_at <= now:
        raise Conflict(
            _("The hold expired at %(when)s; its beds are going back. Refer again.")
            % {"when": when(referral.hold_expires_at)},
            code="hold_expired",
        )
    current = (
        Placement.objects.select_for_update()
        .filter(survivor=survivor, ended_at__isnull=True)
        .first()
    )
    if current is not None and not current.interim:
        raise Conflict(_("This child is already placed."), code="already_placed")
    # Both homes locked in one order (by id), so two transfers crossing never deadlock.
    homes = {referral.home_id} | ({current.home_id} if current is not None else set())
    locked = {home_id: lock_home(home_id) for home_id in sorted(homes)}
    rules_check(survivor=survivor, home=locked[referral.home_id], held_beds=referral.beds)
    home_fill_held_beds(
        actor=actor, home_id=referral.home_id, beds=referral.beds, note={"referral": referral.pk}
    )
    if current is not None:
        _end_interim(actor, survivor, current, now=now, ip=ip)
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
        interim=locked[referral.home_id].home_type == INTERIM_HOME_TYPE,
    )
    placement.full_clean()
    placement.save()
    if current is not None:
        current.transferred_to = placement
        current.save(update_fields=["transferred_to"])
    survivor_set_status(
        actor=actor,
        survivor=survivor,
        status=Status.INTERIM if placement.interim else Status.PLACED,
        note=(
            f"Placement {placement.pk}"
            + (f" (transfer from placement {current.pk})" if current is not None else "")
        ),
        ip=ip,
    )
    _close_the_search(actor, survivor, placement, now=now, ip=ip)
    audit_record(
        actor=actor,
        action="placement.create",
        obj=placement,
        survivor_id=survivor.pk,
        after={
            "referral": referral.pk,
            "home": referral.home_id,
            "beds": placement.beds,
            "interim": placement.interim,
            "transfer_from": current.pk if current is not None else None,
        },
        ip=ip,
    )
    return placement


def _end_interim(actor: Actor, survivor, current: Placement, *, now, ip) -> None:
    """End the interim stay the child leaves for another home (the caller holds the
    placement and the shelter locked): its beds come back, and the shelter's waitlist
    is re-checked once this commits."""
    home_free_beds(
        actor=actor,
        home_id=current.home_id,
        beds=current.beds,
        note={"placement": current.pk, "why": "transfer"},
    )
    waitlist_recheck_after_commit(home_id=current.home_id)
    current.ended_at = now
    current.end_reason = Placement.EndReason.TRANSFER
    current.discharged_by = actor
    current.full_clean()
    current.save(update_fields=["ended_at", "end_reason", "discharged_by"])
    audit_record(
        actor=actor,
        action="placement.transfer",
        obj=current,
        survivor_id=survivor.pk,
        before={"ended_at": None, "beds": current.beds},
        after={"ended_at": now.isoformat(), "end_reason": Placement.EndReason.TRANSFER},
        ip=ip,
    )


def _close_the_search(actor: Actor, survivor, placement: Placement, *, now, ip) -> None:
    """A placed child needs no other home: pending recommendations are withdrawn and
    the child leaves the waitlist, unless the placement is an interim stay (an emergency
    shelter): then the proposals stay, and the waitlist stays on (opened if it was not),
    so a bed that opens reaches the child.

    A recommendation referred under a crisis override stays pending: the MDT reviews
    every override, and the child arriving first is the usual night, not a reason to
    skip the review (the MDT's queue shows it as "review after placement")."""
    if placement.interim:
        if not WaitlistEntry.objects.filter(survivor=survivor, ended_at__isnull=True).exists():
            entry = WaitlistEntry.objects.create(survivor=survivor, added_by=actor)
            audit_record(
                actor=actor,
                action="waitlist.add",
                obj=entry,
                survivor_id=survivor.pk,
                after={"interim_placement": placement.pk},
                ip=ip,
            )
        return
    for recommendation in Recommendation.objects.select_for_update().filter(
        survivor=survivor, status=Recommendation.Status.PENDING_REVIEW, crisis_override=False
    ):
        recommendation_decide(
            actor,
            recommendation,
            Recommendation.Status.WITHDRAWN,
            ip=ip,
            why=f"The child was placed (placement {placement.pk}).",
        )
    end_waitlist(survivor, now=now)


def _check_discharge(end_reason: str, comment: str) -> None:
    reasons = [value for value, _ in Placement.DISCHARGE_REASONS]
    if end_reason not in reasons:
        raise ValidationError(
            {"end_reason": _("Give one of: %(choices)s.") % {"choices": ", ".join(reasons)}}
        )
    if end_reason == Placement.EndReason.OTHER and not comment:
        raise ValidationError({"comment": _("Say why, when the reason is other.")})


@transaction.atomic
def placement_discharge(
    *,
    actor: Actor,
    placement_id: int | None,
    end_reason: str,
    comment: str = "",
    ip: str | None = None,
) -> Placement:
    """The child left the home: the beds return and the survivor is discharged."""
    survivor, placement = lock_visible(actor, Placement, placement_id)
    if not policy.may_act_on_case(actor, survivor.pk):
        raise Forbidden(_("Only the child's case workers and their supervisors discharge."))
    comment = (comment or "").strip()
    _check_discharge(end_reason, comment)
    if placement.ended_at is not None:
        raise Conflict(
            _("This placement already ended (%(when)s).") % {"when": when(placement.ended_at)},
            code="already_discharged",
        )
    home_free_beds(
        actor=actor,
        home_id=placement.home_id,
        beds=placement.beds,
        note={"placement": placement.pk},
    )
    waitlist_recheck_after_commit(home_id=placement.home_id)
    # A child discharged from an interim stay has left Harbor's care: no more alerts.
    end_waitlist(survivor, now=timezone.now())
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
