"""A supervisor's night in Spanish (issue 28), in a real browser, with axe on every page.

Sofía supervises the Texas agency's night shift from her phone, whose browser asks for
Spanish (es-US). She signs in, reads her home page, finds a case, reads its page and its
audit trail, the MDT's recommendation and the referral with its bed hold, her
notifications and her account page. Every page says `lang="es"`, has no serious axe
violation, no sideways scroll at 375 px, and shows none of the English sentences Harbor
translates (every msgid of locale/es of two words or more, searched in the visible text).
Screenshots at desktop and phone width land in test-artifacts/ (es-night-*).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from notifications.services import notification_send
from tests.browser.conftest import PHONE, sign_in
from tests.browser.test_story import look
from tests.factories import AgencyFactory, HomeFactory, SurvivorFactory, TeamFactory, UserFactory
from tests.placement.helpers import accepted, recommend

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def english_sentences() -> list[str]:
    """The English Harbor translates: msgids of two words or more without placeholders."""
    po = (Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po").read_text()
    found = []
    for block in po.split("\n\n"):
        if "msgctxt" in block:
            continue
        match = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if not match:
            continue
        text = "".join(re.findall(r'"(.*)"', match.group(1)))
        if "%" in text or "<" in text or len(text.split()) < 2:
            continue
        found.append(text.replace('\\"', '"'))
    return found


ENGLISH = english_sentences()


def english_left(page) -> list[str]:
    text = " ".join(page.locator("body").inner_text().split())
    return [sentence for sentence in ENGLISH if sentence in text]


@pytest.fixture
def shift(db):
    agency = AgencyFactory(code="tx-dfps", name="Texas DFPS", state="TX")
    team = TeamFactory(agency=agency, name="Harris County MDT")
    sofia = UserFactory(
        username="sofia", first_name="Sofía", role="supervisor", agency=agency
    )  # no profile language: her browser's Spanish decides
    rosa = UserFactory(username="rosa", role="case_worker", agency=agency, team=team)
    mona = UserFactory(username="mona", role="mdt_member", team=team)
    dana = UserFactory(username="dana", role="home_admin")
    home = HomeFactory(
        name="Bayou Recovery Center", state="TX", zip_code="77471", licensed_beds=6,
        available_beds=3, staff_on_duty=3, residents_per_staff=3, genders_served=["female"],
        min_age=12, max_age=17, accepts_state_wards=True, intake_24_7=True,
        intake_phone="(281) 555-0142",
    )  # fmt: skip
    from homes.services import home_admin_grant

    home_admin_grant(actor=None, user=dana, home=home)
    held = SurvivorFactory(
        agency=agency, team=team, case_number="TX-2026-0412", gender="female",
        custody_state="TX", residence_zip="77002", guardianship="state",
    )  # fmt: skip
    held.assigned_workers.add(rosa)
    referral = accepted(rosa, mona, dana, held, home)
    waiting = SurvivorFactory(
        agency=agency, team=team, case_number="TX-2026-0413", gender="female",
        custody_state="TX", residence_zip="77002", guardianship="state",
    )  # fmt: skip
    waiting.assigned_workers.add(rosa)
    recommendation = recommend(rosa, waiting, home)
    notification_send(
        recipients=[sofia], kind="referral_accepted", message="Referral TX-2026-0412 was accepted."
    )
    return {
        "sofia": sofia,
        "held": held,
        "referral": referral,
        "recommendation": recommendation,
    }


def test_a_supervisors_night_in_spanish(chromium, live_server, shift):
    context = chromium.new_context(viewport=PHONE, base_url=live_server.url, locale="es-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/login/")
        assert page.locator("html").get_attribute("lang") == "es"
        assert "Iniciar sesión en Harbor" in page.inner_text("h1")
        look(page, "es-night-sign-in")
        sign_in(page, "sofia")

        held = shift["held"]
        pages = [
            ("/", "es-night-home", "Hola, Sofía"),
            (f"/?search={held.case_number}", "es-night-find", "Buscar un caso"),
            (f"/survivors/{held.pk}/", "es-night-case", "Historial de estado"),
            (f"/survivors/{held.pk}/audit/", "es-night-audit", "Registro de auditoría"),
            (
                f"/recommendations/{shift['recommendation'].pk}/",
                "es-night-recommendation",
                "Revisiones del EMD",
            ),
            (f"/referrals/{shift['referral'].pk}/", "es-night-referral", "Camas reservadas"),
            ("/notifications/", "es-night-notifications", "Avisos"),
            # Not /reports/ yet: the reports' titles, captions and notes are Python strings
            # not marked yet (notes/i18n.md).
            ("/account/", "es-night-account", "Su cuenta"),
        ]
        for path, name, spanish in pages:
            page.goto(path)
            assert page.locator("html").get_attribute("lang") == "es", path
            assert spanish in page.locator("main").inner_text(), path
            assert english_left(page) == [], path
            look(page, name)
    finally:
        context.close()
