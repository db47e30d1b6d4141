"""Referrals: the recommended home is asked to take the child; it accepts (a bed hold
that expires) or declines; the case worker may withdraw. Every commitment re-checks
the matching rules on the locked rows (placement.services.rules)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from audit.services import audit_record
from core.errors import Conflict, Forbidden, NotFound
from core.types import Actor
from homes.models import Home
from homes.services import home_admins, home_release_beds
from notifications.models import Notification
from notifications.services import notification_send
from notifications.texts import count, msg
from placement import policy
from placement.models import Recommendation, Referral, Review
from placement.services.common import (
    child_summary,
    lock_visible,
    lock_visible_survivor,
    set_seeking_status,
    settle_status,
    survivor_id_of,
    team_members,
    when,
    worker_contact,
)
from placement.services.rules import lock_home, rules_check
from placement.services.waitlist import waitlist_recheck_after_commit
from survivors.models import Status, Survivor

MAX_ACTIVE_REFERRALS = 3


def referral_state(referral: Referral) -> str:
    """Why a referral cannot move: a sentence for the 409."""
    status = referral.status
    if status == Referral.Status.ACCEPTED:
        until = when(referral.hold_expires_at)
        return _("This referral is already accepted; beds are held until %(until)s.") % {
            "until": until
        }
    if status == Referral.Status.DECLINED:
        return _("This referral was declined.")
    if status == Referral.Status.EXPIRED:
        return _(
            "The hold on this referral expired at %(when)s and its beds went back: the case "
            "worker must refer again."
        ) % {"when": when(referral.hold_expires_at)}
    if status == Referral.Status.WITHDRAWN:
        # The reason as it was written (stored on the referral).
        withdrawn = _("This referral was withdrawn.")
        # Harbor's own reasons are msgids (read in the request's language); a person's
        # words are shown as written. gettext("") would be the catalogue's header.
        reason = _(referral.close_reason) if referral.close_reason else ""
        return f"{withdrawn} {reason}".strip()
    if status == Referral.Status.PLACED:
        return _("The child has arrived: this referral is now a placement.")
    return _("The home has not accepted this referral yet.")


def referral_close(
    actor: Actor | None, referral: Referral, status: str, *, reason: str, ip: str | None
) -> None:
    """End a pending or accepted referral (withdrawn or expired; the caller holds it
    locked): an accepted one gives its held beds back. A withdrawal tells the home."""
    before = referral.status
    if before == Referral.Status.ACCEPTED:
        home_release_beds(
            actor=actor,
            home_id=referral.home_id,
            beds=referral.beds,
            note={"referral": referral.pk, "why": status},
        )
        waitlist_recheck_after_commit(home_id=referral.home_id)
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
        # The reason: Harbor's own (a msgid, read in the home's language) or the case
        # worker's words, shown as written (gettext of an unknown text is the text).
        message = (
            msg(
                gettext_noop(
                    "Referral %(referral)s to %(home)s was withdrawn: %(reason)s The %(beds)s "
                    "held are free again."
                ),
                referral=str(referral.pk),
                home=home.name,
                reason=msg(reason),
                beds=count(referral.beds, "bed"),
            )
            if before == (Referral.Status.ACCEPTED)
            else msg(
                gettext_noop("Referral %(referral)s to %(home)s was withdrawn: %(reason)s"),
                referral=str(referral.pk),
                home=home.name,
                reason=msg(reason),
            )
        )
        notification_send(
            recipients=home_admins(home),
            kind=Notification.Kind.REFERRAL_WITHDRAWN,
            message=message,
            obj=referral,
        )


# --- Refer -------------------------------------------------------------------------------


def _override_needed(recommendation: Recommendation, crisis_override: bool, justification: str):
    """Whether this referral goes out under a crisis override; Conflict if it may not go."""
    status = recommendation.status
    if status == Recommendation.Status.REJECTED:
        raise Conflict(
            _("The MDT rejected this recommendation: propose another home."), code="rejected"
        )
    if status == Recommendation.Status.WITHDRAWN:
        raise Conflict(_("This recommendation was withdrawn."), code="withdrawn")
    if status != Recommendation.Status.PENDING_REVIEW:
        return False
    if not crisis_override:
        approvals = recommendation.reviews.filter(decision=Review.Decision.APPROVE).count()
        raise Conflict(
            _(
                "The MDT has not approved this recommendation yet (%(approvals)s of "
                "%(quorum)s approvals). Refer once it is approved, or now with crisis_override "
                "and a justification: the MDT then reviews it after the fact."
            )
            % {"approvals": approvals, "quorum": recommendation.quorum},
            code="not_approved",
        )
    if not justification:
        raise ValidationError(
            {"justification": _("A crisis override needs a justification: the MDT reviews it.")}
        )
    return True


def _check_may_refer(survivor: Survivor, home: Home) -> None:
    """The child's other referrals allow one more to this home (they are locked here)."""
    if survivor.status == Status.PLACED:
        raise Conflict(
            _("This child is placed: discharge them before referring again."),
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
            _("Beds are held for this child at %(home)s (referral %(referral)s).")
            % {"home": held.home.name, "referral": held.pk},
            code="hold_exists",
        )
    if any(r.home_id == home.pk for r in active):
        raise Conflict(
            _("This child is already referred to %(home)s.") % {"home": home.name},
            code="already_referred",
        )
    if len(active) >= MAX_ACTIVE_REFERRALS:
        raise Conflict(
            _(
                "A child may be referred to at most %(most)s homes at once: wait for an answer "
                "or withdraw a referral."
            )
            % {"most": MAX_ACTIVE_REFERRALS},
            code="too_many_referrals",
        )


def _record_override(actor: Actor, recommendation: Recommendation, justification: str) -> None:
    recommendation.crisis_override = True
    recommendation.crisis_justification = justification
    recommendation.crisis_override_by = actor
    recommendation.crisis_override_at = timezone.now()
    recommendation.full_clean()
    recommendation.save(
        update_fields=[
            "crisis_override",
            "crisis_justification",
            "crisis_override_by",
            "crisis_override_at",
        ]
    )


@transaction.atomic
def referral_create(
    *,
    actor: Actor,
    recommendation_id: int | None,
    crisis_override: bool = False,
    justification: str = "",
    ip: str | None = None,
) -> Referral:
    """Refer the child to the recommended home: once the MDT approved, or at once under a
    crisis override with a justification (recorded; the MDT then reviews after the fact).

    The rules are re-checked on the locked survivor and home rows first (an override
    skips the review, never a rule). A child may be referred to at most three homes at
    once, and never while beds are held for them; the first home to accept withdraws
    the others.
    """
    if recommendation_id is None:
        raise NotFound()
    survivor = lock_visible_survivor(actor, survivor_id_of(Recommendation, recommendation_id))
    if not policy.may_act_on_case(actor, survivor.pk):
        raise Forbidden(_("Only the child's case workers and their supervisors refer a child."))
    recommendation = Recommendation.objects.select_for_update().get(pk=recommendation_id)
    justification = (justification or "").strip()
    override = _override_needed(recommendation, crisis_override, justification)
    _check_may_refer(survivor, recommendation.home)
    home = lock_home(recommendation.home_id)
    rules_check(survivor=survivor, home=home)
    if override:
        _record_override(actor, recommendation, justification)
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
    set_seeking_status(actor, survivor, Status.REFERRED, note=f"Referral {referral.pk}", ip=ip)
    _announce_referral(actor, survivor, recommendation, referral, ip=ip)
    return referral


def _announce_referral(
    actor: Actor, survivor: Survivor, recommendation: Recommendation, referral: Referral, *, ip
) -> None:
    """Audit the referral; tell the home, and the MDT of a crisis override."""
    home, override = referral.home, referral.crisis_override
    after: dict[str, Any] = {
        "recommendation": recommendation.pk,
        "home": home.pk,
        "beds": referral.beds,
        "status": referral.status,
    }
    if override:
        after.update(crisis_override=True, justification=recommendation.crisis_justification)
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
            recipients=team_members(recommendation.team_id),
            kind=Notification.Kind.REVIEW_REQUESTED,
            message=msg(
                gettext_noop(
                    "Crisis: case %(number)s was referred to %(home)s under a crisis override "
                    "before the MDT's review: please review it after the fact."
                ),
                number=survivor.case_number,
                home=home.name,
            ),
            obj=recommendation,
        )
    admins = home_admins(home)
    if not admins:
        # Nobody at the home signs in to Harbor: it answers through a single-use link.
        from placement.services.answer_links import answer_link_issue

        answer_link_issue(actor=actor, referral=referral, ip=ip)
    notification_send(
        recipients=admins,
        kind=Notification.Kind.REFERRAL_RECEIVED,
        message=msg(
            gettext_noop(
                "New referral %(referral)s to %(home)s: %(child)s, needing %(beds)s. Please "
                "accept or decline. %(worker)s"
            ),
            referral=str(referral.pk),
            home=home.name,
            child=child_summary(survivor),
            beds=count(referral.beds, "bed"),
            worker=worker_contact(referral.referred_by),
        ),
        obj=referral,
    )


@transaction.atomic
def referral_withdraw(
    *, actor: Actor, referral_id: int | None, reason: str = "", ip: str | None = None
) -> Referral:
    """The case worker withdraws a referral still pending or accepted (held beds return)."""
    survivor, referral = lock_visible(actor, Referral, referral_id)
    if not policy.may_act_on_case(actor, survivor.pk):
        raise Forbidden(
            _("Only the child's case workers and their supervisors withdraw a referral.")
        )
    if referral.status not in Referral.ACTIVE:
        raise Conflict(referral_state(referral), code=f"referral_{referral.status}")
    referral_close(
        actor,
        referral,
        Referral.Status.WITHDRAWN,
        reason=(reason or "").strip() or gettext_noop("Withdrawn by the case worker."),
        ip=ip,
    )
    settle_status(actor, survivor, note=f"Referral {referral.pk} withdrawn", ip=ip)
    return referral
