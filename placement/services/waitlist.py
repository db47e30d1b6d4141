"""The waitlist: no survivor waits silently. A child no home fits is waitlisted; their
case workers hear of each home that becomes feasible, once."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext

from audit.services import audit_record
from core.errors import Conflict, Forbidden
from core.outbox import enqueue
from core.types import Actor
from engine import INTERIM_HOME_TYPE
from homes.models import Home
from matching.selectors import home_failures, match_needs
from notifications.models import Notification
from notifications.services import notification_send
from notifications.texts import msg
from placement import policy
from placement.models import (
    Placement,
    Recommendation,
    Referral,
    WaitlistEntry,
    WaitlistOffer,
)
from placement.selectors import case_needs, waitlist_open_entries
from placement.services.common import (
    case_text,
    case_workers,
    home_contact,
    interim_placement,
    lock_visible_survivor,
    set_seeking_status,
)
from survivors.models import Status, Survivor

BLOCKED: dict[str, str] = {
    Status.PLACED: gettext_noop("This child is placed."),
    Status.REFERRED: gettext_noop("This child is referred to a home: wait for the answer."),
    Status.PENDING_REVIEW: gettext_noop(
        "A recommendation for this child is waiting for MDT review."
    ),
    Status.WAITLISTED: gettext_noop("This child is already on the waitlist."),
}


@transaction.atomic
def survivor_waitlist(
    *, actor: Actor, survivor_id: int | None, ip: str | None = None
) -> WaitlistEntry:
    """Put a child no home fits on the waitlist; their case workers then hear of each
    home that becomes feasible. Refused while any home fits (propose one instead); an
    emergency shelter does not count, being only an interim placement (DESIGN: "When
    nothing fits tonight")."""
    survivor = lock_visible_survivor(actor, survivor_id)
    if not policy.may_act_on_case(actor, survivor.pk):
        raise Forbidden(
            gettext("Only the child's case workers and their supervisors waitlist a child.")
        )
    if survivor.status in BLOCKED:
        raise Conflict(gettext(BLOCKED[survivor.status]), code=f"survivor_{survivor.status}")
    if WaitlistEntry.objects.filter(survivor=survivor, ended_at__isnull=True).exists():
        # An interim stay keeps (or opens) the child's entry: the waitlist already watches.
        raise Conflict(gettext(BLOCKED[Status.WAITLISTED]), code=f"survivor_{Status.WAITLISTED}")
    needs = case_needs(survivor, today=timezone.localdate())
    result = match_needs(needs, limit=1)
    if not result.tonight.nothing_fits:
        raise Conflict(
            ngettext(
                "%(count)d home fits this child now: propose one instead of waitlisting.",
                "%(count)d homes fit this child now: propose one instead of waitlisting.",
                result.feasible_count,
            )
            % {"count": result.feasible_count},
            code="homes_available",
        )
    entry = WaitlistEntry(survivor=survivor, added_by=actor)
    entry.full_clean()
    entry.save()
    set_seeking_status(actor, survivor, Status.WAITLISTED, note="No feasible home", ip=ip)
    audit_record(
        actor=actor,
        action="waitlist.add",
        obj=entry,
        survivor_id=survivor.pk,
        after={
            "homes_considered": result.homes_considered,
            "feasible_count": result.feasible_count,
        },
        ip=ip,
    )
    return entry


def waitlist_recheck_after_commit(*, home_id: int) -> None:
    """Queue the waitlist's re-check at `home_id` with the caller's transaction:
    after every change to the home's free beds or staff, so a bed that opens reaches a
    waiting child within seconds. Through the outbox: a broker that is down delays the
    re-check, never the change nor its request."""
    from placement.tasks import recheck_waitlist  # the task calls this module's services

    enqueue(recheck_waitlist, kwargs={"home_id": home_id})


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
        if survivor.status not in (Status.WAITLISTED, Status.INTERIM) and not _in_interim_stay(
            survivor
        ):
            # The status moved on without the entry being closed: close it now.
            WaitlistEntry.objects.filter(pk=entry.pk, ended_at__isnull=True).update(
                ended_at=timezone.now()
            )
            continue
        needs = case_needs(survivor, today=today)
        # An emergency shelter is an interim placement: not the bed the child waits for.
        if home_id is not None:
            fits = home_failures(needs, home_id=home_id) == ()
            interim = Home.objects.filter(pk=home_id, home_type=INTERIM_HOME_TYPE).exists()
            feasible = [home_id] if fits and not interim else []
        else:
            feasible = [
                ranked.home.id
                for ranked in match_needs(needs, limit=50).results
                if ranked.home.home_type != INTERIM_HOME_TYPE
            ]
        for feasible_home_id in feasible:
            found += _waitlist_offer(entry, survivor, feasible_home_id)
    return found


def _in_interim_stay(survivor: Survivor) -> bool:
    """Proposed, referred or placed only at emergency shelters: an interim stay, during
    which the waitlist keeps watching for a home."""
    if survivor.status not in (Status.PENDING_REVIEW, Status.REFERRED, Status.PLACED):
        return False
    open_homes = [
        *Recommendation.objects.filter(
            survivor=survivor,
            status__in=[Recommendation.Status.PENDING_REVIEW, Recommendation.Status.APPROVED],
            referrals__isnull=True,
        ).values_list("home__home_type", flat=True),
        *Referral.objects.filter(
            survivor=survivor,
            status__in=[Referral.Status.PENDING, Referral.Status.ACCEPTED],
        ).values_list("home__home_type", flat=True),
        *Placement.objects.filter(survivor=survivor, ended_at__isnull=True).values_list(
            "home__home_type", flat=True
        ),
    ]
    return bool(open_homes) and all(kind == INTERIM_HOME_TYPE for kind in open_homes)


@transaction.atomic
def _waitlist_offer(entry: WaitlistEntry, survivor: Survivor, home_id: int) -> int:
    _offer, created = WaitlistOffer.objects.get_or_create(entry=entry, home_id=home_id)
    if not created:
        return 0
    home = Home.objects.get(pk=home_id)
    stay = interim_placement(survivor)
    where = (
        msg(gettext_noop("in an interim stay at %(shelter)s"), shelter=stay.home.name)
        if stay is not None
        else msg(gettext_noop("waitlisted"))
    )
    crisis = msg(gettext_noop("Crisis: ")) if survivor.urgency == "crisis" else ""
    notification_send(
        recipients=case_workers(survivor),
        kind=Notification.Kind.BED_OPENED,
        message=msg(
            gettext_noop(
                "%(crisis)sA bed that fits %(case)s (%(where)s) opened at %(home)s (%(state)s): "
                "search and propose it before it goes. %(contact)s"
            ),
            crisis=crisis,
            case=case_text(survivor),
            where=where,
            home=home.name,
            state=home.state,
            contact=home_contact(home),
        ),
        obj=survivor,
        dedupe_key=f"waitlist:{entry.pk}:{home_id}",
    )
    return 1
