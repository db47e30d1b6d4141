"""A referral's single-use answer link, for a home with no Harbor user (DESIGN
"Off-platform answers").

`answer_link_issue` records it when the referral is sent; after commit a job
(`answer_link_deliver`) makes its token, 256 bits from `secrets`, keeps only a digest,
and mails it to the home's intake email and texts it to its intake phone. The
home's on-call person opens it (`/r/<token>/`), sees the referral de-identified, and
accepts or declines without an account: `referral_answer_by_link` runs the same path
as the home's own answer (placement.services.answers), with the same locks and
re-checks. The link works once, while the referral waits for an answer, and never
after ANSWER_LINK_MAX_HOURS; every use and every refusal is audited. The reminder to
such a home (`answer_link_reissue`) sends a fresh link and retires the first, whose
token nobody kept."""

from __future__ import annotations

import datetime
import logging
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from audit.models import Outcome
from audit.services import audit_record
from core.errors import NotFound
from core.outbox import enqueue
from core.types import Actor
from homes.models import Home
from notifications.services import recipient_language
from notifications.sms import SmsError, sms_send
from notifications.texts import Text, count, in_language, joined, msg
from placement.models import AnswerLink, Referral
from placement.services.answers import (
    DECISIONS,
    Answer,
    answer_accept,
    answer_decline,
    clean_answerer,
)
from placement.services.common import child_summary, lock_survivor, worker_contact

logger = logging.getLogger(__name__)

# Bytes of randomness in a token: 256 bits (secrets.token_urlsafe: 43 characters).
TOKEN_BYTES = 32
# Longer than any token Harbor issues: refused before any digest or query.
TOKEN_MAX_LENGTH = 64


def answer_link_url(token: str) -> str:
    """The link as sent: absolute, from SITE_URL."""
    return f"{settings.SITE_URL}{reverse('answer-link', args=[token])}"


def answer_link_issue(*, actor: Actor, referral: Referral, ip: str | None = None) -> AnswerLink:
    """Record the referral's link (inside the referral's transaction): where it goes,
    and the job that makes and sends it after commit. The token is made by that job and
    leaves it only inside the messages: no queue, row or log ever holds it."""
    link = _new_link(referral, AnswerLink.SentFor.REFERRAL)
    audit_record(
        actor=actor,
        action="referral.link_issue",
        obj=referral,
        survivor_id=referral.survivor_id,
        after={"email": bool(link.email), "text_message": bool(link.phone)},
        ip=ip,
    )
    if link.email or link.phone:
        enqueue("placement.tasks.deliver_answer_link", [link.pk])
    return link


def answer_link_reissue(*, referral: Referral, now: datetime.datetime) -> AnswerLink | None:
    """The reminder to a home with no Harbor user (inside the reminder's transaction,
    which holds the referral): only the first link's digest is kept, so it cannot be sent
    again. A fresh single-use link retires it and goes to the home's intake email and
    phone as they are now, audited. None when the home has neither on file."""
    home = referral.home
    if not (home.intake_email or home.intake_phone):
        return None
    retired = list(
        AnswerLink.objects.select_for_update()
        .filter(referral=referral, retired_at__isnull=True)
        .values_list("pk", flat=True)
    )
    AnswerLink.objects.filter(pk__in=retired).update(retired_at=now)
    link = _new_link(referral, AnswerLink.SentFor.REMINDER)
    audit_record(
        actor=None,
        action="referral.link_reissue",
        obj=referral,
        survivor_id=referral.survivor_id,
        before={"links": retired},
        after={"link": link.pk, "email": bool(link.email), "text_message": bool(link.phone)},
    )
    enqueue("placement.tasks.deliver_answer_link", [link.pk])
    return link


def _new_link(referral: Referral, sent_for: str) -> AnswerLink:
    home = referral.home
    link = AnswerLink(
        referral=referral,
        sent_for=sent_for,
        expires_at=timezone.now() + datetime.timedelta(hours=settings.ANSWER_LINK_MAX_HOURS),
        email=home.intake_email,
        email_delivery=_first(home.intake_email),
        phone=home.intake_phone,
        text_delivery=_first(home.intake_phone),
    )
    link.full_clean()
    link.save()
    return link


def home_languages(home: Home, referred_by: Actor | None) -> list[str]:
    """The languages a link's messages are written in, for a home with no Harbor user.

    A home lists the languages its staff speak (`languages`, ISO codes). One of Harbor's:
    that one. Several: the referring case worker's own, when the home speaks it, else the
    first of them in settings.LANGUAGES. None (or none Harbor writes): every language
    Harbor writes, English first. A guess read by nobody costs a child the night; a
    second language costs a longer email and a second text segment."""
    ours = [code for code, _name in settings.LANGUAGES]
    spoken = [code for code in ours if code in (home.languages or [])]
    if len(spoken) == 1:
        return spoken
    if spoken:
        mine = recipient_language(referred_by) if referred_by is not None else ""
        return [mine if mine in spoken else spoken[0]]
    return ours


def _in_languages(text: Text, languages: list[str], separator: str) -> str:
    return separator.join(in_language(text, language) for language in languages)


def _first(address: str) -> str:
    return AnswerLink.Delivery.PENDING if address else AnswerLink.Delivery.NONE


@transaction.atomic
def answer_link_deliver(*, link_id: int) -> AnswerLink | None:
    """Make the link's token (256 bits from `secrets`; only its digest is kept) and send
    it by email and by text message, recording whether each went. Once only: a rerun
    after the token was made cannot send it again (nobody kept it), so what had not gone
    is recorded as not sent, and the page tells the case worker to call."""
    link = (
        AnswerLink.objects.select_for_update(of=("self",))
        .select_related("referral__home", "referral__survivor")
        .select_related("referral__referred_by__agency")
        .filter(pk=link_id)
        .first()
    )
    if link is None:
        return None
    waiting = [
        name
        for name in ("email_delivery", "text_delivery")
        if getattr(link, name) == AnswerLink.Delivery.PENDING
    ]
    if not waiting:
        return link
    if (
        link.token_digest is not None
        or link.retired_at is not None
        or link.referral.status != Referral.Status.PENDING
    ):
        for name in waiting:
            setattr(link, name, AnswerLink.Delivery.FAILED)
        link.save(update_fields=waiting)
        return link
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link.token_digest = AnswerLink.digest(token)
    referral, home = link.referral, link.referral.home
    url = answer_link_url(token)
    need = msg(
        gettext_noop("%(child)s, needing %(beds)s"),
        child=child_summary(referral.survivor),
        beds=count(referral.beds, "bed"),
    )
    worker = worker_contact(referral.referred_by)
    reminder = link.sent_for == AnswerLink.SentFor.REMINDER
    languages = home_languages(home, referral.referred_by)
    # The link once, after every language's words: it is the same link.
    subject = _in_languages(
        msg(
            gettext_noop("Harbor: reminder: a referral to %(home)s")
            if reminder
            else gettext_noop("Harbor: a referral to %(home)s"),
            home=home.name,
        ),
        languages,
        " / ",
    )
    asks = msg(
        gettext_noop(
            "A case worker asks %(home)s to take %(need)s. Please accept or decline at the "
            "link below (no sign-in; the link works once, while the referral waits for "
            "your answer). %(worker)s"
        ),
        home=home.name,
        need=need,
        worker=worker,
    )
    body = _in_languages(
        joined(
            [
                msg(gettext_noop("Reminder: still waiting for your answer.")),
                asks,
                msg(gettext_noop("An earlier link no longer works: use this one.")),
            ]
        )
        if reminder
        else asks,
        languages,
        "\n\n",
    )
    text = _in_languages(
        msg(
            gettext_noop(
                "Harbor: Reminder: still waiting for your answer. Referral to %(home)s, "
                "%(need)s. An earlier link no longer works; accept or decline with this one:"
            )
            if reminder
            else gettext_noop("Harbor: referral to %(home)s, %(need)s. Accept or decline:"),
            home=home.name,
            need=need,
        ),
        languages,
        " / ",
    )
    if link.email_delivery == AnswerLink.Delivery.PENDING:
        link.email_delivery = _sent(
            "email",
            link.pk,
            lambda: send_mail(
                subject=subject,
                message=f"{body}\n\n{url}",
                from_email=None,
                recipient_list=[link.email],
            ),
        )
    if link.text_delivery == AnswerLink.Delivery.PENDING:
        link.text_delivery = _sent(
            "text message",
            link.pk,
            lambda: sms_send(to=link.phone, body=f"{text} {url}"),
        )
    link.save(update_fields=["token_digest", "email_delivery", "text_delivery"])
    return link


def _sent(what: str, link_id: int, send) -> str:
    try:
        send()
    except (SmsError, OSError) as exc:
        logger.warning("answer link %s: the %s failed (%s)", link_id, what, type(exc).__name__)
        return AnswerLink.Delivery.FAILED
    return AnswerLink.Delivery.SENT


def _refused(link: AnswerLink | None, *, ip: str | None) -> NotFound:
    """Audit a link that does not answer (unknown, used, expired); the caller raises
    NotFound, the same for each, so a guess learns nothing."""
    audit_record(
        actor=None,
        action="referral.link_open",
        outcome=Outcome.DENIED,
        object_type="placement.referral" if link is not None else "placement.answerlink",
        object_id=str(link.referral_id) if link is not None else "",
        survivor_id=link.referral.survivor_id if link is not None else None,
        ip=ip,
    )
    return NotFound()


def answer_link_open(*, token: str, ip: str | None = None) -> AnswerLink:
    """The link's referral for its page, audited; NotFound (audited) unless usable."""
    link = _find(token)
    if link is None or not link.usable(timezone.now()):
        raise _refused(link, ip=ip)
    audit_record(
        actor=None,
        action="referral.link_open",
        obj=link.referral,
        survivor_id=link.referral.survivor_id,
        ip=ip,
    )
    return link


def _find(token: str) -> AnswerLink | None:
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return (
        AnswerLink.objects.select_related("referral__home", "referral__survivor")
        .select_related("referral__referred_by__agency")
        .filter(token_digest=AnswerLink.digest(token))
        .first()
    )


class _Gone(Exception):
    """The link does not answer; audited once the answer's transaction rolled back."""

    def __init__(self, link: AnswerLink | None) -> None:
        self.link = link


def referral_answer_by_link(
    *,
    token: str,
    decision: str,
    answered_by: str,
    answered_by_phone: str = "",
    reason_code: str = "",
    comment: str = "",
    ip: str | None = None,
) -> Referral:
    """The home's on-call person answers through the link: the same path, locks and
    re-checks as the home's own answer. The link is spent only by an answer that
    went through; a refused one (no bed left, a rule failed) leaves it usable. A link
    that does not answer is NotFound, audited after the rollback."""
    try:
        return _answer_by_link(
            token=token,
            decision=decision,
            answered_by=answered_by,
            answered_by_phone=answered_by_phone,
            reason_code=reason_code,
            comment=comment,
            ip=ip,
        )
    except _Gone as gone:
        raise _refused(gone.link, ip=ip) from None


@transaction.atomic
def _answer_by_link(
    *,
    token: str,
    decision: str,
    answered_by: str,
    answered_by_phone: str,
    reason_code: str,
    comment: str,
    ip: str | None,
) -> Referral:
    found = _find(token)
    if found is None:
        raise _Gone(None)
    survivor = lock_survivor(found.referral.survivor_id)
    referral = Referral.objects.select_for_update().select_related("home").get(pk=found.referral_id)
    link = AnswerLink.objects.select_for_update().get(pk=found.pk)
    link.referral = referral
    now = timezone.now()
    if not link.usable(now):
        raise _Gone(link)
    if decision not in DECISIONS:
        raise ValidationError(
            {"decision": gettext("Give one of: %(values)s.") % {"values": ", ".join(DECISIONS)}}
        )
    name, phone = clean_answerer(answered_by, answered_by_phone)
    link.used_at = now
    link.save(update_fields=["used_at"])
    answer = Answer(Referral.Channel.LINK, name, phone)
    if decision == "accept":
        return answer_accept(None, survivor, referral, answer=answer, ip=ip)
    return answer_decline(
        None, survivor, referral, reason_code=reason_code, comment=comment, answer=answer, ip=ip
    )
