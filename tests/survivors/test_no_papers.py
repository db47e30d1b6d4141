"""A child with no papers and no name: Harbor issues the case number, shows "Unknown"
and the alias, and ages an estimate from the day it was made."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEntry
from survivors.forms import IntakeForm
from survivors.models import Survivor
from survivors.selectors import survivor_find
from survivors.services import survivor_create, survivor_update
from tests.factories import AgencyFactory, SurvivorFactory, UserFactory, years_before


def no_papers(**changes):
    return {
        "case_number": "",
        "first_name": "",
        "last_name": "",
        "alias": "Girl in blue, Greyhound station",
        "date_of_birth": None,
        "estimated_age": 15,
        "gender": "female",
        "guardianship": "state",
        "custody_state": "TX",
        "residence_zip": "77002",
        "pregnant": True,
        "primary_language": "es",
        **changes,
    }


def this_year() -> int:
    return timezone.localdate().year


def test_it_issues_a_case_number_when_the_intake_has_none(alice):
    first = survivor_create(actor=alice, data=no_papers())
    second = survivor_create(actor=alice, data=no_papers(case_number="   "))

    assert first.case_number == f"KS-DCF-{this_year()}-00001"
    assert second.case_number == f"KS-DCF-{this_year()}-00002"


def test_it_continues_after_the_highest_number_already_issued(alice):
    SurvivorFactory(agency=alice.agency, case_number=f"KS-DCF-{this_year()}-00041")
    SurvivorFactory(agency=alice.agency, case_number=f"KS-DCF-{this_year()}-notes")

    survivor = survivor_create(actor=alice, data=no_papers())

    assert survivor.case_number == f"KS-DCF-{this_year()}-00042"


def test_it_numbers_each_agency_on_its_own(alice, charlie):
    ours = survivor_create(actor=alice, data=no_papers())
    theirs = survivor_create(actor=charlie, data=no_papers())

    assert ours.case_number.startswith("KS-DCF-")
    assert theirs.case_number == f"MO-CD-{this_year()}-00001"


def test_it_keeps_a_case_number_the_worker_gave(alice):
    survivor = survivor_create(actor=alice, data=no_papers(case_number="HPD-7731"))
    assert survivor.case_number == "HPD-7731"


def test_it_fits_a_long_agency_code_in_the_case_number(db):
    agency = AgencyFactory(code="x" * 32, state="TX")
    worker = UserFactory(role="case_worker", agency=agency)

    survivor = survivor_create(actor=worker, data=no_papers())

    assert len(survivor.case_number) <= 40
    assert survivor.case_number.endswith("-00001")


def test_it_shows_a_child_without_a_name_as_unknown_and_keeps_the_alias(alice):
    survivor = survivor_create(actor=alice, data=no_papers())
    survivor.refresh_from_db()

    assert survivor.display_name == "Unknown"
    assert survivor.alias == "Girl in blue, Greyhound station"
    assert survivor.age_is_estimated
    assert survivor.age_on(timezone.localdate()) == 15
    assert survivor.language_name == "Spanish"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"estimated_age": None}, "date_of_birth"),
        ({"date_of_birth": datetime.date(2011, 5, 4)}, "estimated_age"),
        ({"estimated_age": 26}, "estimated_age"),
    ],
)
def test_it_needs_exactly_one_of_birth_date_and_estimated_age(alice, changes, field):
    with pytest.raises(ValidationError) as error:
        survivor_create(actor=alice, data=no_papers(**changes))
    assert field in error.value.message_dict
    assert not Survivor.objects.exists()


def test_it_restarts_the_estimate_clock_when_the_estimate_changes(alice):
    survivor = survivor_create(actor=alice, data=no_papers())
    year_ago = timezone.localdate() - datetime.timedelta(days=366)
    Survivor.objects.filter(pk=survivor.pk).update(age_estimated_on=year_ago)

    same = survivor_update(actor=alice, survivor_id=survivor.pk, data={"estimated_age": 15})
    assert same.age_estimated_on == year_ago
    assert same.age_on(timezone.localdate()) == 16

    changed = survivor_update(actor=alice, survivor_id=survivor.pk, data={"estimated_age": 14})
    assert changed.age_estimated_on == timezone.localdate()
    assert changed.age_on(timezone.localdate()) == 14
    update = AuditEntry.objects.filter(action="survivor.update").get()
    assert (update.before, update.after) == ({"estimated_age": 15}, {"estimated_age": 14})


def test_it_forgets_the_estimate_once_the_birth_date_is_known(alice):
    survivor = survivor_create(actor=alice, data=no_papers())
    birth = years_before(timezone.localdate(), 16)

    survivor = survivor_update(
        actor=alice,
        survivor_id=survivor.pk,
        data={"date_of_birth": birth, "estimated_age": None},
    )

    assert (survivor.estimated_age, survivor.age_estimated_on) == (None, None)
    assert not survivor.age_is_estimated
    assert survivor.age_on(timezone.localdate()) == 16


def test_it_keeps_the_alias_out_of_the_audit_trail(alice):
    survivor = survivor_create(actor=alice, data=no_papers())
    survivor_update(actor=alice, survivor_id=survivor.pk, data={"alias": "Girl, red coat"})

    text = str(list(AuditEntry.objects.values_list("before", "after")))
    assert "Greyhound" not in text and "red coat" not in text
    assert AuditEntry.objects.get(action="survivor.update").after == {"alias": "<encrypted>"}


# --- The form ---------------------------------------------------------------------------

FORM = {
    "gender": "female", "guardianship": "state", "custody_state": "TX",
    "residence_zip": "77002", "estimated_age": "15",
}  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "code"),
    [("Spanish", "es"), ("  spanish ", "es"), ("SPANISH", "es"), ("es", "es"),
     ("Farsi", "fa"), ("persian", "fa"), ("", "")],
)  # fmt: skip
def test_it_takes_a_language_by_name_or_code_and_keeps_the_code(db, typed, code):
    form = IntakeForm({**FORM, "primary_language": typed})
    assert form.is_valid(), form.errors
    assert form.record_data()["primary_language"] == code


def test_it_names_the_language_field_when_no_language_has_that_name(db):
    form = IntakeForm({**FORM, "primary_language": "Klingon"})
    assert not form.is_valid()
    assert form.errors["primary_language"] == [
        "Pick a language from the list, by its name (e.g. Spanish)."
    ]


def test_it_lets_the_form_leave_case_number_and_names_blank(db):
    form = IntakeForm(FORM)
    assert form.is_valid(), form.errors
    data = form.record_data()
    assert (data["case_number"], data["first_name"], data["last_name"]) == ("", "", "")
    assert (data["date_of_birth"], data["estimated_age"]) == (None, 15)


# --- Finding a case ---------------------------------------------------------------------


@pytest.fixture
def cases(alice, survivor):
    """alice's three: Jane Roe (the fixture), an unnamed girl with an alias, and Lupe."""
    unnamed = survivor_create(actor=alice, data=no_papers())
    lupe = survivor_create(
        actor=alice, data=no_papers(first_name="Lupe", last_name="Ortiz", alias="")
    )
    return {"jane": survivor, "unnamed": unnamed, "lupe": lupe}


@pytest.mark.parametrize(
    ("search", "names"),
    [
        ("ortiz", {"lupe"}),
        ("lupe ortiz", {"lupe"}),
        ("Ortiz Lupe", {"lupe"}),
        ("greyhound", {"unnamed"}),
        ("jane", {"jane"}),
        (f"{this_year()}-00001", {"unnamed"}),
        ("ks-dcf", {"unnamed", "lupe"}),
        ("", {"jane", "unnamed", "lupe"}),
        ("nobody", set()),
    ],
)
def test_it_finds_a_case_by_case_number_alias_or_name(alice, cases, search, names):
    found = survivor_find(user=alice, search=search)
    assert set(found) == {cases[name] for name in names}


def test_it_filters_by_status(alice, cases):
    Survivor.objects.filter(pk=cases["lupe"].pk).update(status="waitlisted")
    assert list(survivor_find(user=alice, status="waitlisted")) == [cases["lupe"]]
    assert list(survivor_find(user=alice, search="roe", status="intake")) == [cases["jane"]]
    assert list(survivor_find(user=alice, search="ortiz", status="intake")) == []


def test_it_finds_only_cases_the_user_may_see(alice, cases, charlie):
    hidden = survivor_create(actor=charlie, data=no_papers(first_name="Lupe"))
    assert set(survivor_find(user=alice, search="lupe")) == {cases["lupe"]}
    assert list(survivor_find(user=charlie, search="lupe")) == [hidden]


def test_it_lets_an_mdt_member_find_a_case_by_number_but_never_by_name(cases, mdt):
    assert list(survivor_find(user=mdt, search="ortiz")) == []
    assert list(survivor_find(user=mdt, search="greyhound")) == []
    assert list(survivor_find(user=mdt, search=cases["lupe"].case_number)) == [cases["lupe"]]
