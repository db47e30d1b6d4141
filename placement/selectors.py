"""The workflow's reads. Every one that a user asks for starts from the model's
`visible_to(user)` queryset (placement.models): a forgotten check is an empty list,
not a leak. The jobs' reads (what is due) are not per user."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, cast

from django.db import connection, models
from django.db.models import BooleanField, Case, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from accounts.models import Role
from core.types import Actor, RequestUser
from engine import SurvivorNeeds
from homes.services import home_admins
from matching.selectors import needs_of_survivor
from placement.models import (
    AnswerLink,
    Duty,
    FollowUp,
    KeepApart,
    MissingEpisode,
    Placement,
    Recommendation,
    Referral,
    WaitlistEntry,
)
from survivors.models import Status, Survivor
from survivors.selectors import survivor_status_counts


class _Scoped[T: models.Model](Protocol):
    def visible_to(self, user: RequestUser) -> QuerySet[T]: ...


def records_visible_to[T: models.Model](model: type[T], user: RequestUser) -> QuerySet[T]:
    """`model.objects.visible_to(user)` for a model named at run time: every workflow
    model's queryset (placement.models), and Survivor's, scopes reads by user."""
    return cast(_Scoped[T], model._default_manager).visible_to(user)


# --- What a case's status says ------------------------------------------------------------
#
# The stored status follows the workflow's events; "Approved: ready to refer" is a state
# of the recommendations, not an event: a child whose approved recommendation has not
# been referred yet reads as that, not "Searching" or "Pending MDT review". Computed
# here, once, for every page and list that shows a case's status.

READY_TO_REFER = "ready_to_refer"
READY_TO_REFER_LABEL = gettext_noop("Approved: ready to refer")  # shown through gettext
# The statuses an approved recommendation waiting to be referred speaks over.
READY_OVER = (Status.INTAKE, Status.SEARCHING, Status.PENDING_REVIEW, Status.WAITLISTED)
# A referral in one of these means the recommendation went, or its home said no.
_REFERRED = (
    Referral.Status.PENDING,
    Referral.Status.ACCEPTED,
    Referral.Status.PLACED,
    Referral.Status.DECLINED,
)


@dataclass(frozen=True)
class CaseStatus:
    code: str
    label: str


def recommendations_ready_to_refer() -> QuerySet[Recommendation]:
    """Approved recommendations not yet referred (or whose referral was withdrawn or ran
    out before the child arrived): the case worker's next step is to send them."""
    return Recommendation.objects.filter(status=Recommendation.Status.APPROVED).exclude(
        referrals__status__in=_REFERRED
    )


def recommendation_referred(recommendation: Recommendation) -> bool:
    """Whether the recommendation's referral went (or its home declined it)."""
    return recommendation.referrals.filter(status__in=_REFERRED).exists()


def case_status(survivor: Survivor, *, ready_to_refer: bool) -> CaseStatus:
    if ready_to_refer and survivor.status in READY_OVER:
        return CaseStatus(READY_TO_REFER, _(READY_TO_REFER_LABEL))
    return CaseStatus(survivor.status, survivor.get_status_display())


def with_case_status(survivors: Iterable[Survivor]) -> list[Survivor]:
    """The survivors, each with `case_status` (code, label) set: one query for all."""
    rows = list(survivors)
    ready = set(
        recommendations_ready_to_refer()
        .filter(survivor_id__in=[s.pk for s in rows])
        .values_list("survivor_id", flat=True)
    )
    for survivor in rows:
        # For the pages' templates: Survivor declares no such field.
        survivor.case_status = case_status(  # type: ignore[attr-defined]
            survivor, ready_to_refer=survivor.pk in ready
        )
    return rows


def case_status_counts(*, user: RequestUser) -> list[tuple[str, str, int]]:
    """(code, label, count) per status, as the lists show them: the cases ready to refer
    counted apart, just after "Pending MDT review"."""
    ready = dict(
        Survivor.objects.visible_to(user)
        .live()
        .filter(status__in=READY_OVER)
        .filter(Exists(recommendations_ready_to_refer().filter(survivor=OuterRef("pk"))))
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    counts = []
    for code, label, n in survivor_status_counts(user=user):
        counts.append((code, label, n - ready.get(code, 0)))
        if code == Status.PENDING_REVIEW:
            counts.append((READY_TO_REFER, _(READY_TO_REFER_LABEL), sum(ready.values())))
    return counts


def review_queue(*, user: Actor, limit: int = 20) -> QuerySet[Recommendation]:
    """The recommendations an MDT member has still to review, most urgent first: a child
    in crisis (or already referred under a crisis override), then the longest waiting.
    Each says whether the child already arrived there (`after_placement`): a crisis
    override's review after the fact."""
    if user.team_id is None:
        return Recommendation.objects.none()  # every recommendation has its team
    return (
        Recommendation.objects.visible_to(user)
        .filter(status=Recommendation.Status.PENDING_REVIEW, team_id=user.team_id)
        .filter(survivor__archived_at__isnull=True)
        .exclude(reviews__reviewer=user)
        # A group plan's lines are reviewed together, on the plan's own review page.
        .filter(batch_assignment__isnull=True)
        .select_related("home", "survivor")
        .annotate(
            crisis=Case(
                When(Q(survivor__urgency="crisis") | Q(crisis_override=True), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            after_placement=Exists(
                Referral.objects.filter(
                    recommendation=OuterRef("pk"), status=Referral.Status.PLACED
                )
            ),
        )
        .order_by("-crisis", "created_at", "id")[:limit]
    )


def recommendation_list(*, user: RequestUser, survivor_id: int) -> QuerySet[Recommendation]:
    """A survivor's recommendations, newest first, with their reviews."""
    return (
        Recommendation.objects.visible_to(user)
        .filter(survivor_id=survivor_id)
        .select_related("home", "proposed_by", "crisis_override_by")
        .prefetch_related("reviews__reviewer")
    )


def recommendation_get(
    *, user: RequestUser, recommendation_id: int | None
) -> Recommendation | None:
    if recommendation_id is None:
        return None
    return (
        Recommendation.objects.visible_to(user)
        .select_related("home", "proposed_by", "crisis_override_by")
        .prefetch_related("reviews__reviewer")
        .filter(pk=recommendation_id)
        .first()
    )


def referral_list(
    *, user: RequestUser, filters: dict[str, Any] | None = None, archived: bool = False
) -> QuerySet[Referral]:
    """The referrals a user may see, newest first, with what their representation shows:
    those of open cases unless `archived` (one asked for by id is found either way)."""
    queryset = Referral.objects.visible_to(user).select_related(
        "home", "survivor", "referred_by__agency", "placement"
    )
    if not archived:
        queryset = queryset.filter(survivor__archived_at__isnull=True)
    if filters:
        queryset = queryset.filter(**filters)
    return queryset


CRISIS_REFERRAL = Q(survivor__urgency="crisis") | Q(crisis_override=True)


def crisis_first(referrals: QuerySet[Referral], *then: str) -> QuerySet[Referral]:
    """The referrals with those for a child in crisis (or sent under a crisis override)
    first, each marked `crisis`; then in the order `then` (every list of referrals a
    person acts on reads in this order: the home's, the case worker's)."""
    return referrals.annotate(
        crisis=Case(When(CRISIS_REFERRAL, then=Value(True)), default=Value(False))
    ).order_by("-crisis", *then, "id")


def referral_get(*, user: RequestUser, referral_id: int | None) -> Referral | None:
    if referral_id is None:
        return None
    return referral_list(user=user, archived=True).filter(pk=referral_id).first()


def placement_get(*, user: RequestUser, placement_id: int | None) -> Placement | None:
    if placement_id is None:
        return None
    return (
        Placement.objects.visible_to(user)
        .select_related("home", "referral", "placed_by", "discharged_by")
        .filter(pk=placement_id)
        .first()
    )


def holds_to_expire(*, now: datetime.datetime) -> list[int]:
    """Accepted referrals whose hold has run out, oldest first."""
    return list(
        Referral.objects.filter(status=Referral.Status.ACCEPTED, hold_expires_at__lte=now)
        .order_by("hold_expires_at", "id")
        .values_list("id", flat=True)
    )


def holds_expiring_soon(*, now: datetime.datetime, within: datetime.timedelta) -> list[int]:
    """Accepted referrals whose hold runs out within `within`, not yet warned about."""
    return list(
        Referral.objects.filter(
            status=Referral.Status.ACCEPTED,
            hold_expires_at__gt=now,
            hold_expires_at__lte=now + within,
            expiry_warned_at__isnull=True,
        )
        .order_by("hold_expires_at", "id")
        .values_list("id", flat=True)
    )


def referrals_unanswered(
    *, now: datetime.datetime, older_than: datetime.timedelta, not_yet: str
) -> list[int]:
    """Pending referrals sent more than `older_than` ago whose `not_yet` stamp is empty."""
    return list(
        Referral.objects.filter(
            status=Referral.Status.PENDING,
            survivor__archived_at__isnull=True,
            created_at__lte=now - older_than,
            **{f"{not_yet}__isnull": True},
        )
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    )


def overrides_unreviewed(*, now: datetime.datetime, older_than: datetime.timedelta) -> list[int]:
    """Recommendations referred under a crisis override more than `older_than` ago that
    the MDT has still not decided, not yet escalated, oldest first."""
    return list(
        Recommendation.objects.filter(
            status=Recommendation.Status.PENDING_REVIEW,
            crisis_override=True,
            crisis_override_at__lte=now - older_than,
            review_escalated_at__isnull=True,
        )
        .order_by("crisis_override_at", "id")
        .values_list("id", flat=True)
    )


def waitlist_open_entries() -> QuerySet[WaitlistEntry]:
    """Survivors waiting for a bed (some of them in an interim stay): children in crisis
    first, then the longest waiting, so a bed that opens reaches them first."""
    return (
        WaitlistEntry.objects.filter(ended_at__isnull=True)
        .select_related("survivor")
        .annotate(
            crisis=Case(
                When(survivor__urgency="crisis", then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("-crisis", "added_at", "id")
    )


# --- Placement outcomes ---------------------------------------------------------------------

FOLLOW_UP_DAYS = tuple(FollowUp.Day.values)  # (30, 90)
# Below this many recorded outcomes a home's figures are not shown: too few to judge, and
# small counts could point at one child (the reports' suppression threshold, too).
STABILITY_MIN_PLACEMENTS = 11


def follow_up_due_at(placement: Placement, day: int) -> datetime.datetime:
    return placement.started_at + datetime.timedelta(days=day)


def placements_needing_follow_up(*, day: int, now: datetime.datetime) -> list[int]:
    """Placements whose `day` has come and that have no follow-up for it yet, oldest first."""
    return list(
        Placement.objects.filter(
            started_at__lte=now - datetime.timedelta(days=day),
            survivor__archived_at__isnull=True,
        )
        .exclude(Exists(FollowUp.objects.filter(placement=OuterRef("pk"), day=day)))
        .order_by("started_at", "id")
        .values_list("id", flat=True)
    )


def follow_ups_overdue(*, now: datetime.datetime, older_than: datetime.timedelta) -> list[int]:
    """Open follow-ups due more than `older_than` ago, not yet escalated, oldest first."""
    return list(
        FollowUp.objects.filter(outcome="", due_at__lte=now - older_than, escalated_at__isnull=True)
        .filter(placement__survivor__archived_at__isnull=True)
        .order_by("due_at", "id")
        .values_list("id", flat=True)
    )


def follow_up_list(*, user: RequestUser, placement_id: int) -> QuerySet[FollowUp]:
    """A placement's follow-ups (day 30, then 90), for whoever may see the placement."""
    return FollowUp.objects.filter(
        placement__in=Placement.objects.visible_to(user), placement_id=placement_id
    ).order_by("day")


def follow_ups_due(*, user: Actor, limit: int = 20) -> QuerySet[FollowUp]:
    """The open follow-ups waiting for the user, oldest first: a case worker's assigned
    children's, a supervisor's agency's."""
    queryset = FollowUp.objects.filter(
        outcome="",
        placement__in=Placement.objects.visible_to(user),
        placement__survivor__archived_at__isnull=True,
    )
    if getattr(user, "role", None) == Role.CASE_WORKER:
        queryset = queryset.filter(placement__survivor__assigned_workers=user)
    return queryset.select_related("placement__home", "placement__survivor").order_by(
        "due_at", "id"
    )[:limit]


@dataclass(frozen=True)
class FollowUpLine:
    """One follow-up on a child's page: recorded, open, or not due yet (no row until
    the beat makes it, or the worker records it on its day)."""

    placement: Placement
    day: int
    due_at: datetime.datetime
    follow_up: FollowUp | None
    due: bool

    @property
    def open(self) -> bool:
        return self.due and (self.follow_up is None or self.follow_up.open)


def survivor_follow_ups(
    survivor: Survivor, *, now: datetime.datetime | None = None
) -> list[FollowUpLine]:
    """Each of the child's placements' two follow-ups, newest placement first. A
    placement that ended before a day needs none for it until the beat fills it from
    the discharge reason, so such a day is listed only once its row exists."""
    now = now or timezone.now()
    placements = list(
        survivor.placements.select_related("home").prefetch_related("follow_ups__recorded_by")
    )
    lines = []
    for placement in placements:
        rows = {f.day: f for f in placement.follow_ups.all()}
        for day in FOLLOW_UP_DAYS:
            due_at = follow_up_due_at(placement, day)
            row = rows.get(day)
            if row is None and placement.ended_at is not None and placement.ended_at < due_at:
                continue
            lines.append(FollowUpLine(placement, day, due_at, row, due_at <= now))
    return lines


@dataclass(frozen=True)
class Stability:
    """How a home's placements stood at 90 days, over the outcomes recorded so far.

    `placements` is how many were counted; `stable` those still placed or moved as
    planned. With `few` (fewer than 11) nothing but that fact may be shown."""

    placements: int
    stable: int
    runaways: int
    disruptions: int

    @property
    def few(self) -> bool:
        return self.placements < STABILITY_MIN_PLACEMENTS

    @property
    def stable_share(self) -> float | None:
        if self.few:
            return None
        return round(self.stable / self.placements, 3)

    @property
    def stable_percent(self) -> int | None:
        share = self.stable_share
        return None if share is None else round(share * 100)

    def as_dict(self) -> dict[str, Any]:
        """The API's shape: the numbers are null when there are few placements."""
        few = self.few
        return {
            "placements": None if few else self.placements,
            "stable_share": self.stable_share,
            "runaways": None if few else self.runaways,
            "disruptions": None if few else self.disruptions,
            "few": few,
        }


def home_stability(home_ids: Iterable[int]) -> dict[int, Stability]:
    """Per home, its placements' recorded 90-day outcomes, in one query. It informs the
    MDT; the engine's ranking never reads it."""
    ids = list(set(home_ids))
    counted = {home_id: Stability(0, 0, 0, 0) for home_id in ids}
    if not ids:
        return counted
    outcome = FollowUp.Outcome
    rows = (
        FollowUp.objects.filter(day=FollowUp.Day.DAY_90, placement__home_id__in=ids)
        .exclude(outcome="")
        .order_by()
        .values("placement__home_id")
        .annotate(
            n=Count("id"),
            stable=Count("id", filter=Q(outcome__in=[outcome.STABLE, outcome.MOVED_PLANNED])),
            runaways=Count("id", filter=Q(outcome=outcome.RUNAWAY)),
            disruptions=Count("id", filter=Q(outcome=outcome.DISRUPTED)),
        )
    )
    for row in rows:
        counted[row["placement__home_id"]] = Stability(
            row["n"], row["stable"], row["runaways"], row["disruptions"]
        )
    return counted


# --- Legal duties and missing episodes ------------------------------------------------------


def duty_list(
    *, user: RequestUser, survivor_id: int | None = None, status: str = ""
) -> QuerySet[Duty]:
    """The duties the user may see (their children's), crisis clocks first, then the
    earliest deadline: open ones before done ones."""
    duties = Duty.objects.visible_to(user).select_related("survivor", "episode")
    if survivor_id is not None:
        duties = duties.filter(survivor_id=survivor_id)
    if status:
        duties = duties.with_status(status)
    crisis = Case(When(kind__in=list(Duty.CRISIS), then=0), default=1)
    return duties.annotate(
        done=Case(When(completed_at__isnull=True, then=0), default=1), crisis_first=crisis
    ).order_by("done", "crisis_first", "due_at", "id")


def duties_open_for(*, user: RequestUser, limit: int = 50) -> list[Duty]:
    """A worker's or a supervisor's open duties for their home page: overdue and crisis
    first (`duty_list`'s order), at most `limit`."""
    return list(duty_list(user=user).filter(completed_at__isnull=True)[:limit])


def missing_episodes_of(*, placement_id: int) -> QuerySet[MissingEpisode]:
    return MissingEpisode.objects.filter(placement_id=placement_id).order_by("-started_at", "-id")


# --- Who a referral reached ---------------------------------------------------------------


def referral_reach(referral: Referral) -> str:
    """Who at the home was told of the referral, and how: a sentence the case worker
    reads, never "the home is notified" when nobody was."""
    home = referral.home.name
    admins = len(home_admins(referral.home))
    if admins:
        return ngettext(
            "%(home)s's Harbor user sees the referral in Harbor and is emailed.",
            "%(home)s's %(count)d Harbor users see the referral in Harbor and are emailed.",
            admins,
        ) % {"home": home, "count": admins}
    links = list(AnswerLink.objects.filter(referral=referral).order_by("created_at", "id"))
    if not links or not any(link.email or link.phone for link in links):
        return _(
            "Nobody at %(home)s was reached: it has no Harbor user, and no intake email or "
            "phone on file. Call the home and record its answer here."
        ) % {"home": home}
    first, latest = links[0], links[-1]
    sentence = _("%(home)s has no Harbor user. A single-use answer link went %(ways)s.") % {
        "home": home,
        "ways": _ways(first),
    }
    if latest.sent_for == AnswerLink.SentFor.REMINDER:
        sentence += " " + _(
            "With the reminder, a fresh link went %(ways)s; the earlier one no longer works."
        ) % {"ways": _ways(latest)}
    if not latest.reached:  # the link that still works has not gone out
        sentence += " " + _("It has not reached them yet: call the home and record its answer.")
    return sentence


def _ways(link: AnswerLink) -> str:
    """How one link went: each address, and whether it went."""
    ways = []
    if link.email:
        ways.append(
            _("by email to %(address)s: %(state)s")
            % {"address": link.email, "state": link.get_email_delivery_display().lower()}
        )
    if link.phone:
        ways.append(
            _("by text message to %(phone)s: %(state)s")
            % {"phone": link.phone, "state": link.get_text_delivery_display().lower()}
        )
    return "; ".join(ways) or _("nowhere (no intake email or phone on file)")


# --- Safety across cases ---------------------------------------------------------------------


# keep_apart_homes's statement: the other child of each active link, then the homes of
# her active referrals and open placements.
_KEEP_APART_HOMES_SQL = (
    "WITH partners AS ("
    'SELECT CASE WHEN k."survivor_id" = %s THEN k."other_id" ELSE k."survivor_id" END AS id '
    f'FROM "{KeepApart._meta.db_table}" k '
    'WHERE k."ended_at" IS NULL AND (k."survivor_id" = %s OR k."other_id" = %s)) '
    f'SELECT r."home_id" FROM "{Referral._meta.db_table}" r '
    'WHERE r."survivor_id" IN (SELECT id FROM partners) '
    f'AND r."status" IN ({", ".join(["%s"] * len(Referral.ACTIVE))}) '
    f'UNION SELECT p."home_id" FROM "{Placement._meta.db_table}" p '
    'WHERE p."survivor_id" IN (SELECT id FROM partners) AND p."ended_at" IS NULL'
)


def keep_apart_homes(survivor_id: int) -> frozenset[int]:
    """The homes where a child this one must be kept apart from is placed, held or
    referred (the rule `keep_apart`), read from the live rows: inside a commitment's
    transaction, after the home's lock, it sees what a concurrent commitment committed.

    One statement, written once (PostgreSQL and SQLite alike): a child's search asks on
    every call, and the ORM's two to three queries cost 1.7 ms of CPU against 0.2
    (issue 30)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _KEEP_APART_HOMES_SQL, [survivor_id, survivor_id, survivor_id, *Referral.ACTIVE]
        )
        return frozenset(home_id for (home_id,) in cursor.fetchall())


def case_needs(survivor: Survivor, *, today: datetime.date) -> SurvivorNeeds:
    """The child's matching needs as the workflow judges them: her record, and the homes
    of the children she must be kept apart from."""
    needs = needs_of_survivor(survivor, today=today)
    homes = keep_apart_homes(survivor.pk)
    return dataclasses.replace(needs, keep_apart_homes=homes) if homes else needs


def keep_apart_list(*, user: RequestUser, survivor_id: int) -> list[KeepApartLine]:
    """The child's active links that this user may read: only those whose other child the
    user may see (a link never reveals a child to someone who may not know she exists)."""
    links = list(KeepApart.objects.active().of(survivor_id).select_related("created_by"))
    others = {link.other_than(survivor_id) for link in links}
    visible = {
        survivor.pk: survivor
        for survivor in Survivor.objects.visible_to(user).filter(pk__in=others)
    }
    return [
        KeepApartLine(link=link, other=visible[link.other_than(survivor_id)])
        for link in links
        if link.other_than(survivor_id) in visible
    ]


@dataclass(frozen=True)
class KeepApartLine:
    link: KeepApart
    other: Survivor
