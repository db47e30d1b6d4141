"""Who may do what in the placement workflow: plain functions over the actor and the
record, and the permission-aware querysets on the models (`Referral.objects.visible_to`).

The services ask here before they change anything; the pages and the API ask here for
what to show. Neither the pages nor the API decide: they call the services through
`attempt`, which also audits a refusal, once, whoever called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.db import models

from accounts.models import Role
from audit.services import audit_refusal
from core.errors import Forbidden, NotFound
from core.types import RequestUser
from homes.models import Home
from placement.models import Recommendation, Referral
from placement.selectors import records_visible_to
from survivors.models import Survivor
from survivors.policy import (
    is_case_side,
    need_to_know,
    survivor_or_refuse,
    survivor_record_denied,
)

T = TypeVar("T")


def sees_survivor(user: RequestUser, survivor_id: int) -> bool:
    """Whether the user may see the child's record (the case side of a referral)."""
    return Survivor.objects.visible_to(user).filter(pk=survivor_id).exists()


def may_act_on_case(user: RequestUser, survivor_id: int) -> bool:
    """Propose, refer, withdraw, confirm an arrival, discharge, waitlist."""
    return is_case_side(user) and sees_survivor(user, survivor_id)


def may_record_follow_up(user: RequestUser, survivor_id: int) -> bool:
    """A placement's 30- and 90-day outcome: the child's case workers and supervisors,
    who visit the child; not the home (it would be marking its own work) nor the MDT."""
    return may_act_on_case(user, survivor_id)


def may_read_follow_ups(user: RequestUser, survivor_id: int) -> bool:
    """Follow-ups are the case side's record of how the child is doing, after the home
    too (a child who moved on): the case side and Harbor admins. MDT members see only
    a home's stability in aggregate (`selectors.home_stability`)."""
    if getattr(user, "is_harbor_admin", False):
        return True
    return may_act_on_case(user, survivor_id)


def may_review(user: RequestUser, recommendation: Recommendation) -> bool:
    """Only members of the team asked to review."""
    return (
        user.is_authenticated
        and user.role == Role.MDT_MEMBER
        and user.team_id is not None
        and user.team_id == recommendation.team_id
    )


def may_answer(user: RequestUser, referral: Referral) -> bool:
    """The home's own admins (or a Harbor admin) accept and decline its referrals."""
    return Home.objects.editable_by(user).filter(pk=referral.home_id).exists()


def may_see_identity(user: RequestUser, referral: Referral) -> bool:
    """Who the child is: the case side always; the home once it has accepted; an MDT
    member never (need to know)."""
    if need_to_know(user):
        return False
    if getattr(user, "role", None) == Role.HOME_ADMIN:
        return referral.identified
    return sees_survivor(user, referral.survivor_id)


# --- Refusals ---------------------------------------------------------------------------


def refuse(
    *,
    actor: RequestUser,
    model: type[models.Model],
    object_id: int | None,
    action: str,
    ip: str | None,
) -> None:
    """Audit one refused attempt on a survivor or a workflow record (whether or not it
    exists; it joins the survivor's trail only when it does)."""
    if model is Survivor:
        survivor_record_denied(actor=actor, survivor_id=object_id, action=action, ip=ip)
        return
    if object_id is None:
        survivor_id = None
    else:
        survivor_id = (
            model._default_manager.filter(pk=object_id)
            .values_list("survivor_id", flat=True)
            .first()
        )
    audit_refusal(
        actor=actor,
        action=action,
        object_type=model._meta.label_lower,
        object_id=object_id,
        survivor_id=survivor_id,
        ip=ip,
    )


def visible_or_refuse[T: models.Model](
    *, actor: RequestUser, model: type[T], object_id: int | None, action: str, ip: str | None
) -> T:
    """The record if the actor may see it; otherwise the refusal is audited and NotFound
    raised (a page answers 404, the API its JSON 404: the same as for no record)."""
    if model is Survivor:
        # Its own door (its selector's joins, its refusal's entry); T is Survivor here.
        survivor = survivor_or_refuse(actor=actor, survivor_id=object_id, action=action, ip=ip)
        return cast(T, survivor)
    found = (
        records_visible_to(model, actor).filter(pk=object_id).first()
        if object_id is not None
        else None
    )
    if found is None:
        refuse(actor=actor, model=model, object_id=object_id, action=action, ip=ip)
        raise NotFound()
    return found


def attempt[T](
    service: Callable[..., T],
    *,
    actor: RequestUser,
    model: type[models.Model],
    object_id: int | None,
    action: str,
    ip: str | None,
    **kwargs: Any,
) -> T:
    """Run one workflow service for a page or the API: the one door.

    A refusal (NotFound, Forbidden) is audited here, after the service's transaction
    rolled back, so exactly one row records it, whichever door the request came by.
    """
    try:
        return service(actor=actor, ip=ip, **kwargs)
    except (NotFound, Forbidden):
        refuse(actor=actor, model=model, object_id=object_id, action=action, ip=ip)
        raise
