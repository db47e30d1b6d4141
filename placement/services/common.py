"""What every workflow service shares: the lock order, who hears about a case, and how
a survivor's status settles after something ended.

Locks are taken in one order everywhere: the survivor, then the referral (or the
recommendation or placement), then the home. Every transition of one child is
serialized on the survivor row; bed counts on the home row, last, so two
transactions never wait on each other in opposite orders.
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from django.db import models
from django.utils import dateformat, timezone
from django.utils.translation import gettext_noop

from accounts.models import Role, User
from core.errors import NotFound
from core.templatetags.harbor import WHEN_FORMAT
from core.types import Actor, RequestUser
from core.vocab import STATE_TIME_ZONES
from homes.models import Home
from notifications.texts import Text, choice, count, joined, msg, sentence
from placement.models import Placement, Recommendation, Referral, WaitlistEntry
from placement.selectors import recommendations_ready_to_refer, records_visible_to
from placement.services.rules import live_failures, without_zones
from survivors.models import Status, Survivor
from survivors.services import survivor_set_status


def when(moment: datetime.datetime | None, zone: str | None = None) -> str:
    """A time for a message, in `zone` (an IANA name; the server's by default), named,
    written as the pages write it ("29 Nov 2026, 02:13 CST"). None is now, as for
    Django's localtime."""
    tz = zoneinfo.ZoneInfo(zone) if zone else None
    return dateformat.format(timezone.localtime(moment, tz), WHEN_FORMAT)


def agency_zone(survivor: Survivor) -> str:
    """The zone of the child's agency: their case workers read times in it."""
    return survivor.agency.zone_name


def home_zone(home: Home) -> str:
    return STATE_TIME_ZONES.get(home.state, "UTC")


def case_of(survivor: Survivor) -> str:
    """How a message names a child to the case side and the MDT: by case number, never
    by name (the number is what they find the case by)."""
    return f"case {survivor.case_number}"


def case_text(survivor: Survivor) -> Text:
    """case_of for a notification, read in the reader's language."""
    return msg(gettext_noop("case %(number)s"), number=survivor.case_number)


def reasons_text(failed: list[dict[str, Any]]) -> Text:
    """The rules' reasons (the engine's sentences), each read in the reader's language."""
    return joined([sentence(item["reason"]) for item in failed], "; ")


def quoted(text: str, limit: int = 180) -> str:
    """A person's comment inside a message, cut to fit (the page shows it whole)."""
    text = " ".join((text or "").split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"“{text}”"


def home_contact(home: Home) -> Text:
    """The number a case worker calls about a referral, and whom to ask for."""
    if not home.intake_phone:
        return msg(gettext_noop("%(home)s has no intake phone on file."), home=home.name)
    if home.contact_name:
        return msg(
            gettext_noop("Call %(home)s: %(phone)s (ask for %(contact)s)."),
            home=home.name,
            phone=home.intake_phone,
            contact=home.contact_name,
        )
    return msg(gettext_noop("Call %(home)s: %(phone)s."), home=home.name, phone=home.intake_phone)


def worker_contact(user: Actor | None) -> Text:
    """Whom a home calls about a referral: the case worker, their agency and number."""
    if user is None:
        return ""
    name = user.get_full_name() or user.get_username()
    who = f"{name}, {user.agency.name}" if user.agency is not None else name
    reach = user.phone or user.email
    if reach:
        return msg(gettext_noop("Case worker: %(who)s, %(reach)s."), who=who, reach=reach)
    return msg(gettext_noop("Case worker: %(who)s."), who=who)


def survivor_id_of(model: type[models.Model], pk: int | None) -> int:
    survivor_id = (
        model._default_manager.filter(pk=pk).values_list("survivor_id", flat=True).first()
        if pk is not None
        else None
    )
    if survivor_id is None:
        raise NotFound()
    return survivor_id


def lock_survivor(survivor_id: int) -> Survivor:
    return Survivor.objects.select_for_update().get(pk=survivor_id)


def lock_visible_survivor(actor: Actor, survivor_id: int | None) -> Survivor:
    """The survivor row, locked, if the actor may see it; NotFound otherwise."""
    if (
        survivor_id is None
        or not Survivor.objects.visible_to(actor).filter(pk=survivor_id).exists()
    ):
        raise NotFound()
    return lock_survivor(survivor_id)


def lock_visible(actor: Actor, model: type[models.Model], pk: int | None) -> tuple[Survivor, Any]:
    """Lock the survivor, then the record (a referral or a placement); NotFound unless
    the actor may see the record."""
    survivor = lock_survivor(survivor_id_of(model, pk))
    if not records_visible_to(model, actor).filter(pk=pk).exists():
        raise NotFound()
    return survivor, model._default_manager.select_for_update().get(pk=pk)


def case_workers(survivor: Survivor, *also: RequestUser | None) -> list[Actor]:
    """Who hears about a case: its assigned case workers, and whoever acted on it."""
    people = {user.pk: user for user in survivor.assigned_workers.filter(is_active=True)}
    for user in also:
        if user is not None and user.is_authenticated:
            people.setdefault(user.pk, user)
    return list(people.values())


def supervisors(survivor: Survivor) -> list[Any]:
    return list(
        User.objects.filter(role=Role.SUPERVISOR, agency_id=survivor.agency_id, is_active=True)
    )


def team_members(team_id: int) -> list[Any]:
    return list(User.objects.filter(role=Role.MDT_MEMBER, team_id=team_id, is_active=True))


def interim_placement(survivor: Survivor) -> Placement | None:
    """The child's open interim stay (at an emergency shelter), if that is where they are:
    the search stays open and the status stays `interim` whatever else moves."""
    return Placement.objects.filter(survivor=survivor, ended_at__isnull=True, interim=True).first()


def set_seeking_status(
    actor: Actor | None, survivor: Survivor, status: str, *, note: str, ip: str | None
) -> None:
    """Move a child who is still seeking a home to `status` (pending review, referred,
    waitlisted), unless they are in an interim stay: then they stay `interim`, which says
    both that they sleep somewhere safe tonight and that the search goes on."""
    if survivor.status == Status.INTERIM and interim_placement(survivor) is not None:
        return
    survivor_set_status(actor=actor, survivor=survivor, status=status, note=note, ip=ip)


def settle_status(actor: Actor | None, survivor: Survivor, *, note: str, ip: str | None) -> None:
    """After something ended (a rejection, decline, expiry, withdrawal), the survivor's
    status says what is still going on: placed (or in an interim stay), referred,
    pending review, else searching."""
    placement = Placement.objects.filter(survivor=survivor, ended_at__isnull=True).first()
    if placement is not None:
        status = Status.INTERIM if placement.interim else Status.PLACED
    elif Referral.objects.filter(survivor=survivor, status__in=Referral.ACTIVE).exists():
        status = Status.REFERRED
    elif Recommendation.objects.filter(
        survivor=survivor, status=Recommendation.Status.PENDING_REVIEW
    ).exists():
        status = Status.PENDING_REVIEW
    else:
        status = Status.SEARCHING
    survivor_set_status(actor=actor, survivor=survivor, status=status, note=note, ip=ip)


def end_waitlist(survivor: Survivor, *, now: datetime.datetime) -> None:
    WaitlistEntry.objects.filter(survivor=survivor, ended_at__isnull=True).update(ended_at=now)


def next_step(survivor: Survivor) -> Text:
    """What the case worker can do now for the child, after something changed: a sentence
    for a notification, so it never says "you can refer" once the referral went."""
    if Placement.objects.filter(survivor=survivor, ended_at__isnull=True, interim=False).exists():
        return msg(gettext_noop("The child is placed: nothing more to do here."))
    active = list(
        Referral.objects.filter(survivor=survivor, status__in=Referral.ACTIVE)
        .select_related("home")
        .order_by("id")
    )
    held = next((r for r in active if r.status == Referral.Status.ACCEPTED), None)
    if held is not None:
        return msg(
            gettext_noop("Beds are held at %(home)s: confirm the arrival there."),
            home=held.home.name,
        )
    if active:
        names = ", ".join(r.home.name for r in active)
        return msg(gettext_noop("Still waiting for an answer from %(homes)s."), homes=names)
    ready = recommendations_ready_to_refer().filter(survivor=survivor).select_related("home")
    # Never "send the referral" to a home the referral would be refused at (409): one
    # that no longer fits (a new exclusion zone, a full home) is named with why.
    fits: list[str] = []
    unfit: list[Text] = []
    for recommendation in ready:
        failed = live_failures(survivor, recommendation.home)
        if failed:
            unfit.append(
                msg(
                    gettext_noop("%(home)s (%(reason)s)"),
                    home=recommendation.home.name,
                    reason=sentence(without_zones(failed)[0]["reason"]),
                )
            )
        else:
            fits.append(recommendation.home.name)
    if fits:
        return msg(
            gettext_noop("The MDT approved %(homes)s: send the referral."), homes=", ".join(fits)
        )
    if len(unfit) == 1:
        return msg(
            gettext_noop(
                "The MDT approved %(homes)s, but it no longer fits the child, so no referral "
                "can go: search again and propose another home."
            ),
            homes=unfit[0],
        )
    if unfit:
        return msg(
            gettext_noop(
                "The MDT approved %(homes)s, but they no longer fit the child, so no referral "
                "can go: search again and propose another home."
            ),
            homes=joined(unfit, ", "),
        )
    if Recommendation.objects.filter(
        survivor=survivor, status=Recommendation.Status.PENDING_REVIEW
    ).exists():
        return msg(gettext_noop("Another recommendation waits for the MDT's review."))
    return msg(
        gettext_noop("Search again and propose another home, or waitlist the child if none fits.")
    )


def child_summary(survivor: Survivor) -> Text:
    """A de-identified line for a home: age, gender, dependents, urgency."""
    age = survivor.age_on(timezone.localdate())
    gender = choice(survivor.get_gender_display(), lower=True)
    parts: list[Text] = [
        msg(gettext_noop("a %(age)s-year-old (%(gender)s)"), age=age, gender=gender)
    ]
    if survivor.dependents:
        parts.append(
            msg(
                gettext_noop("with %(dependents)s"),
                dependents=count(survivor.dependents, "dependent"),
            )
        )
    if survivor.urgency == "crisis":
        parts.append(msg(gettext_noop("in crisis")))
    return joined(parts)
