"""Mass recovery (DESIGN.md "Mass recovery (batch placement)"): several children placed
together by one exact plan.

`batch_create` checks the request, stores the batch (status running) and queues its job
after the commit; the job (`placement.services.batch_runs`) works out the plan.
`batch_cancel` stops a running plan. Every step is audited; a batch is never deleted.

Who sees a batch (`batch_list`): Harbor admins; the supervisors of its agency; a case
worker of its agency who may see every child in it; once it is sent for review, the
MDT members of its team. Anyone else gets the same 404 as for no batch at all.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.models import Role
from audit.services import audit_record, audit_refusal
from core.errors import Conflict, Forbidden, NotFound
from core.types import Actor
from homes.models import Home
from placement.models import BATCH_MAX_CHILDREN, Batch, BatchAssignment, KeepApart, Placement
from placement.services.batch_runs import batch_queue
from survivors.models import Status, Survivor

TIME_LIMIT_DEFAULT = 30
TIME_LIMIT_MAX = 120
# Every list a request names is bounded (hundreds, not the hundreds of thousands a
# serializer once accepted: 10,000 hidden ids in keep_together took 27 s): the children
# of a batch, each in at most one group and pinned at most once; keep-apart pairs among
# them; homes a batch may exclude (more than any region has).
EXCLUDED_HOMES_MAX = 1000
KEEP_APART_MAX = BATCH_MAX_CHILDREN * 10  # a dense web of co-victims among 100 children
# The ids of a refused request kept on its one trail row.
REFUSED_IDS_KEPT = 50

# --- Who sees and who may do what -------------------------------------------------------


ONLY_CASE_SIDE = gettext_noop("Only case workers and supervisors place children in a batch.")


def may_plan(user: Actor) -> bool:
    """Case workers and supervisors place children; MDT members, home admins and Harbor
    admins do not (the same as proposing one home)."""
    return getattr(user, "role", None) in (Role.CASE_WORKER, Role.SUPERVISOR) and bool(
        getattr(user, "agency_id", None)
    )


def batch_list(*, user: Actor) -> QuerySet[Batch]:
    """The batches this user may know exist; every read of a batch starts here."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Batch.objects.none()
    if user.is_harbor_admin:
        return Batch.objects.all()
    if user.role == Role.SUPERVISOR and user.agency_id:
        return Batch.objects.filter(agency_id=user.agency_id)
    if user.role == Role.CASE_WORKER and user.agency_id:
        hidden = Batch.survivors.through.objects.filter(batch_id=OuterRef("pk")).exclude(
            survivor_id__in=Survivor.objects.visible_to(user).values("pk")
        )
        return Batch.objects.filter(agency_id=user.agency_id).exclude(Exists(hidden))
    if user.role == Role.MDT_MEMBER and user.team_id:
        return Batch.objects.filter(team_id=user.team_id).exclude(
            review_status=Batch.ReviewStatus.DRAFT
        )
    return Batch.objects.none()


def batch_get(*, user: Actor, batch_id: int | None) -> Batch:
    """The batch if the user may see it; NotFound (404) otherwise, as for no batch."""
    batch = (
        batch_list(user=user).select_related("created_by").filter(pk=batch_id).first()
        if batch_id is not None
        else None
    )
    if batch is None:
        raise NotFound()
    return batch


def batch_or_refuse(*, actor: Actor, batch_id: int | None, action: str, ip: str | None) -> Batch:
    """batch_get, with a refusal written to the trail (one row, whether or not it exists)."""
    try:
        return batch_get(user=actor, batch_id=batch_id)
    except NotFound:
        batch_refused(actor=actor, batch_id=batch_id, action=action, ip=ip)
        raise


def batch_refused(*, actor: Actor, batch_id: int | None, action: str, ip: str | None) -> None:
    audit_refusal(
        actor=actor,
        action=action,
        object_type=Batch._meta.label_lower,
        object_id=batch_id,
        survivor_id=None,
        ip=ip,
    )


def may_cancel(user: Actor, batch: Batch) -> bool:
    """Its creator, or a supervisor of its agency."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.pk == batch.created_by_id:
        return True
    return user.role == Role.SUPERVISOR and user.agency_id == batch.agency_id


# --- Creating a batch ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Request:
    survivors: list[int]
    keep_together: list[list[int]]
    keep_apart: list[list[int]]
    pins: dict[int, int]
    excluded_homes: list[int]
    time_limit_seconds: int


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _id_list(value: Any, field: str, errors: dict[str, list[str]]) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(_is_id(item) for item in value):
        errors.setdefault(field, []).append(gettext("Give a list of ids."))
        return []
    return list(value)


def _bound(
    errors: dict[str, list[str]],
    survivor_ids: Any,
    keep_together: Any,
    keep_apart: Any,
    pins: Any,
    excluded_homes: Any,
) -> None:
    """A message for each list longer than a batch can use."""

    def too_long(value: Any, limit: int) -> bool:
        return isinstance(value, list | tuple | dict) and len(value) > limit

    if too_long(survivor_ids, BATCH_MAX_CHILDREN):
        errors.setdefault("survivors", []).append(
            gettext("A batch places at most %(n)d children.") % {"n": BATCH_MAX_CHILDREN}
        )
    grouped = too_long(keep_together, BATCH_MAX_CHILDREN) or (
        isinstance(keep_together, list | tuple)
        and sum(len(g) if isinstance(g, list | tuple) else 1 for g in keep_together)
        > BATCH_MAX_CHILDREN
    )
    if grouped:
        errors.setdefault("keep_together", []).append(
            gettext("The groups name at most %(n)d children in all.") % {"n": BATCH_MAX_CHILDREN}
        )
    if too_long(keep_apart, KEEP_APART_MAX):
        errors.setdefault("keep_apart", []).append(
            gettext("Give at most %(n)d pairs.") % {"n": KEEP_APART_MAX}
        )
    if too_long(pins, BATCH_MAX_CHILDREN):
        errors.setdefault("pins", []).append(
            gettext("Pin at most %(n)d children.") % {"n": BATCH_MAX_CHILDREN}
        )
    if too_long(excluded_homes, EXCLUDED_HOMES_MAX):
        errors.setdefault("excluded_homes", []).append(
            gettext("Exclude at most %(n)d homes.") % {"n": EXCLUDED_HOMES_MAX}
        )


def _shape(
    survivor_ids: Any,
    keep_together: Any,
    keep_apart: Any,
    pins: Any,
    excluded_homes: Any,
    time_limit_seconds: Any,
) -> _Request:
    """The request's shape checked (the API's serializer checks it too; a page's form or
    a command may call the service directly): ValidationError naming each bad field."""
    errors: dict[str, list[str]] = {}
    _bound(errors, survivor_ids, keep_together, keep_apart, pins, excluded_homes)
    if errors:
        # Nothing longer than its bound is read further (or looked up, or audited).
        raise ValidationError(errors)
    survivors = _id_list(survivor_ids, "survivors", errors)
    groups: list[list[int]] = []
    if keep_together is not None:
        if not isinstance(keep_together, list | tuple) or not all(
            isinstance(group, list | tuple) and all(_is_id(item) for item in group)
            for group in keep_together
        ):
            errors.setdefault("keep_together", []).append(gettext("Give a list of groups of ids."))
        else:
            groups = [list(group) for group in keep_together]
    pairs: list[list[int]] = []
    if keep_apart is not None:
        if not isinstance(keep_apart, list | tuple) or not all(
            isinstance(pair, list | tuple) and all(_is_id(item) for item in pair)
            for pair in keep_apart
        ):
            errors.setdefault("keep_apart", []).append(gettext("Give a list of pairs of ids."))
        else:
            pairs = [list(pair) for pair in keep_apart]
    pinned: dict[int, int] = {}
    if pins is not None:
        if not isinstance(pins, dict):
            errors.setdefault("pins", []).append(gettext("Give an object {child id: home id}."))
        else:
            for key, home in pins.items():
                child = int(key) if isinstance(key, str) and key.isdigit() else key
                if not _is_id(child) or not _is_id(home):
                    errors.setdefault("pins", []).append(
                        gettext("Give an object {child id: home id}, both ids.")
                    )
                    break
                pinned[child] = home
    excluded = _id_list(excluded_homes, "excluded_homes", errors)
    limit = TIME_LIMIT_DEFAULT if time_limit_seconds is None else time_limit_seconds
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= TIME_LIMIT_MAX:
        errors.setdefault("time_limit_seconds", []).append(
            gettext("Give a whole number of seconds from 1 to %(most)s.") % {"most": TIME_LIMIT_MAX}
        )
    named = set(survivors).union(*groups, *pairs, pinned)
    if len(named) > BATCH_MAX_CHILDREN:
        # Every child a group, pair or pin names must be one of the batch's: a request
        # naming more distinct children than a batch holds is refused unread.
        errors.setdefault("survivors", []).append(
            gettext("A batch names at most %(n)d children in all.") % {"n": BATCH_MAX_CHILDREN}
        )
    if errors:
        raise ValidationError(errors)
    return _Request(survivors, groups, pairs, pinned, excluded, limit)


def _refuse_hidden(actor: Actor, request: _Request, ip: str | None) -> None:
    """NotFound (404) if any child the request names is one the actor may not see (or
    none at all), with the refusal on the trail: the same answer either way."""
    named = set(request.survivors)
    for group in request.keep_together:
        named.update(group)
    for pair in request.keep_apart:
        named.update(pair)
    named.update(request.pins)
    if not named:
        return
    seen = set(Survivor.objects.visible_to(actor).filter(pk__in=named).values_list("pk", flat=True))
    hidden = sorted(named - seen)
    if not hidden:
        return
    existing = sorted(Survivor.objects.filter(pk__in=hidden).values_list("pk", flat=True))
    # One row for the request, however many ids it named: a request must not write the
    # trail in proportion to its length. It joins a child's own trail when it named one
    # child that exists (the usual mistaken or probing id).
    audit_refusal(
        actor=actor,
        action="batch.create",
        object_type=Survivor._meta.label_lower,
        object_id=hidden[0],
        survivor_id=existing[0] if len(existing) == 1 else None,
        ip=ip,
        after={
            "hidden": len(hidden),
            "survivors": hidden[:REFUSED_IDS_KEPT],
            "existing": existing[:REFUSED_IDS_KEPT],
        },
    )
    raise NotFound()


class _Errors(dict[str, list[str]]):
    """The messages for each field of a request, raised together as one ValidationError.
    A message names a child by her case number (`child`), never by an internal id."""

    def __init__(self, names: dict[int, str] | None = None) -> None:
        super().__init__()
        self.names = names or {}

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)

    def child(self, survivor_id: int, *, first: bool = False) -> str:
        """'case KS-0917' ('Case ...' to begin a sentence)."""
        number = self.names.get(survivor_id)
        shown = number if number is not None else survivor_id
        if first:
            return gettext("Case %(number)s") % {"number": shown}
        return gettext("case %(number)s") % {"number": shown}


def _named_ids(request: _Request) -> set[int]:
    named = set(request.survivors) | set(request.pins)
    for group in (*request.keep_together, *request.keep_apart):
        named.update(group)
    return named


def _check(request: _Request) -> None:
    """Every rule across the request's fields; ValidationError naming each bad field."""
    errors = _Errors(
        dict(Survivor.objects.filter(pk__in=_named_ids(request)).values_list("pk", "case_number"))
    )
    in_batch = set(request.survivors)
    _check_children(request.survivors, errors)
    group_of = _check_groups(request.keep_together, in_batch, errors)
    _check_pairs(request.keep_apart, in_batch, group_of, errors)
    if request.pins:
        _check_pins(request, in_batch, errors)
    _check_excluded(request.excluded_homes, errors)
    if request.survivors and not errors.get("survivors"):
        _check_not_placed(in_batch, errors)
    if errors:
        raise ValidationError(dict(errors))


def _check_children(children: list[int], errors: _Errors) -> None:
    if not children:
        errors.add("survivors", gettext("Pick at least one child."))
    if len(children) > BATCH_MAX_CHILDREN:
        errors.add(
            "survivors",
            gettext("At most %(most)s children in one batch.") % {"most": BATCH_MAX_CHILDREN},
        )
    for child in sorted(c for c, n in Counter(children).items() if n > 1):
        errors.add(
            "survivors",
            gettext("%(child)s is listed twice.") % {"child": errors.child(child, first=True)},
        )


def _check_groups(groups: list[list[int]], in_batch: set[int], errors: _Errors) -> dict[int, int]:
    """The keep-together groups checked; returns each grouped child's group number."""
    group_of: dict[int, int] = {}
    for index, group in enumerate(groups, start=1):
        if len(set(group)) < 2:
            errors.add(
                "keep_together",
                gettext("Group %(index)s: a group needs at least two different children.")
                % {"index": index},
            )
        for child in sorted(set(group)):
            if child not in in_batch:
                errors.add(
                    "keep_together",
                    gettext("Group %(index)s: %(child)s is not in this batch.")
                    % {"index": index, "child": errors.child(child)},
                )
            elif child in group_of and group_of[child] != index:
                errors.add(
                    "keep_together",
                    gettext(
                        "%(child)s is in two groups (%(one)s and %(other)s): merge them into one."
                    )
                    % {
                        "child": errors.child(child, first=True),
                        "one": group_of[child],
                        "other": index,
                    },
                )
            else:
                group_of[child] = index
        if len(group) != len(set(group)):
            errors.add(
                "keep_together",
                gettext("Group %(index)s names a child twice.") % {"index": index},
            )
    return group_of


def _check_pairs(
    pairs: list[list[int]], in_batch: set[int], group_of: dict[int, int], errors: _Errors
) -> None:
    for index, pair in enumerate(pairs, start=1):
        if len(pair) != 2:
            errors.add(
                "keep_apart",
                gettext("Pair %(index)s: give exactly two children.") % {"index": index},
            )
            continue
        a, b = pair
        if a == b:
            errors.add(
                "keep_apart",
                gettext("Pair %(index)s: a child cannot be kept apart from themself.")
                % {"index": index},
            )
            continue
        missing = [child for child in (a, b) if child not in in_batch]
        for child in missing:
            errors.add(
                "keep_apart",
                gettext("Pair %(index)s: %(child)s is not in this batch.")
                % {"index": index, "child": errors.child(child)},
            )
        if not missing and a in group_of and group_of.get(a) == group_of.get(b):
            errors.add(
                "keep_apart",
                gettext(
                    "Pair %(index)s: %(a)s and %(b)s are also kept together (group %(group)s): "
                    "they cannot be both."
                )
                % {
                    "index": index,
                    "a": errors.child(a),
                    "b": errors.child(b),
                    "group": group_of[a],
                },
            )


def _check_pins(request: _Request, in_batch: set[int], errors: _Errors) -> None:
    homes = dict(Home.objects.filter(pk__in=set(request.pins.values())).values_list("pk", "active"))
    for child, home in sorted(request.pins.items()):
        if child not in in_batch:
            errors.add(
                "pins",
                gettext("%(child)s is not in this batch.")
                % {"child": errors.child(child, first=True)},
            )
        if home not in homes:
            errors.add(
                "pins",
                gettext("%(child)s: no home %(home)s.")
                % {"child": errors.child(child, first=True), "home": home},
            )
        elif not homes[home]:
            who = errors.child(child, first=True)
            errors.add(
                "pins",
                gettext("%(child)s: home %(home)s is not taking children (inactive).")
                % {"child": who, "home": home},
            )
        elif home in request.excluded_homes:
            errors.add(
                "pins",
                gettext("%(child)s: home %(home)s is pinned and excluded.")
                % {"child": errors.child(child, first=True), "home": home},
            )
    for index, group in enumerate(request.keep_together, start=1):
        targets = {request.pins[child] for child in group if child in request.pins}
        if len(targets) > 1:
            errors.add(
                "pins",
                gettext(
                    "Group %(index)s is kept together but pinned to different homes (%(homes)s)."
                )
                % {"index": index, "homes": ", ".join(str(h) for h in sorted(targets))},
            )


def _check_excluded(excluded: list[int], errors: _Errors) -> None:
    if len(excluded) > EXCLUDED_HOMES_MAX:
        errors.add(
            "excluded_homes",
            gettext("At most %(most)s homes.") % {"most": EXCLUDED_HOMES_MAX},
        )
    elif excluded:
        known = set(Home.objects.filter(pk__in=set(excluded)).values_list("pk", flat=True))
        for home in sorted(set(excluded) - known):
            errors.add("excluded_homes", gettext("No home %(home)s.") % {"home": home})


def _check_not_placed(in_batch: set[int], errors: _Errors) -> None:
    """A child placed for good cannot be planned; a child in an interim stay (an
    emergency shelter) can: she is still seeking, and her move is a transfer."""
    placed = (
        Survivor.objects.filter(pk__in=in_batch)
        .filter(
            Q(status=Status.PLACED)
            | Exists(
                Placement.objects.filter(
                    survivor=OuterRef("pk"), ended_at__isnull=True, interim=False
                )
            )
        )
        .order_by("pk")
        .values_list("pk", "case_number")
    )
    for _child, case_number in placed:
        errors.add(
            "survivors",
            gettext(
                "Case %(number)s is already placed: discharge them first, or leave them out of "
                "the batch."
            )
            % {"number": case_number},
        )


def batch_create(
    *,
    actor: Actor,
    survivor_ids: Any,
    keep_together: Any = None,
    keep_apart: Any = None,
    pins: Any = None,
    excluded_homes: Any = None,
    time_limit_seconds: int | None = None,
    ip: str | None = None,
) -> Batch:
    """Ask for a plan for these children: checked, stored (status running) and queued.

    NotFound (404) for any child the actor may not see, Forbidden (403) for a role that
    does not place children (MDT members, home admins, Harbor admins), ValidationError
    (400) naming the field for anything else (see `_check`). Refusals are audited here,
    outside the transaction, so a 404 or 403 leaves its row on the trail.
    """
    request = _shape(
        survivor_ids, keep_together, keep_apart, pins, excluded_homes, time_limit_seconds
    )
    _refuse_hidden(actor, request, ip)
    if not may_plan(actor):
        audit_refusal(
            actor=actor,
            action="batch.create",
            object_type=Batch._meta.label_lower,
            object_id=None,
            survivor_id=None,
            ip=ip,
        )
        raise Forbidden(gettext(ONLY_CASE_SIDE))
    _check(request)
    return _store(actor, _with_links(request), ip=ip)


def _with_links(request: _Request) -> _Request:
    """The request's keep-apart pairs and the safety links between its children (the same
    links every search and commitment reads), each pair once. ValidationError when a
    linked pair is also kept together."""
    children = set(request.survivors)
    linked = KeepApart.objects.active().filter(survivor__in=children, other__in=children)
    pairs = {frozenset(pair) for pair in request.keep_apart}
    added = [
        [link.survivor_id, link.other_id]
        for link in linked.order_by("id")
        if frozenset((link.survivor_id, link.other_id)) not in pairs
    ]
    for group in request.keep_together:
        for a, b in added:
            if a in group and b in group:
                numbers = dict(
                    Survivor.objects.filter(pk__in=(a, b)).values_list("pk", "case_number")
                )
                raise ValidationError(
                    {
                        "keep_together": gettext(
                            "Cases %(a)s and %(b)s must be kept apart (a safety link on their "
                            "records): they cannot be kept together."
                        )
                        % {"a": numbers[a], "b": numbers[b]}
                    }
                )
    return dataclasses.replace(request, keep_apart=[*request.keep_apart, *added])


@transaction.atomic
def _store(actor: Actor, request: _Request, *, ip: str | None) -> Batch:
    if actor.agency_id is None:  # never: may_plan admits members of an agency only
        raise Forbidden(gettext(ONLY_CASE_SIDE))
    batch = Batch(
        agency_id=actor.agency_id,
        created_by=actor,
        keep_together=request.keep_together,
        keep_apart=request.keep_apart,
        pins={str(child): home for child, home in sorted(request.pins.items())},
        excluded_homes=sorted(set(request.excluded_homes)),
        time_limit_seconds=request.time_limit_seconds,
        task_id=str(uuid.uuid4()),
        progress_note="Waiting to start",
    )
    batch.full_clean()
    batch.save()
    batch.survivors.set(request.survivors)
    audit_record(
        actor=actor,
        action="batch.create",
        obj=batch,
        after={
            "status": batch.status,
            "children": len(request.survivors),
            "keep_together": len(request.keep_together),
            "keep_apart": len(request.keep_apart),
            "pins": len(request.pins),
            "excluded_homes": len(batch.excluded_homes),
            "time_limit_seconds": batch.time_limit_seconds,
        },
        ip=ip,
    )
    batch_queue(batch)
    return batch


# --- Cancelling -----------------------------------------------------------------------------


def batch_cancel(*, actor: Actor, batch: Batch, ip: str | None = None) -> Batch:
    """Stop a running plan: the batch is cancelled at once and its job, which checks
    twice a second, stops the solver and stores nothing. Conflict (409) once it ended."""
    visible = batch_list(user=actor).filter(pk=batch.pk).exists()
    if not visible or not may_cancel(actor, batch):
        batch_refused(actor=actor, batch_id=batch.pk, action="batch.cancel", ip=ip)
        if not visible:
            raise NotFound()
        raise Forbidden(gettext("Only whoever started the batch, or a supervisor, cancels it."))
    return _cancel(actor, batch.pk, ip=ip)


@transaction.atomic
def _cancel(actor: Actor, batch_id: int, *, ip: str | None) -> Batch:
    batch = Batch.objects.select_for_update().get(pk=batch_id)
    if batch.status != Batch.Status.RUNNING:
        raise Conflict(
            gettext("This batch is not running any more (%(status)s).")
            % {"status": batch.get_status_display().lower()},
            code="not_running",
        )
    before = batch.status
    batch.status = Batch.Status.CANCELLED
    batch.cancel_requested = True
    batch.finished_at = timezone.now()
    batch.progress_note = "Cancelled"
    batch.save(update_fields=["status", "cancel_requested", "finished_at", "progress_note"])
    audit_record(
        actor=actor,
        action="batch.cancel",
        obj=batch,
        before={"status": before, "progress": batch.progress},
        after={"status": batch.status},
        ip=ip,
    )
    return batch


# --- The plan, once stored ---------------------------------------------------------------


def assignments_of(batch: Batch) -> Iterable[BatchAssignment]:
    """The plan's lines, in the children's intake order."""
    return batch.assignments.select_related("home").order_by("survivor__created_at", "survivor_id")
