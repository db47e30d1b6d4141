"""The home's answer to a referral: accept (a bed hold that expires, after the rules
are re-checked on the live rows under the home's lock) or decline with a reason.

The answer comes one of three ways (`Referral.Channel`): a home admin in Harbor; the
case worker recording what the home said on the phone (`referral_record_answer`); or
the home's on-call person through the referral's single-use link
(placement.services.answer_links). Each takes the locks, checks who may answer, and
then runs the one path below, `answer_accept` or `answer_decline`: the same effects,
the same re-checks, the same notices, with who answered and how."""

from __future__ import annotations

import dataclasses
import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from audit.services import audit_record
from core.errors import Conflict, Forbidden
from core.types import Actor
from core.vocab import NAME_MAX, validate_phone
from homes.services import home_hold_beds, home_release_beds
from notifications.models import Notification
from notifications.services import notification_send
from notifications.texts import Text, choice, count, joined, moment, msg
from placement import policy
from placement.models import ANSWER_DECISIONS, Referral
from placement.services.common import (
    agency_zone,
    case_text,
    case_workers,
    home_contact,
    lock_visible,
    next_step,
    quoted,
    settle_status,
)
from placement.services.referrals import referral_close, referral_state
from placement.services.rules import lock_home, rules_check
from placement.services.waitlist import waitlist_recheck_after_commit
from survivors.models import Status, Survivor

DECISIONS = tuple(value for value, _ in ANSWER_DECISIONS)


@dataclasses.dataclass(frozen=True)
class Answer:
    """Who gave the home's answer, and how (`Referral.Channel`)."""

    channel: str = Referral.Channel.HARBOR
    name: str = ""
    phone: str = ""

    def said_by(self, home_name: str) -> Text:
        """How a notice names the answer: "" in Harbor, else who and how."""
        who = self.name + (f", {self.phone}" if self.phone else "")
        if self.channel == Referral.Channel.PHONE:
            return msg(
                gettext_noop(" (recorded by phone: %(who)s answered for %(home)s)"),
                who=who,
                home=home_name,
            )
        if self.channel == Referral.Channel.LINK:
            return msg(
                gettext_noop(" (through the home's single-use link: %(who)s answered)"), who=who
            )
        return ""

    def audit(self) -> dict[str, str]:
        if self.channel == Referral.Channel.HARBOR:
            return {"channel": self.channel}
        return {"channel": self.channel, "answered_by": self.name, "answered_by_phone": self.phone}


HARBOR = Answer()


def clean_answerer(name: str, phone: str) -> tuple[str, str]:
    """Who answered for the home, off Harbor: a name (required) and their number."""
    name, phone = " ".join((name or "").split()), (phone or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["answered_by"] = _("Say who answered for the home.")
    elif len(name) > NAME_MAX:
        errors["answered_by"] = _("At most %(most)s characters.") % {"most": NAME_MAX}
    if phone:
        try:
            validate_phone(phone)
        except ValidationError as exc:
            errors["answered_by_phone"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    return name, phone


@transaction.atomic
def referral_accept(*, actor: Actor, referral_id: int | None, ip: str | None = None) -> Referral:
    """The home accepts: 1 + dependents beds are held until the hold expires.

    Under the home's row lock the rules are re-checked on the live rows (`beds` among
    them), so however many acceptances race, a home never holds more than it has free
    and never takes a child it no longer fits; a loser gets RulesFailed (409). The
    child's other pending referrals are withdrawn.
    """
    survivor, referral = lock_visible(actor, Referral, referral_id)
    if not policy.may_answer(actor, referral):
        raise Forbidden(_("Only this home's administrators answer its referrals."))
    return answer_accept(actor, survivor, referral, answer=HARBOR, ip=ip)


def answer_accept(
    actor: Actor | None, survivor: Survivor, referral: Referral, *, answer: Answer, ip: str | None
) -> Referral:
    """The one way a referral is accepted, whoever answered: the survivor and the
    referral are locked by the caller, who checked the answerer may answer."""
    if referral.status != Referral.Status.PENDING:
        raise Conflict(referral_state(referral), code=f"referral_{referral.status}")
    if survivor.status == Status.PLACED:
        raise Conflict(_("This child is already placed."), code="already_placed")
    # Lock the child's other referrals before the home: the lock order holds everywhere.
    others = list(
        Referral.objects.select_for_update()
        .filter(survivor=survivor, status=Referral.Status.PENDING)
        .exclude(pk=referral.pk)
        .order_by("id")
    )
    rules_check(survivor=survivor, home=lock_home(referral.home_id), home_side=True)
    home = _hold(actor, survivor, referral, answer)
    assert referral.hold_expires_at is not None  # _hold set it
    audit_record(
        actor=actor,
        action="referral.accept",
        obj=referral,
        survivor_id=survivor.pk,
        before={"status": Referral.Status.PENDING},
        after={
            "status": referral.status,
            "beds": referral.beds,
            "hold_expires_at": referral.hold_expires_at.isoformat(),
            **answer.audit(),
        },
        ip=ip,
    )
    for other in others:
        referral_close(
            actor,
            other,
            Referral.Status.WITHDRAWN,
            reason=gettext_noop("Another home accepted first."),
            ip=ip,
        )
    notification_send(
        recipients=case_workers(survivor, referral.referred_by),
        kind=Notification.Kind.REFERRAL_ACCEPTED,
        message=msg(
            gettext_noop(
                "%(home)s accepted the referral for %(case)s%(said)s and holds %(beds)s until "
                "%(until)s. %(contact)s Arrange the arrival, then confirm it in Harbor before "
                "the hold ends."
            ),
            home=home.name,
            case=case_text(survivor),
            said=answer.said_by(home.name),
            beds=count(referral.beds, "bed"),
            until=moment(referral.hold_expires_at, agency_zone(survivor)),
            contact=home_contact(home),
        ),
        obj=referral,
    )
    return referral


def _hold(actor: Actor | None, survivor: Survivor, referral: Referral, answer: Answer):
    """Hold 1 + dependents beds at the (locked) home until the hold expires."""
    beds = 1 + survivor.dependents
    home = home_hold_beds(
        actor=actor, home_id=referral.home_id, beds=beds, note={"referral": referral.pk}
    )
    now = timezone.now()
    referral.status = Referral.Status.ACCEPTED
    referral.beds = beds
    referral.answered_at = now
    _answered(referral, actor, answer)
    referral.hold_expires_at = now + datetime.timedelta(hours=settings.REFERRAL_HOLD_HOURS)
    referral.save(
        update_fields=[
            "status",
            "beds",
            "answered_at",
            "answered_by",
            "answer_channel",
            "answered_by_name",
            "answered_by_phone",
            "hold_expires_at",
        ]
    )
    return home


def _answered(referral: Referral, actor: Actor | None, answer: Answer) -> None:
    """Who answered: the Harbor user who answered or recorded it, and off Harbor the
    person who spoke for the home."""
    referral.answered_by = actor if getattr(actor, "is_authenticated", False) else None
    referral.answer_channel = answer.channel
    referral.answered_by_name = answer.name
    referral.answered_by_phone = answer.phone


def _check_decline(reason_code: str, comment: str) -> None:
    errors = {}
    if reason_code not in Referral.ReasonCode.values:
        errors["reason_code"] = _("Give one of: %(values)s.") % {
            "values": ", ".join(Referral.ReasonCode.values)
        }
    elif reason_code == Referral.ReasonCode.OTHER and not comment:
        errors["comment"] = _("Say why, when the reason is other.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def referral_decline(
    *,
    actor: Actor,
    referral_id: int | None,
    reason_code: str,
    comment: str = "",
    ip: str | None = None,
) -> Referral:
    """The home declines with a reason code (and a comment for "other"). A home that
    accepted and can no longer take the child declines too: the held beds come back."""
    survivor, referral = lock_visible(actor, Referral, referral_id)
    if not policy.may_answer(actor, referral):
        raise Forbidden(_("Only this home's administrators answer its referrals."))
    return answer_decline(
        actor, survivor, referral, reason_code=reason_code, comment=comment, answer=HARBOR, ip=ip
    )


def answer_decline(
    actor: Actor | None,
    survivor: Survivor,
    referral: Referral,
    *,
    reason_code: str,
    comment: str,
    answer: Answer,
    ip: str | None,
) -> Referral:
    """The one way a referral is declined, whoever answered (the caller locked the
    survivor and the referral, and checked the answerer may answer)."""
    comment = (comment or "").strip()
    _check_decline(reason_code, comment)
    if referral.status not in Referral.ACTIVE:
        raise Conflict(referral_state(referral), code=f"referral_{referral.status}")
    before = referral.status
    if before == Referral.Status.ACCEPTED:
        home_release_beds(
            actor=actor,
            home_id=referral.home_id,
            beds=referral.beds,
            note={"referral": referral.pk, "why": "declined"},
        )
        waitlist_recheck_after_commit(home_id=referral.home_id)
    now = timezone.now()
    referral.status = Referral.Status.DECLINED
    referral.reason_code = reason_code
    referral.comment = comment
    referral.answered_at = referral.closed_at = now
    _answered(referral, actor, answer)
    referral.closed_by = referral.answered_by
    referral.full_clean()
    referral.save()
    audit_record(
        actor=actor,
        action="referral.decline",
        obj=referral,
        survivor_id=survivor.pk,
        before={"status": before},
        after={"status": referral.status, "reason_code": reason_code, **answer.audit()},
        ip=ip,
    )
    settle_status(actor, survivor, note=f"Referral {referral.pk} declined", ip=ip)
    parts: list[Text] = [
        msg(
            gettext_noop(
                "%(home)s declined the referral for %(case)s%(said)s. Reason: %(reason)s."
            ),
            home=referral.home.name,
            case=case_text(survivor),
            said=answer.said_by(referral.home.name),
            reason=choice(referral.get_reason_code_display()),
        )
    ]
    if comment:
        parts.append(quoted(comment))
    parts.append(next_step(survivor))
    notification_send(
        recipients=case_workers(survivor, referral.referred_by),
        kind=Notification.Kind.REFERRAL_DECLINED,
        message=joined(parts),
        obj=referral,
    )
    return referral


@transaction.atomic
def referral_record_answer(
    *,
    actor: Actor,
    referral_id: int | None,
    decision: str,
    answered_by: str,
    answered_by_phone: str = "",
    reason_code: str = "",
    comment: str = "",
    ip: str | None = None,
) -> Referral:
    """The case worker records the answer a home gave by phone (DESIGN "Off-platform
    answers"): the same effects and re-checks as the home's own answer, through the
    same path, marked as recorded by phone with who answered and their number."""
    survivor, referral = lock_visible(actor, Referral, referral_id)
    if not policy.may_act_on_case(actor, survivor.pk):
        raise Forbidden(
            _("Only the child's case workers and their supervisors record a home's answer.")
        )
    if decision not in DECISIONS:
        raise ValidationError(
            {"decision": _("Give one of: %(choices)s.") % {"choices": ", ".join(DECISIONS)}}
        )
    name, phone = clean_answerer(answered_by, answered_by_phone)
    answer = Answer(Referral.Channel.PHONE, name, phone)
    if decision == "accept":
        return answer_accept(actor, survivor, referral, answer=answer, ip=ip)
    return answer_decline(
        actor, survivor, referral, reason_code=reason_code, comment=comment, answer=answer, ip=ip
    )
