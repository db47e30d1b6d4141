"""A notice reaches each reader in their own language (issue 28): stored as a message id
and its values, the inbox reads it in the page's language, the API in Accept-Language's,
the email in the recipient's (their profile's, else English), whoever's request made it.
A notice stored before keeps its English. Texts to a home with no Harbor user go in the
language the home lists, else in English and Spanish."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from homes.jobs import home_remind_license_expiry
from homes.models import Home
from notifications.models import Notification
from notifications.services import notification_send
from notifications.sms import LocmemBackend
from notifications.texts import count, in_language, moment, msg
from placement.services import review_create
from tests.placement.helpers import approved, recommend

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def speaks(user, language: str):
    user.language = language
    user.save(update_fields=["language"])
    return user


def test_a_spanish_mdt_member_reads_a_review_request_in_spanish_and_the_record_stays_english(
    alice, mdt, survivor, home, api, django_capture_on_commit_callbacks
):
    speaks(mdt, "es")
    with django_capture_on_commit_callbacks(execute=True):
        recommend(alice, survivor, home)

    (email,) = mail.outbox
    assert email.subject == "Harbor: Revisión solicitada"
    assert f"El caso {survivor.case_number} espera su revisión: se propone Lighthouse House" in (
        email.body
    )
    assert "Abrir" in email.body or "Inicie sesión" in email.body  # the last line too
    stored = Notification.objects.get(recipient=mdt)
    assert stored.message.startswith(f"Case {survivor.case_number} waits for your review")

    client = Client()
    client.force_login(mdt)
    page = client.get(reverse("notifications-page")).content.decode()
    assert f"El caso {survivor.case_number} espera su revisión" in page
    assert "Revisión solicitada" in page

    inbox = api(mdt)
    spanish = inbox.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="es").json()["results"][0]
    english = inbox.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]
    assert spanish["kind"] == english["kind"] == "review_requested"  # the code stays
    assert spanish["message"].startswith(f"El caso {survivor.case_number} espera su revisión")
    assert english["message"].startswith(f"Case {survivor.case_number} waits for your review")


def test_an_english_case_worker_reads_english_though_the_mdt_reviewed_in_spanish(
    alice, mdt, survivor, home, api, django_capture_on_commit_callbacks
):
    speaks(mdt, "es")
    speaks(alice, "en")
    recommendation = recommend(alice, survivor, home)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = api(mdt).post(
            f"/api/v1/recommendations/{recommendation.pk}/reviews/",
            {"decision": "approve"},
            format="json",
            HTTP_ACCEPT_LANGUAGE="es",
        )
    assert response.status_code == 201

    (email,) = [m for m in mail.outbox if m.to == [alice.email]]
    assert email.subject == "Harbor: Review done"
    assert f"(MDT) approved Lighthouse House for case {survivor.case_number}." in email.body
    assert "It is approved: send the referral to Lighthouse House." in email.body
    assert "EMD" not in email.body


def test_a_notice_says_counts_and_times_as_each_language_does(alice, bob):
    hold_ends = datetime.datetime(2026, 12, 7, 20, 5, tzinfo=datetime.UTC)
    text = msg(
        "The hold at %(home)s for %(case)s ends at %(when)s: confirm the arrival before "
        "then, or the beds go back. %(contact)s",
        home="Lighthouse House",
        case=msg("case %(number)s", number="KS-2026-0042"),
        when=moment(hold_ends, "America/Chicago"),
        contact="",
    )
    spanish = in_language(text, "es")
    assert spanish.startswith("La reserva en Lighthouse House para el caso KS-2026-0042 vence")
    assert "7 Dic 2026, 14:05 CST" in spanish  # as the pages write it (Django's "M")
    assert "7 Dec 2026, 14:05 CST" in in_language(text, "en")
    assert in_language(count(1, "bed"), "es") == "1 cama"
    assert in_language(count(3, "bed"), "es") == "3 camas"
    assert in_language(count(3, "bed"), "en") == "3 beds"


def test_a_notice_stored_before_reads_as_it_was_written_in_every_language(alice, api):
    old = Notification.objects.create(
        recipient=alice, kind="review_done", message="The MDT approved Lighthouse House."
    )
    for language in ("es", "en"):
        body = api(alice).get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE=language).json()
        assert body["results"][0]["message"] == "The MDT approved Lighthouse House."
    speaks(alice, "es")
    client = Client()
    client.force_login(alice)
    page = client.get(reverse("notifications-page")).content.decode()
    assert "The MDT approved Lighthouse House." in page
    assert "Revisión hecha" in page  # its kind, a code, is translated
    assert old.text is None


def test_a_plain_message_is_stored_and_shown_as_it_is(alice):
    (notification,) = notification_send(
        recipients=[alice], kind="review_done", message="Done.", email=False
    )
    assert (notification.message, notification.text, notification.shown) == ("Done.", None, "Done.")


def test_a_spanish_home_admin_is_reminded_of_the_license_in_spanish(home, home_admin):
    speaks(home_admin, "es")
    Home.objects.filter(pk=home.pk).update(license_expires=datetime.date(2026, 12, 31))

    assert home_remind_license_expiry(today=datetime.date(2026, 12, 24)) == 1

    notice = Notification.objects.get(recipient=home_admin)
    assert notice.message.startswith("The license of Lighthouse House")
    assert "expires on 31 Dec 2026, in 7 days." in notice.message
    shown = in_language(notice.text, "es")
    assert shown.startswith("La licencia de Lighthouse House")
    assert "vence el 31 Dic 2026, en 7 días." in shown


# --- A home with no Harbor user ------------------------------------------------------------


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "notifications.sms.LocmemBackend"
    settings.SITE_URL = "https://harbor.example.org"
    LocmemBackend.outbox.clear()
    return LocmemBackend.outbox


def refer_offline(client, alice, mdt, survivor, home, languages, capture):
    Home.objects.filter(pk=home.pk).update(
        intake_email="intake@lighthouse.example.org",
        intake_phone="(913) 555-0142",
        languages=languages,
    )
    home.refresh_from_db()
    recommendation = approved(alice, mdt, survivor, home)
    client.force_login(alice)
    with capture(execute=True):
        client.post(reverse("recommendation-refer-form", args=[recommendation.pk]))
    (email,) = [m for m in mail.outbox if m.to == ["intake@lighthouse.example.org"]]
    return email


def link(text: str) -> list[str]:
    return re.findall(r"https://harbor\.example\.org/r/[A-Za-z0-9_-]+/", text)


def test_a_home_that_lists_spanish_gets_its_link_in_spanish(
    client, alice, mdt, survivor, home, sms_outbox, django_capture_on_commit_callbacks
):
    email = refer_offline(
        client, alice, mdt, survivor, home, ["es"], django_capture_on_commit_callbacks
    )
    assert email.subject == "Harbor: una derivación a Lighthouse House"
    assert "Un(a) trabajador(a) social pide a Lighthouse House que acoja a un(a) menor de" in (
        email.body
    )
    assert "A case worker asks" not in email.body
    (text,) = sms_outbox
    assert text["body"].startswith("Harbor: derivación a Lighthouse House, un(a) menor de")
    assert "necesita 1 cama. Acepte o rechace: https://" in text["body"]
    assert len(link(email.body)) == len(link(text["body"])) == 1


def test_a_home_that_lists_no_language_harbor_writes_gets_english_and_spanish(
    client, alice, mdt, survivor, home, sms_outbox, django_capture_on_commit_callbacks
):
    email = refer_offline(
        client, alice, mdt, survivor, home, ["vi"], django_capture_on_commit_callbacks
    )
    assert email.subject == (
        "Harbor: a referral to Lighthouse House / Harbor: una derivación a Lighthouse House"
    )
    assert email.body.index("A case worker asks") < email.body.index("Un(a) trabajador(a)")
    (text,) = sms_outbox
    assert "Accept or decline: / Harbor: derivación a Lighthouse House" in text["body"]
    assert len(link(email.body)) == len(link(text["body"])) == 1  # the link once


def test_a_bilingual_home_gets_the_case_workers_language(
    client, alice, mdt, survivor, home, sms_outbox, django_capture_on_commit_callbacks
):
    speaks(alice, "es")
    email = refer_offline(
        client, alice, mdt, survivor, home, ["en", "es"], django_capture_on_commit_callbacks
    )
    assert email.subject == "Harbor: una derivación a Lighthouse House"
    (text,) = sms_outbox
    assert text["body"].startswith("Harbor: derivación a Lighthouse House")


def test_an_agencys_language_is_its_staffs_email_language_unless_they_chose_one(
    alice, mdt, survivor, home, agency, django_capture_on_commit_callbacks
):
    """mona (MDT) chose nothing: her team's agency speaks Spanish, so does her email;
    alice chose English on her account page: hers stays English."""
    agency.language = "es"
    agency.save(update_fields=["language"])
    speaks(alice, "en")
    with django_capture_on_commit_callbacks(execute=True):
        recommendation = recommend(alice, survivor, home)
    (to_mona,) = mail.outbox
    assert to_mona.subject == "Harbor: Revisión solicitada"

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review_create(actor=mdt, recommendation_id=recommendation.pk, decision="approve")
    (to_alice,) = [m for m in mail.outbox if m.to == [alice.email]]
    assert to_alice.subject == "Harbor: Review done"


def test_a_spanish_home_admin_reads_harbors_own_withdrawal_reason_in_spanish(
    alice, mdt, survivor, home, home_admin, api
):
    from placement.services import referral_withdraw
    from tests.placement.helpers import referred

    speaks(home_admin, "es")
    referral = referred(alice, mdt, survivor, home)
    referral_withdraw(actor=alice, referral_id=referral.pk)

    notice = Notification.objects.get(recipient=home_admin, kind="referral_withdrawn")
    assert notice.message == (
        f"Referral {referral.pk} to Lighthouse House was withdrawn: Withdrawn by the case worker."
    )
    assert in_language(notice.text, "es") == (
        f"Se retiró la derivación {referral.pk} a Lighthouse House: Retirada por el "
        "trabajador(a) social."
    )
    # The 409 of a second withdrawal names the reason in the request's language too.
    refused = api(alice).post(
        f"/api/v1/referrals/{referral.pk}/withdraw/", {}, format="json", HTTP_ACCEPT_LANGUAGE="es"
    )
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "Esta derivación se retiró. Retirada por el trabajador(a) social."
    )
