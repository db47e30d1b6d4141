"""Homes not on Harbor (issue 25, item 1; DESIGN "Off-platform answers").

The case worker records the answer a home gave on the phone (`referrals/{id}/record-
answer/`, and the same form on the referral page): the same effects and re-checks as
the home's own answer, marked "recorded by phone" wherever the answer shows, audited.
A referral to a home with no Harbor user sends a single-use link by email and text
message; the home's on-call person answers there without an account. Pages say who
was reached and how.
"""

from __future__ import annotations

import base64
import datetime
import re
import threading
from functools import partial

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from homes.models import Home
from notifications.models import Notification
from notifications.sms import LocmemBackend
from placement.models import AnswerLink, Referral
from placement.services import referral_accept, referral_record_answer, referral_withdraw
from placement.services.jobs import referrals_chase
from tests.placement.helpers import approved, referred
from tests.placement.test_live_rules import inbox

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

INTAKE_EMAIL = "intake@lighthouse.example.org"
INTAKE_PHONE = "(913) 555-0142"
PHONE_ANSWER = {"answered_by": "Ada Night", "answered_by_phone": "(913) 555-0177"}


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    settings.SMS_BACKEND = "notifications.sms.LocmemBackend"
    settings.SITE_URL = "https://harbor.example.org"
    LocmemBackend.outbox.clear()
    return LocmemBackend.outbox


@pytest.fixture
def offline_home(home):
    """`home` has no Harbor user; its intake email and phone are on file."""
    Home.objects.filter(pk=home.pk).update(intake_email=INTAKE_EMAIL, intake_phone=INTAKE_PHONE)
    home.refresh_from_db()
    return home


def record(api, user, referral, **body):
    return api(user).post(f"/api/v1/referrals/{referral.pk}/record-answer/", body, format="json")


def beds(home) -> tuple[int, int]:
    home.refresh_from_db()
    return home.available_beds, home.beds_held


def link_token(text: str) -> str:
    (token,) = re.findall(r"https://harbor\.example\.org/r/([A-Za-z0-9_-]+)/", text)
    return token


# --- Recorded by phone ---------------------------------------------------------------------


def test_it_records_a_phone_acceptance_with_the_same_effects_as_the_home(
    api, alice, mdt, survivor, home
):
    referral = referred(alice, mdt, survivor, home)
    assert beds(home) == (2, 0)

    response = record(api, alice, referral, decision="accept", **PHONE_ANSWER)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "accepted" and body["answer_channel"] == "phone"
    assert body["answered_by_name"] == "Ada Night"
    assert body["answered_by_phone"] == "(913) 555-0177"
    assert beds(home) == (1, 1)
    referral.refresh_from_db()
    assert referral.answered_by == alice and referral.hold_expires_at is not None
    (notice,) = inbox(api, alice, Notification.Kind.REFERRAL_ACCEPTED)
    assert "recorded by phone: Ada Night, (913) 555-0177 answered" in notice
    entry = AuditEntry.objects.get(action="referral.accept", object_id=str(referral.pk))
    assert entry.actor == alice
    assert entry.after["channel"] == "phone" and entry.after["answered_by"] == "Ada Night"


def test_it_refuses_a_phone_acceptance_as_it_refuses_the_home_when_no_bed_is_left(
    api, alice, mdt, survivor, home
):
    referral = referred(alice, mdt, survivor, home)
    Home.objects.filter(pk=home.pk).update(available_beds=0)

    response = record(api, alice, referral, decision="accept", **PHONE_ANSWER)

    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "rules_failed"
    assert "beds" in [f["rule"] for f in response.json()["failed"]]
    referral.refresh_from_db()
    assert referral.status == "pending" and referral.answer_channel == ""


def test_it_records_a_phone_decline_with_its_reason(api, alice, mdt, survivor, home):
    referral = referred(alice, mdt, survivor, home)

    missing = record(api, alice, referral, decision="decline", **PHONE_ANSWER)
    assert missing.status_code == 400 and "reason_code" in missing.json()

    response = record(
        api, alice, referral, decision="decline", reason_code="staffing", **PHONE_ANSWER
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "declined"
    assert response.json()["answer_channel"] == "phone"
    (notice,) = inbox(api, alice, Notification.Kind.REFERRAL_DECLINED)
    assert "recorded by phone" in notice and "Reason: Staffing" in notice


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "maybe", **PHONE_ANSWER}, "decision"),
        ({"decision": "accept"}, "answered_by"),
        ({"decision": "accept", "answered_by": "   "}, "answered_by"),
        ({"decision": "accept", "answered_by": "A" * 101}, "answered_by"),
        (
            {"decision": "accept", "answered_by": "Ada", "answered_by_phone": "call me"},
            "answered_by_phone",
        ),
        ({"decision": "decline", "reason_code": "bored", **PHONE_ANSWER}, "reason_code"),
        ({"decision": "decline", "reason_code": "other", **PHONE_ANSWER}, "comment"),
    ],
)
def test_it_names_the_field_of_a_bad_phone_answer(api, alice, mdt, survivor, home, body, field):
    referral = referred(alice, mdt, survivor, home)
    response = record(api, alice, referral, **body)
    assert response.status_code == 400, response.json()
    assert field in response.json()
    referral.refresh_from_db()
    assert referral.status == "pending"


def test_it_lets_only_the_childs_case_side_record_an_answer(
    api, alice, bob, charlie, mdt, home_admin, survivor, home
):
    referral = referred(alice, mdt, survivor, home)
    assert record(api, charlie, referral, decision="accept", **PHONE_ANSWER).status_code == 404
    assert record(api, mdt, referral, decision="accept", **PHONE_ANSWER).status_code == 403
    assert record(api, home_admin, referral, decision="accept", **PHONE_ANSWER).status_code == 403
    referral.refresh_from_db()
    assert referral.status == "pending"
    # A supervisor of the agency may (DESIGN: they oversee the agency's cases).
    assert record(api, bob, referral, decision="accept", **PHONE_ANSWER).status_code == 200


def test_it_records_the_answer_from_the_referral_page_and_marks_it_everywhere(
    client, api, alice, mdt, home_admin, survivor, home
):
    referral = referred(alice, mdt, survivor, home)
    client.force_login(alice)
    page = client.get(reverse("referral-page", args=[referral.pk])).content.decode()
    assert "answer, given by phone" in page

    response = client.post(
        reverse("referral-record-answer-form", args=[referral.pk]),
        {"decision": "accept", **PHONE_ANSWER},
        follow=True,
    )

    text = response.content.decode()
    assert "marked as given by phone" in text
    assert "Recorded by phone" in text and "Ada Night answered for the home" in text
    case = client.get(reverse("survivor-page", args=[survivor.pk])).content.decode()
    assert "(recorded by phone)" in case
    client.force_login(home_admin)
    home_side = client.get(reverse("referral-page", args=[referral.pk])).content.decode()
    assert "Recorded by phone" in home_side
    manage = client.get(reverse("home-manage", args=[home.pk])).content.decode()
    assert "(recorded by phone)" in manage
    # Once accepted, the worker's form offers only the home's change of mind.
    client.force_login(alice)
    after = client.get(reverse("referral-page", args=[referral.pk])).content.decode()
    assert re.search(r'name="decision" value="decline"', after)
    assert not re.search(r'name="decision" value="accept"', after)


def test_it_shows_a_form_error_on_the_page_for_a_phone_answer_without_a_name(
    client, alice, mdt, survivor, home
):
    referral = referred(alice, mdt, survivor, home)
    client.force_login(alice)
    response = client.post(
        reverse("referral-record-answer-form", args=[referral.pk]),
        {"decision": "accept"},
        follow=True,
    )
    assert response.status_code == 200
    referral.refresh_from_db()
    assert referral.status == "pending"


def race(*acts) -> list[object]:
    """Run the callables at once, each on its own connection; each one's answer channel,
    or the name of the exception it raised."""
    start = threading.Barrier(len(acts))
    results: list[object] = [None] * len(acts)

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = acts[i]().answer_channel
        except Exception as exc:
            results[i] = type(exc).__name__
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(acts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_it_lets_only_one_of_a_phone_answer_and_the_homes_own_answer_win(
    alice, mdt, home_admin, survivor, home
):
    """The case worker records "yes" from the phone call while the home's admin taps
    Accept: both lock the child, then the referral; exactly one holds the beds."""
    for _ in range(5):
        referral = referred(alice, mdt, survivor, home)
        results = race(
            partial(
                referral_record_answer,
                actor=alice,
                referral_id=referral.pk,
                decision="accept",
                **PHONE_ANSWER,
            ),
            partial(referral_accept, actor=home_admin, referral_id=referral.pk),
        )

        won = [r for r in results if r in ("phone", "harbor")]
        assert len(won) == 1 and results.count("Conflict") == 1, results
        referral.refresh_from_db()
        assert referral.status == "accepted" and referral.answer_channel == won[0]
        assert beds(home) == (1, 1)
        # The beds back, for the next round's fresh referral.
        referral_withdraw(actor=alice, referral_id=referral.pk)
        assert beds(home) == (2, 0)


# --- Who was reached -----------------------------------------------------------------------


def test_it_says_the_homes_harbor_users_were_reached(
    client, alice, mdt, home_admin, survivor, home
):
    recommendation = approved(alice, mdt, survivor, home)
    client.force_login(alice)
    response = client.post(
        reverse("recommendation-refer-form", args=[recommendation.pk]), follow=True
    )
    text = response.content.decode()
    assert "Referral sent. Lighthouse House&#x27;s Harbor user sees the referral" in text
    assert not AnswerLink.objects.exists()


def test_it_says_nobody_was_reached_when_the_home_has_no_user_and_no_contact(
    client, alice, mdt, survivor, home
):
    recommendation = approved(alice, mdt, survivor, home)
    client.force_login(alice)
    response = client.post(
        reverse("recommendation-refer-form", args=[recommendation.pk]), follow=True
    )
    text = response.content.decode()
    assert "Nobody at Lighthouse House was reached" in text
    assert "notified" not in text


def test_it_sends_a_home_with_no_user_a_single_use_link_by_email_and_text(
    client, alice, mdt, survivor, offline_home, sms_outbox, django_capture_on_commit_callbacks
):
    recommendation = approved(alice, mdt, survivor, offline_home)
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("recommendation-refer-form", args=[recommendation.pk]), follow=True
        )

    links = [m for m in mail.outbox if m.to == [INTAKE_EMAIL]]
    assert len(links) == 1 and len(sms_outbox) == 1
    assert sms_outbox[0]["to"] == INTAKE_PHONE
    token = link_token(links[0].body)
    assert link_token(sms_outbox[0]["body"]) == token
    # De-identified: no name, no case number.
    assert "Jane" not in links[0].body and survivor.case_number not in links[0].body
    assert "has no Harbor user. A single-use answer link went by email to" in (
        response.content.decode()
    )
    referral = Referral.objects.get(home=offline_home)
    page = client.get(reverse("referral-page", args=[referral.pk])).content.decode()
    assert f"{INTAKE_EMAIL}: sent; by text message to {INTAKE_PHONE}: sent." in page


def test_it_makes_a_token_that_cannot_be_guessed_and_stores_only_its_digest(
    alice, mdt, survivor, offline_home, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = referred(alice, mdt, survivor, offline_home)
    token = link_token(sms_outbox[0]["body"])

    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert len(raw) * 8 == 256  # bits from `secrets`; at least 128 are needed
    link = AnswerLink.objects.get(referral=referral)
    assert token not in {str(getattr(link, f.attname)) for f in AnswerLink._meta.fields}
    assert link.token_digest == AnswerLink.digest(token) and len(link.token_digest) == 64
    # Every entry of the trail leaves the token out.
    assert not any(token in str(e.after) for e in AuditEntry.objects.all())


@pytest.fixture
def sent_link(alice, mdt, survivor, offline_home, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        referral = referred(alice, mdt, survivor, offline_home)
    return referral, link_token(sms_outbox[0]["body"])


def answer(client, token, **data):
    return client.post(reverse("answer-link", args=[token]), data)


def test_it_shows_the_on_call_person_the_referral_de_identified(client, sent_link, survivor):
    referral, token = sent_link
    page = client.get(reverse("answer-link", args=[token]))

    assert page.status_code == 200
    text = page.content.decode()
    assert "A referral to Lighthouse House" in text and "Send the answer" in text
    assert "Jane" not in text and "Roe" not in text and survivor.case_number not in text
    assert page["Referrer-Policy"] == "same-origin"
    entry = AuditEntry.objects.filter(action="referral.link_open").latest("id")
    assert entry.outcome == "ok" and entry.actor is None and entry.survivor_id == survivor.pk


def test_it_accepts_through_the_link_once_and_then_shows_nothing(
    client, api, alice, sent_link, offline_home, survivor
):
    referral, token = sent_link

    done = answer(client, token, decision="accept", answered_by="Ada Night")

    assert done.status_code == 200
    assert "Thank you: your answer is recorded" in done.content.decode()
    referral.refresh_from_db()
    assert referral.status == "accepted" and referral.answer_channel == "link"
    assert referral.answered_by is None and referral.answered_by_name == "Ada Night"
    assert beds(offline_home) == (1, 1)
    (notice,) = inbox(api, alice, Notification.Kind.REFERRAL_ACCEPTED)
    assert "through the home's single-use link: Ada Night answered" in notice

    for again in (
        client.get(reverse("answer-link", args=[token])),
        answer(client, token, decision="decline", answered_by="Mallory", reason_code="no_bed"),
    ):
        assert again.status_code == 404
        text = again.content.decode()
        assert "This link no longer works" in text
        assert "Lighthouse House" not in text and "bed" not in text.split("<main")[-1]
    referral.refresh_from_db()
    assert referral.status == "accepted" and referral.answered_by_name == "Ada Night"
    # The case worker then confirms the arrival, as after any acceptance.
    arrived = api(alice).post(f"/api/v1/referrals/{referral.pk}/place/")
    assert arrived.status_code == 201, arrived.json()


def test_it_declines_through_the_link_with_a_reason(client, sent_link):
    referral, token = sent_link
    refused = answer(client, token, decision="decline", answered_by="Ada Night")
    assert refused.status_code == 200 and "reason" in refused.content.decode().lower()
    referral.refresh_from_db()
    assert referral.status == "pending"

    answer(client, token, decision="decline", answered_by="Ada Night", reason_code="no_bed")

    referral.refresh_from_db()
    assert referral.status == "declined" and referral.reason_code == "no_bed"
    assert referral.answer_channel == "link"


def test_it_keeps_the_link_when_the_home_is_refused_and_says_why(client, sent_link, offline_home):
    referral, token = sent_link
    Home.objects.filter(pk=offline_home.pk).update(available_beds=0)

    refused = answer(client, token, decision="accept", answered_by="Ada Night")

    assert refused.status_code == 200
    assert "Needs 1 bed; none free" in refused.content.decode()
    assert AnswerLink.objects.get(referral=referral).used_at is None
    Home.objects.filter(pk=offline_home.pk).update(available_beds=2)
    answer(client, token, decision="accept", answered_by="Ada Night")
    referral.refresh_from_db()
    assert referral.status == "accepted"


def test_it_shows_nothing_once_the_referral_is_withdrawn(client, api, alice, sent_link):
    referral, token = sent_link
    withdrawn = api(alice).post(
        f"/api/v1/referrals/{referral.pk}/withdraw/", {"reason": "Family found."}, format="json"
    )
    assert withdrawn.status_code == 200, withdrawn.json()

    page = client.get(reverse("answer-link", args=[token]))

    assert page.status_code == 404 and "Lighthouse House" not in page.content.decode()


def test_it_shows_nothing_after_the_link_expires(client, sent_link):
    referral, token = sent_link
    AnswerLink.objects.filter(referral=referral).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    assert client.get(reverse("answer-link", args=[token])).status_code == 404
    answer(client, token, decision="accept", answered_by="Ada Night")
    referral.refresh_from_db()
    assert referral.status == "pending"
    denied = AuditEntry.objects.filter(action="referral.link_open", outcome="denied")
    assert denied.filter(survivor_id=referral.survivor_id).count() == 2


def test_it_answers_a_guessed_token_as_it_answers_a_used_one(client, sent_link):
    referral, token = sent_link
    guesses = [token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 43, "a" * 500]
    for guess in guesses:
        page = client.get(f"/r/{guess}/")
        assert page.status_code == 404
        assert "This link no longer works" in page.content.decode()
    referral.refresh_from_db()
    assert referral.status == "pending"
    assert AuditEntry.objects.filter(action="referral.link_open", outcome="denied").count() == 3


def test_it_limits_how_often_one_address_opens_links(client, settings, sent_link):
    settings.ANSWER_LINK_RATE = "3/min"
    referral, token = sent_link
    codes = [client.get(f"/r/{'x' * 43}/").status_code for _ in range(3)]
    assert codes == [404, 404, 404]

    limited = client.get(reverse("answer-link", args=[token]))

    assert limited.status_code == 429 and "Retry-After" in limited


def test_it_says_the_link_could_not_be_sent_when_the_provider_fails(
    client, settings, alice, mdt, survivor, offline_home, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "notifications.sms.HttpBackend"
    settings.SMS_HTTP_URL = "http://127.0.0.1:9/sms"  # discard port: nothing listens
    settings.SMS_HTTP_TIMEOUT_SECONDS = 2
    with django_capture_on_commit_callbacks(execute=True):
        referral = referred(alice, mdt, survivor, offline_home)

    link = AnswerLink.objects.get(referral=referral)
    assert (link.email_delivery, link.text_delivery) == ("sent", "failed")
    client.force_login(alice)
    page = client.get(reverse("referral-page", args=[referral.pk])).content.decode()
    assert f"by text message to {INTAKE_PHONE}: could not be sent" in page


# --- The reminder sends a fresh link (only the first token's digest was kept) -------------


def remind(referral, django_capture_on_commit_callbacks) -> dict:
    hours = django_settings.REFERRAL_REMINDER_HOURS
    later = referral.created_at + datetime.timedelta(hours=hours, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        return referrals_chase(now=later)


def test_it_sends_a_fresh_link_with_the_reminder_and_retires_the_first(
    client, alice, sent_link, sms_outbox, django_capture_on_commit_callbacks
):
    referral, first = sent_link
    mail.outbox.clear()
    sms_outbox.clear()

    assert remind(referral, django_capture_on_commit_callbacks)["reminded"] == 1

    (text,) = sms_outbox
    (email,) = [m for m in mail.outbox if m.to == [INTAKE_EMAIL]]
    assert text["to"] == INTAKE_PHONE and text["body"].startswith("Harbor: Reminder:")
    fresh = link_token(text["body"])
    assert link_token(email.body) == fresh and fresh != first
    assert "An earlier link no longer works" in email.body
    # The first link is retired: it shows nothing, as a used or guessed one.
    gone = client.get(reverse("answer-link", args=[first]))
    assert gone.status_code == 404 and "This link no longer works" in gone.content.decode()
    assert client.get(reverse("answer-link", args=[fresh])).status_code == 200
    entry = AuditEntry.objects.get(action="referral.link_reissue")
    assert entry.actor is None and entry.object_id == str(referral.pk)
    assert fresh not in str(entry.after) and first not in str(entry.before)
    # The case worker's page says who the reminder reached.
    client.force_login(alice)
    page = client.get(reverse("referral-page", args=[referral.pk])).content.decode()
    assert (
        f"With the reminder, a fresh link went by email to {INTAKE_EMAIL}: sent; by text "
        f"message to {INTAKE_PHONE}: sent; the earlier one no longer works."
    ) in page
    # Once only: the next run of the job sends nothing more.
    assert remind(referral, django_capture_on_commit_callbacks)["reminded"] == 0
    assert len(sms_outbox) == 1 and AnswerLink.objects.filter(referral=referral).count() == 2


def test_it_answers_through_the_fresh_link_once(
    client, sent_link, sms_outbox, django_capture_on_commit_callbacks
):
    referral, first = sent_link
    sms_outbox.clear()
    remind(referral, django_capture_on_commit_callbacks)
    fresh = link_token(sms_outbox[0]["body"])

    assert answer(client, first, decision="accept", answered_by="Mallory").status_code == 404
    done = answer(client, fresh, decision="accept", answered_by="Ada Night")

    assert done.status_code == 200
    referral.refresh_from_db()
    assert referral.status == "accepted" and referral.answered_by_name == "Ada Night"
    assert answer(client, fresh, decision="decline", answered_by="Ada").status_code == 404


def test_it_says_the_reminder_did_not_reach_the_home_when_the_text_fails(
    client, alice, sent_link, settings, django_capture_on_commit_callbacks
):
    referral, _first = sent_link
    Home.objects.filter(pk=referral.home_id).update(intake_email="")
    settings.SMS_BACKEND = "notifications.sms.HttpBackend"
    settings.SMS_HTTP_URL = "http://127.0.0.1:9/sms"  # discard port: nothing listens
    settings.SMS_HTTP_TIMEOUT_SECONDS = 2

    remind(referral, django_capture_on_commit_callbacks)

    client.force_login(alice)
    page = client.get(reverse("referral-page", args=[referral.pk])).content.decode()
    assert (
        f"With the reminder, a fresh link went by text message to {INTAKE_PHONE}: could not "
        "be sent; the earlier one no longer works. It has not reached them yet: call the home"
    ) in page


def test_it_reminds_a_home_with_harbor_users_in_harbor_without_a_link(
    alice, mdt, home_admin, survivor, home, django_capture_on_commit_callbacks
):
    referral = referred(alice, mdt, survivor, home)

    assert remind(referral, django_capture_on_commit_callbacks)["reminded"] == 1

    assert not AnswerLink.objects.exists()
    assert Notification.objects.filter(
        recipient=home_admin, kind=Notification.Kind.REFERRAL_REMINDER
    ).exists()
