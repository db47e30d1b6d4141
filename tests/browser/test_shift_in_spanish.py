"""A whole night shift in Spanish (issue 28), in a real browser at 375 px, axe on every page.

Every user's browser asks for Spanish (es-US) and no one has a profile language. The
case worker records a child with no papers (a refused save first), searches, reads the
what-if search, puts her on the waitlist and proposes the shelter; the MDT member
approves from the queue; the case worker sends the referral; the home administrator
accepts it, taps the staff on duty, saves the home's profile and checks an import; the
case worker confirms the arrival; the supervisor reads her home page and the on-call
view, places a group (the plan, sent to the MDT and approved on its review page), and
opens the reports, the notifications and her account.

On every page: `lang="es"`, no serious axe violation, no sideways scroll at 375 px, and no
English left: none of the interface's English words (ENGLISH_WORDS, words Spanish never
uses) and none of the catalogue's English sentences anywhere a person reads or hears
(the visible text, the page title, option texts, aria-label, title, alt, placeholder).
The data the test types or the factories write is Spanish or names. Screenshots at
desktop and phone width land in test-artifacts/ (es-shift-*).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from core.vocab import STATE_CHOICES
from homes.import_files import template_csv
from homes.models import Home
from homes.services import home_admin_grant
from placement.models import Batch, Recommendation, Referral
from placement.services import batch_runs, batches
from survivors.models import Survivor
from tests.browser.conftest import DESKTOP, PHONE, sign_in
from tests.browser.test_story import flash, look
from tests.factories import AgencyFactory, HomeFactory, SurvivorFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# English words of the interface that Spanish never uses: one of them on a Spanish page is
# a string left untranslated, whether or not it was ever marked for translation.
ENGLISH_WORDS = frozenset(
    """the of and to with for is are your you this that from by not on at it its has have
    was were will can could would home homes bed beds child children case cases referral
    referrals staff save saved search none yes free held review reviews tonight what why
    who when which new edit back there their them they she her his been an or if as be
    all any each only more than days hours ago now today never just open sent accepted
    declined pending approved rejected waitlist waitlisted shelter group plan's intake
    placement placed arrived found needs score ranked sign out help""".split()
)


def catalogue_sentences() -> list[str]:
    """The English sentences Harbor translates: msgids of two words or more, without
    placeholders, whose Spanish differs from them."""
    po = (Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po").read_text()
    found = []
    for block in po.split("\n\n"):
        if "msgctxt" in block or "msgid_plural" in block:
            continue
        match = re.search(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', block + "\n", re.M)
        if not match:
            continue
        english = "".join(re.findall(r'"(.*)"', match.group(1))).replace('\\"', '"')
        spanish = "".join(re.findall(r'"(.*)"', match.group(2))).replace('\\"', '"')
        if "%" in english or "<" in english or len(english.split()) < 2 or english == spanish:
            continue
        found.append(english)
    return found


SENTENCES = catalogue_sentences()

READ = """() => {
  const texts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll('[aria-label], [title], [alt], [placeholder]')) {
    for (const name of ['aria-label', 'title', 'alt', 'placeholder']) {
      if (el.hasAttribute(name)) texts.push(el.getAttribute(name));
    }
  }
  for (const option of document.querySelectorAll('option')) texts.push(option.label);
  return texts.join('\\n');
}"""


# What sticks out to the right of a 375 px screen, named (the page then scrolls sideways).
WIDER = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
               && !(e.parentElement && e.parentElement.closest('.table-wrap')))
  .slice(0, 5)
  .map(e => `${e.tagName.toLowerCase()}.${e.className} `
             + Math.round(e.getBoundingClientRect().right))"""


# Names, not words: the states as the USPS lists them (the custody state's list).
PLACE_NAMES = sorted((str(name) for _, name in STATE_CHOICES), key=len, reverse=True)


def english_in(text: str) -> list[str]:
    """The English a Spanish reader would meet in `text`: words and catalogue sentences.
    A state's name and a value quoted «like this» (a file's literal values, which the
    import takes in English) are not the interface's words."""
    flat = " ".join(text.split())
    flat = re.sub(r"«[^»]*»", " ", flat)
    for name in PLACE_NAMES:
        flat = flat.replace(name, " ")
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", flat)
    found = sorted({word for word in words if word.lower() in ENGLISH_WORDS})
    found += [sentence for sentence in SENTENCES if sentence in flat]
    return found


def english_left(page) -> list[str]:
    return english_in(page.evaluate(READ))


# The English met on each page, asserted empty at the end of the shift (so one run names
# every page with English left, each with the words around it).
ENGLISH_MET: dict[str, list[str]] = {}


def spanish_page(page, name: str, heading: str) -> None:
    """The page is Spanish through and through, then its screenshots and axe."""
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "es", name
    assert heading in page.locator("main").inner_text(), (name, heading)
    text = " ".join(page.evaluate(READ).split())
    for english in english_in(text):
        at = re.search(rf"(?<![^\W\d_]){re.escape(english)}(?![^\W\d_])", text)
        start = at.start() if at else 0
        ENGLISH_MET.setdefault(name, []).append(f"{english!r} in …{text[start - 50 : start + 70]}…")
    viewport = page.viewport_size
    page.set_viewport_size(PHONE)
    wider = page.evaluate(WIDER)
    page.set_viewport_size(viewport)
    assert wider == [], (name, wider)
    look(page, f"es-shift-{name}")


@pytest.fixture
def shift(db):
    agency = AgencyFactory(code="tx-dfps", name="DFPS de Texas", state="TX")
    team = TeamFactory(agency=agency, name="EMD del condado de Harris")
    UserFactory(
        username="sofia", first_name="Sofía", role="supervisor", agency=agency
    )  # no profile language: every browser's Spanish decides
    rosa = UserFactory(
        username="rosa", first_name="Rosa", role="case_worker", agency=agency, team=team
    )
    UserFactory(username="mona", first_name="Mónica", role="mdt_member", team=team)
    dana = UserFactory(username="dana", first_name="Dana", role="home_admin")
    takes_her = {
        "genders_served": ["female"], "min_age": 12, "max_age": 17, "accepts_pregnant": True,
        "accepts_state_wards": True, "intake_24_7": True, "languages": ["en", "es"],
    }  # fmt: skip
    bayou = HomeFactory(
        name="Centro Bayou", home_type="crisis_stabilization", state="TX", zip_code="77471",
        licensed_beds=16, available_beds=2, staff_on_duty=4, residents_per_staff=3,
        intake_phone="(281) 555-0142", contact_name="María Delgado", **takes_her,
    )  # fails only staffing  # fmt: skip
    refugio = HomeFactory(
        name="Refugio Juvenil Harris", home_type="emergency_shelter", state="TX",
        zip_code="77379", licensed_beds=12, available_beds=3, staff_on_duty=3,
        residents_per_staff=4, intake_phone="(832) 555-0199", contact_name="Jaime Okafor",
        **takes_her,
    )  # fmt: skip
    HomeFactory(
        name="Hogar Trinidad", home_type="specialized_foster", state="TX", zip_code="75201",
        licensed_beds=2, available_beds=0, staff_on_duty=1, residents_per_staff=3,
        intake_phone="(214) 555-0177", contact_name="Linda Pham", **takes_her,
    )  # fails only beds  # fmt: skip
    for home in (bayou, refugio):
        home_admin_grant(actor=None, user=dana, home=home)
    # Two more children of the agency, recovered in the same operation, for a group plan.
    group = []
    for number in ("TX-OP-01", "TX-OP-02"):
        child = SurvivorFactory(
            agency=agency, team=team, case_number=number, first_name="Ana",
            last_name="López", gender="female", custody_state="TX", residence_zip="77002",
            guardianship="state", created_by=rosa,
        )  # fmt: skip
        child.assigned_workers.add(rosa)
        group.append(child)
    return {"bayou": bayou, "refugio": refugio, "group": group}


def test_a_whole_shift_in_spanish(chromium, live_server, shift, monkeypatch):
    bayou, refugio = shift["bayou"], shift["refugio"]
    contexts = []

    def browser(username: str):
        context = chromium.new_context(viewport=PHONE, base_url=live_server.url, locale="es-US")
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, username)
        return page

    ENGLISH_MET.clear()
    try:
        # --- The case worker: her home page, a refused intake, the saved intake.
        rosa = browser("rosa")
        spanish_page(rosa, "01-worker-home", "Hola, Rosa")
        rosa.goto("/survivors/new/")
        spanish_page(rosa, "02-intake", "Nuevo ingreso")
        rosa.fill("#id_alias", "Chica de azul, estación de autobuses")
        rosa.fill("#id_estimated_age", "15")
        rosa.click("form.card button.primary")
        rosa.wait_for_selector("#form-errors")
        assert "El ingreso no se guardó" in rosa.inner_text("#form-errors")
        spanish_page(rosa, "03-intake-refused", "Nuevo ingreso")
        rosa.select_option("#id_gender", "female")
        rosa.fill("#id_residence_zip", "77054")
        rosa.select_option("#id_urgency", "crisis")
        rosa.select_option("#id_guardianship", "state")
        rosa.select_option("#id_custody_state", "TX")
        rosa.fill("#id_primary_language", "Español")
        rosa.check("input[name=pregnant]")
        rosa.fill("#id_zone-0-zip_code", "77002")
        rosa.fill("#id_zone-0-radius_miles", "10")
        rosa.click("form.card button.primary")
        rosa.wait_for_selector("h1:has-text('Caso TX-DFPS-')")
        survivor = Survivor.objects.get(case_number__startswith="TX-DFPS-")
        assert flash(rosa) == f"Ingreso guardado como caso {survivor.case_number}."
        assert survivor.primary_language == "es"
        spanish_page(rosa, "04-case", "Desconocido")

        # --- Her search: nothing fits but the shelter; what can change tonight.
        rosa.goto(f"/survivors/{survivor.pk}/search/")
        rosa.wait_for_selector("section.tonight")
        tonight = rosa.inner_text("section.tonight")
        assert "Ningún hogar es adecuado para este menor esta noche" in tonight
        assert "Una persona más de turno lo abriría" in tonight
        spanish_page(rosa, "05-search-tonight", "Proponer al EMD")
        rosa.goto("/search/")
        rosa.fill("#id_age", "15")
        rosa.select_option("#id_gender", "female")
        rosa.fill("#id_residence_zip", "77054")
        rosa.select_option("#id_urgency", "crisis")
        rosa.select_option("#id_guardianship", "state")
        rosa.select_option("#id_custody_state", "TX")
        rosa.click(".search-form button.primary")
        rosa.wait_for_selector("#results .summary")
        spanish_page(rosa, "06-what-if", "¿Quién podría recibir a este menor?")

        # --- The waitlist in one click, then the proposal to the MDT.
        rosa.goto(f"/survivors/{survivor.pk}/search/")
        rosa.click("section.tonight button.primary")
        rosa.wait_for_selector(".messages")
        spanish_page(rosa, "07-waitlisted", "En lista de espera")
        rosa.goto(f"/survivors/{survivor.pk}/search/")
        rosa.locator(f"#home-{refugio.pk} input[name=homes]").check()
        rosa.fill("#id_rationale", "Provisional para esta noche: nada más es adecuado.")
        rosa.click("#propose-form button.primary")
        rosa.wait_for_selector(".messages")
        recommendation = Recommendation.objects.get(survivor=survivor)
        spanish_page(rosa, "08-proposed", "Refugio Juvenil Harris")

        # --- The MDT member: her queue and the review.
        mona = browser("mona")
        spanish_page(mona, "09-mdt-queue", "Hola, Mónica")
        mona.goto(f"/recommendations/{recommendation.pk}/")
        mona.wait_for_selector("button[name=decision][value=approve]")
        spanish_page(mona, "10-mdt-review", "Refugio Juvenil Harris")
        mona.fill("#id_comment", "Aprobado como colocación provisional para esta noche.")
        mona.click("button[name=decision][value=approve]")
        mona.wait_for_selector(".messages")
        spanish_page(mona, "11-mdt-approved", "Refugio Juvenil Harris")

        # --- The case worker sends the referral.
        rosa.goto(f"/recommendations/{recommendation.pk}/")
        rosa.click("button:has-text('Enviar derivación')")
        rosa.wait_for_selector(".messages")
        referral = Referral.objects.get(survivor=survivor)
        spanish_page(rosa, "12-referral-sent", "Refugio Juvenil Harris")

        # --- The home administrator: accepts, taps the staff, keeps the profile, imports.
        dana = browser("dana")
        spanish_page(dana, "13-home-admin-home", "Hola, Dana")
        dana.goto(f"/referrals/{referral.pk}/")
        dana.click(f"form[action$='/referrals/{referral.pk}/accept/'] button")
        dana.wait_for_selector(".messages")
        spanish_page(dana, "14-referral-accepted", "Camas reservadas")
        dana.goto(f"/homes/{bayou.pk}/manage/")
        dana.click("button[name=staff_on_duty][value='7']")
        dana.wait_for_selector("#staff-h:has-text('Personal de turno ahora: 7')")
        assert flash(dana) == "Guardado: 2 camas libres; 7 personas de turno."
        spanish_page(dana, "15-home-taps", "Historial de disponibilidad")
        dana.goto(f"/homes/{bayou.pk}/profile/")
        dana.fill("#id_contact_name", "Keisha Brown (turno de noche)")
        dana.click("form.card button.primary")
        dana.wait_for_selector(".messages")
        assert flash(dana) == "Perfil guardado."
        spanish_page(dana, "16-home-profile", "Perfil de Centro Bayou")
        dana.goto("/homes/import/")
        spanish_page(dana, "17-import", "Importar hogares")
        sheet = template_csv(list(Home.objects.filter(pk__in=[bayou.pk, refugio.pk])))
        dana.set_input_files(
            "#id_file", {"name": "hogares.csv", "mimeType": "text/csv", "buffer": sheet}
        )
        dana.click("form[enctype] button.primary")
        dana.wait_for_selector("#count-errors", timeout=60_000)
        assert dana.inner_text("#count-errors") == "0", dana.inner_text("main")
        spanish_page(dana, "18-import-checked", "Revisión de hogares.csv")

        # --- The case worker confirms the arrival.
        rosa.goto(f"/referrals/{referral.pk}/")
        spanish_page(rosa, "19-referral-held", "Camas reservadas")
        rosa.click(f"form[action$='/referrals/{referral.pk}/place/'] button")
        rosa.wait_for_selector(".messages")
        referral.refresh_from_db()
        assert referral.status == Referral.Status.PLACED
        spanish_page(rosa, "20-arrived", "Refugio Juvenil Harris")

        # --- The supervisor: her home page, the on-call view, a group plan.
        sofia = browser("sofia")
        spanish_page(sofia, "21-supervisor-home", "Hola, Sofía")
        sofia.goto("/on-call/")
        spanish_page(sofia, "22-on-call", "Guardia: casos de crisis abiertos")
        queued = []
        monkeypatch.setattr(batches, "batch_queue", queued.append)
        sofia.goto("/batches/new/")
        spanish_page(sofia, "23-group-new", "Colocar a un grupo de menores")
        for child in shift["group"]:
            sofia.check(f"#pick_{child.pk}")
        sofia.fill(f"#id_group_{shift['group'][0].pk}", "hermanas")
        sofia.fill(f"#id_group_{shift['group'][1].pk}", "hermanas")
        sofia.click("form.batch-form button.primary")
        sofia.wait_for_selector("progress#batch-bar")
        batch = Batch.objects.get()
        spanish_page(sofia, "24-group-planning", "Planificando")
        batch_runs.batch_run(batch_id=batch.pk)
        sofia.wait_for_selector("section[aria-labelledby=send-h]")
        spanish_page(sofia, "25-group-plan", "El plan")
        sofia.click("section[aria-labelledby=send-h] button.primary")
        sofia.wait_for_selector(".messages")
        assert flash(sofia) == "Enviado al EMD como una sola revisión: se avisó al equipo."
        mona.goto(f"/batches/{batch.pk}/review/")
        spanish_page(mona, "26-group-review", "revisión del EMD")
        mona.click("button[name=decision][value=approve]")
        mona.wait_for_selector(".messages")
        spanish_page(mona, "27-group-approved", "revisión del EMD")

        # --- The supervisor's reports, notifications and account.
        sofia.goto("/reports/")
        spanish_page(sofia, "28-reports", "Informes")
        sofia.goto("/notifications/")
        spanish_page(sofia, "29-notifications", "Avisos")
        sofia.goto("/account/")
        spanish_page(sofia, "30-account", "Su cuenta")
        assert not ENGLISH_MET, "\n".join(f"{k}: {v}" for k, v in ENGLISH_MET.items())
    finally:
        for context in contexts:
            context.close()


def test_the_english_check_finds_a_page_left_in_english(open_page, shift):
    """The check fails where English is left: the same home page in an English browser,
    and a Spanish page with one interface sentence or one untranslated word put back."""
    page = open_page(DESKTOP)
    sign_in(page, "dana")
    page.goto(f"/homes/{shift['bayou'].pk}/manage/")
    left = english_left(page)
    assert "Availability history" in left and "beds" in left

    assert english_in("Camas libres ahora: 2. Availability history") == ["Availability history"]
    assert english_in("Personal de turno ahora: 7 (held)") == ["held"]
    assert english_in("Camas libres ahora: 2 · Personal de turno: 7 · Hogar Trinidad") == []
