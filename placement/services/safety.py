"""Safety across cases (DESIGN.md "Safety across cases"): two children kept apart,
whatever case each is in. A link is set by a case worker or supervisor who may act on
both children; the rule `keep_apart` then refuses, at every search and commitment, a
home where the other is placed, held or referred. Nothing here names a child to someone
who may not see her: a child the actor may not see is the same 404 as no child."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.errors import Conflict, Forbidden, NotFound
from core.types import Actor
from placement import policy
from placement.models import KEEP_APART_REASON_MAX, KeepApart, Placement, Referral
from placement.services.cases import referrals_recheck
from placement.services.common import lock_survivor
from survivors.models import Survivor


def _lock_pair(
    actor: Actor, survivor_id: int | None, other_id: int | None
) -> tuple[Survivor, Survivor]:
    """Both children, locked in id order (so two links never wait on each other), if the
    actor may see both; NotFound for either otherwise. Forbidden unless the actor may act
    on both cases (case workers and supervisors)."""
    if survivor_id is None or other_id is None:
        raise NotFound()
    if survivor_id == other_id:
        raise ValidationError({"survivor": _("A child cannot be kept apart from herself.")})
    visible = Survivor.objects.visible_to(actor).filter(pk__in=(survivor_id, other_id))
    if visible.count() != 2:
        raise NotFound()
    locked = {pk: lock_survivor(pk) for pk in sorted((survivor_id, other_id))}
    for pk in locked:
        if not policy.may_act_on_case(actor, pk):
            raise Forbidden(_("Only the children's case workers and supervisors keep them apart."))
    return locked[survivor_id], locked[other_id]


def _first_commitment(survivor: Survivor, homes: set[int]) -> datetime.datetime | None:
    """When the child's earliest live commitment at one of `homes` was made."""
    times = [
        *Placement.objects.filter(
            survivor=survivor, ended_at__isnull=True, home_id__in=homes
        ).values_list("started_at", flat=True),
        *Referral.objects.filter(
            survivor=survivor, status__in=Referral.ACTIVE, home_id__in=homes
        ).values_list("created_at", flat=True),
    ]
    return min(times, default=None)


def _homes_of(survivor: Survivor) -> set[int]:
    return {
        *Placement.objects.filter(survivor=survivor, ended_at__isnull=True).values_list(
            "home_id", flat=True
        ),
        *Referral.objects.filter(survivor=survivor, status__in=Referral.ACTIVE).values_list(
            "home_id", flat=True
        ),
    }


@transaction.atomic
def keep_apart_create(
    *,
    actor: Actor,
    survivor_id: int | None,
    other_id: int | None,
    reason: str,
    ip: str | None = None,
) -> KeepApart:
    """Keep two children apart from now on. If both are already referred to (or one is
    at) the same home, the later commitment there is withdrawn at once — a child already
    placed stays — and the case workers and the home are told why, as for any record
    change (`referrals_recheck`)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why they must be kept apart.")})
    if len(reason) > KEEP_APART_REASON_MAX:
        raise ValidationError(
            {"reason": _("At most %(n)d characters.") % {"n": KEEP_APART_REASON_MAX}}
        )
    survivor, other = _lock_pair(actor, survivor_id, other_id)
    low, high = sorted((survivor.pk, other.pk))
    if KeepApart.objects.active().filter(survivor_id=low, other_id=high).exists():
        raise Conflict(_("These two children are already kept apart."), code="already_kept_apart")
    link = KeepApart(survivor_id=low, other_id=high, reason=reason, created_by=actor)
    link.full_clean()
    link.save()
    for child in (survivor, other):
        audit_record(
            actor=actor,
            action="survivor.keep_apart",
            obj=link,
            survivor_id=child.pk,
            after={"link": link.pk, "reason": "<encrypted>"},
            ip=ip,
        )
    # Where both are committed, the one who came later gives way: re-checked first, its
    # referral there is withdrawn; the other's then fits again.
    shared = _homes_of(survivor) & _homes_of(other)
    order = sorted(
        (survivor, other),
        key=lambda child: _first_commitment(child, shared) or timezone.now(),
        reverse=True,
    )
    for child in order:
        referrals_recheck(actor=actor, survivor=child, ip=ip)
    return link


@transaction.atomic
def keep_apart_end(
    *, actor: Actor, survivor_id: int | None, other_id: int | None, ip: str | None = None
) -> KeepApart:
    """End a link (never deleted: `ended_at`, `ended_by`, on both children's trails).
    NotFound when the actor may not see either child, or no active link joins them."""
    survivor, other = _lock_pair(actor, survivor_id, other_id)
    low, high = sorted((survivor.pk, other.pk))
    link = (
        KeepApart.objects.select_for_update()
        .active()
        .filter(survivor_id=low, other_id=high)
        .first()
    )
    if link is None:
        raise NotFound()
    link.ended_at = timezone.now()
    link.ended_by = actor
    link.save(update_fields=["ended_at", "ended_by"])
    for child in (survivor, other):
        audit_record(
            actor=actor,
            action="survivor.keep_apart_end",
            obj=link,
            survivor_id=child.pk,
            before={"ended_at": None},
            after={"ended_at": link.ended_at.isoformat()},
            ip=ip,
        )
    return link
