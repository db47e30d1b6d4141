"""Fuzzing every HTML form of the app, as schemathesis does for the API.

For each form (each POST endpoint of the pages), hypothesis posts arbitrary form data
as the persona who may use it: the form's own fields (read off the Django form, so a
new field is fuzzed too) with valid values, unicode, control characters, NUL, huge
strings, numbers as text ("nan", "²", "1e308", ...), lists for multi-value fields, and
unknown extra fields; url-encoded like a browser or multipart. No answer may be a 500:
Django's test client re-raises a view's exception, so an exception fails the example.
Each example runs in a savepoint rolled back afterwards, so every one meets the case in
the state the form is for (a referral pending, a placement active, ...).

Then the inputs that used to give a 500 on the HTML side, each now a form error the
user can read, with nothing changed.
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.forms import EnrolForm, RecoveryCodesRenewForm, SecondFactorForm
from accounts.mfa import mfa_enrol_begin, mfa_enrol_confirm
from accounts.tokens import token_issue
from homes.forms import AvailabilityForm, HomeProfileForm
from homes.import_views import HomeImportForm
from homes.models import Home
from matching.forms import SurvivorSearchForm, WhatIfForm
from matching.models import MatchSearch
from matching.selectors import directory_cache
from notifications.models import Notification
from notifications.sms import LocmemBackend
from placement.forms import (
    AnswerByPhoneForm,
    BatchCrisisForm,
    BatchForm,
    BatchReviewForm,
    BatchSplitForm,
    DeclineForm,
    DischargeForm,
    DutyCompleteForm,
    EmptyForm,
    FollowUpForm,
    KeepApartForm,
    MissingForm,
    ProposeForm,
    ReferForm,
    ReturnedForm,
    ReviewForm,
    WithdrawForm,
)
from placement.models import Duty, Placement, Recommendation, Referral, Review
from placement.services.batch_reviews import batch_submit
from placement.services.batch_runs import batch_run
from placement.services.batches import batch_create
from placement.services.duties import missing_start
from placement.services.safety import keep_apart_create
from reports.forms import ReportFilterForm
from survivors.forms import HandOffForm, IntakeForm
from survivors.models import Survivor
from tests.factories import SurvivorFactory, UserFactory
from tests.placement.helpers import accepted, approved, placed, recommend, referred

pytestmark = pytest.mark.postgres

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,  # no .hypothesis/ directory in the repository
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
ANSWERS = {200, 302, 400, 403, 404}
SUBMISSIONS: Counter[str] = Counter()

# ---------------------------------------------------------------------------------------
# What to post


NUMBERS = [
    "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "-1", "0", "1", "-0", "99999999999",
    "9223372036854775808", "9" * 40, "²", "¹²", "٣", "１２", "½", "1e308", "-1e308", "1e309",
    "1e-400", "0x10", "1_000", " 7 ", "3.5", "3,5", "+5", "--5", "0" * 30 + "1",
]  # fmt: skip
NASTY = [
    "", " ", "\x00", "a\x00b", "\x00" * 5, "\r\n", "\t", "\x7f", "\x1b[31m", "\u202e",
    "\ufeff", "\u200b", "𝕳𝖆𝖗𝖇𝖔𝖗", "😀", "null", "None", "true", "false", "on", "off", "[]",
    "{}", "[1, 2]", "%00", "%", "<script>alert(1)</script>", "' OR 1=1 --", "{{ 7|add:7 }}",
    "{% debug %}", "%s%s%s", "../../etc/passwd", "\\", '"', "2999-01-01", "0000-00-00",
    "2011-02-30", "-99999-01-01", "66101", "00000", "KS, NE", "ks;;zz", ",,,",
]  # fmt: skip
HUGE = st.builds(
    operator.mul,
    st.sampled_from(["x", "é", "\x00", "😀", "9", "[", " ", ","]),
    st.sampled_from([41, 101, 501, 1_001, 20_001, 200_000]),
)
CONTROLS = st.text(st.characters(codec=None, categories=["Cc", "Cf", "Zl", "Zp", "Zs"]), max_size=8)
WILD = st.one_of(
    st.text(max_size=30),
    CONTROLS,
    st.sampled_from(NASTY + NUMBERS),
    st.integers().map(str),
    st.floats().map(repr),
    HUGE,
)
EXTRA_NAMES = st.one_of(
    st.sampled_from(["id", "pk", "status", "agency", "actor", "survivor_id", "home_id", "beds",
                     "is_staff", "role", "csrfmiddlewaretoken", "exclusion_zones",
                     "zone-3-zip_code", "zone-9-radius_miles", "homes[]", "__all__", "next"]),
    st.text(st.characters(codec="ascii", categories=["L", "N", "P"]), min_size=1, max_size=12),
)  # fmt: skip


def valid_values(field_: forms.Field) -> list[str]:
    """Values this field takes, as a browser posts them: to get past it to the service."""
    if isinstance(field_, forms.ChoiceField):
        return [str(value) for value, _ in field_.choices if value != ""] or [""]
    if isinstance(field_, forms.BooleanField):
        return ["on", "1", "true", "", "false"]
    if isinstance(field_, forms.IntegerField):
        return ["0", "1", "2", "15", "50"]
    if isinstance(field_, forms.FloatField):
        return ["0", "5", "12.5", "500"]
    if isinstance(field_, forms.DateField):
        return ["2011-05-04", "2010-01-31"]
    return []


@dataclass
class Case:
    """A form ready to fuzz: who posts it, where, and a submission that passes."""

    user: Any
    url: str
    valid: dict[str, Any]
    choices: dict[str, list[str]] = field(default_factory=dict)  # more valid values (ids)


@dataclass(frozen=True)
class FormSpec:
    form: Callable[[], forms.Form]  # the Django form the view cleans, for its field names
    setup: Callable[[Callable[[str], Any]], Case]  # from pytest's getfixturevalue
    multi: frozenset[str] = frozenset()
    also: tuple[str, ...] = ()  # fields the view reads besides the form's (login's "next")
    answers: frozenset[int] = frozenset(ANSWERS)


INTAKE = {
    "case_number": "KS-77", "first_name": "Lupe", "last_name": "Ortiz", "alias": "",
    "date_of_birth": "2011-05-04", "estimated_age": "", "gender": "female",
    "guardianship": "state",
    "custody_state": "KS", "icpc_approved_states": "mo, NE", "residence_zip": "66101",
    "urgency": "crisis", "substance_use": "none", "needs_detox": "", "dependents": "0",
    "medical_level": "none", "pregnant": "", "mental_health_acuity": "low",
    "runaway_risk": "high", "juvenile_justice_involved": "", "primary_language": "es",
    "services_needed": ["trauma_therapy", "education"], "zone-TOTAL_FORMS": "3",
    "zone-INITIAL_FORMS": "0", "zone-MIN_NUM_FORMS": "0", "zone-MAX_NUM_FORMS": "50",
    "zone-0-zip_code": "64108", "zone-0-radius_miles": "12", "zone-1-zip_code": "",
    "zone-1-radius_miles": "", "zone-2-zip_code": "", "zone-2-radius_miles": "",
    "max_distance_miles": "50", "notes": "Met at the hospital.",
    "indian_child": "unknown", "tribes": "Cherokee Nation", "trafficking_type": "sex",
    "identified_by": "KCK Police", "law_enforcement_reference": "KCKPD-26-1187",
    "foreign_national": "", "interpreter_needed": "on", "pregnancy_due_date": "",
}  # fmt: skip
WHAT_IF = {
    **{k: v for k, v in INTAKE.items() if k not in ("case_number", "first_name", "last_name",
                                                   "notes", "date_of_birth", "alias",
                                                   "estimated_age")},
    "age": "15", "include_excluded": "on",
}  # fmt: skip


def _intake(get) -> Case:
    return Case(get("alice"), "/survivors/new/", INTAKE)


def _duty_done(get) -> Case:
    """A duty of alice's child, open: its report to law enforcement."""
    duty = Duty.objects.create(
        survivor=get("survivor"),
        kind="law_enforcement_report",
        opened_at=timezone.now() - timedelta(hours=2),
        due_at=timezone.now() + timedelta(hours=22),
    )
    return Case(get("alice"), f"/duties/{duty.pk}/done/", {"reference": "R-1", "completed_at": ""})


def _missing(get) -> Case:
    placement = placed(get("alice"), get("mdt"), get("home_admin"), get("survivor"), get("home"))
    Placement.objects.filter(pk=placement.pk).update(
        started_at=placement.started_at - timedelta(days=2)
    )
    return Case(
        get("alice"),
        f"/placements/{placement.pk}/missing/",
        {"missing_since": "", "confirm": "on"},
    )


def _returned(get) -> Case:
    case = _missing(get)
    placement_id = int(case.url.split("/")[2])
    missing_start(actor=get("alice"), placement_id=placement_id)
    return Case(
        get("alice"),
        f"/placements/{placement_id}/returned/",
        {"found_at": "Greyhound station", "returned_at": ""},
    )


def _intake_edit(get) -> Case:
    survivor = get("survivor")
    valid = {**INTAKE, "case_number": survivor.case_number, "primary_language": "Spanish"}
    return Case(get("alice"), f"/survivors/{survivor.pk}/edit/", valid)


def _what_if(get) -> Case:
    get("home")
    return Case(get("alice"), "/search/", WHAT_IF)


def _survivor_search(get) -> Case:
    get("home")
    survivor = get("survivor")
    valid = {"max_distance_miles": "50", "services_needed": ["trauma_therapy"], "filters": "1"}
    return Case(get("alice"), f"/survivors/{survivor.pk}/search/", valid)


def _propose(get) -> Case:
    survivor, homes = get("survivor"), [str(get("home").pk), str(get("other_home").pk)]
    valid = {"homes": homes[:1], "rationale": "Closest trauma-informed home."}
    return Case(get("alice"), f"/survivors/{survivor.pk}/propose/", valid, {"homes": homes})


def _waitlist(get) -> Case:
    return Case(get("alice"), f"/survivors/{get('survivor').pk}/waitlist/", {})


def _hand_off(get) -> Case:
    survivor = get("survivor")
    UserFactory(username="carol", role="case_worker", agency=survivor.agency)
    valid = {"case_worker": "carol", "note": "Call her aunt at 9; she is at the shelter."}
    return Case(get("bob"), f"/survivors/{survivor.pk}/assign/", valid)


def _keep_apart(get) -> Case:
    """alice's child, and another of hers to keep apart from, by case number."""
    survivor = get("survivor")
    other = SurvivorFactory(agency=survivor.agency, team=survivor.team, case_number="KS-REC-1")
    other.assigned_workers.add(get("alice"))
    valid = {"case_number": "KS-REC-1", "reason": "She recruited her."}
    return Case(get("alice"), f"/survivors/{survivor.pk}/keep-apart/", valid)


def _keep_apart_end(get) -> Case:
    survivor = get("survivor")
    other = SurvivorFactory(agency=survivor.agency, team=survivor.team)
    other.assigned_workers.add(get("alice"))
    keep_apart_create(actor=get("alice"), survivor_id=survivor.pk, other_id=other.pk, reason="R")
    return Case(get("alice"), f"/survivors/{survivor.pk}/keep-apart/{other.pk}/end/", {})


def _review(get) -> Case:
    recommendation = recommend(get("alice"), get("survivor"), get("home"))
    url = f"/recommendations/{recommendation.pk}/review/"
    return Case(get("mdt"), url, {"decision": "approve", "comment": "Good fit."})


def _refer(get) -> Case:
    recommendation = approved(get("alice"), get("mdt"), get("survivor"), get("home"))
    url = f"/recommendations/{recommendation.pk}/refer/"
    return Case(get("alice"), url, {"crisis_override": "", "justification": ""})


def _referral(persona: str, action: str, valid: dict[str, Any]) -> Callable[..., Case]:
    def setup(get) -> Case:
        referral = referred(get("alice"), get("mdt"), get("survivor"), get("home"))
        return Case(get(persona), f"/referrals/{referral.pk}/{action}/", valid)

    return setup


ANSWER = {
    "decision": "accept",
    "answered_by": "Ada Night",
    "answered_by_phone": "(913) 555-0177",
}


def _answer_link(get) -> Case:
    """The single-use link of a referral to a home with no Harbor user: no sign-in."""
    get("settings").SMS_BACKEND = "notifications.sms.LocmemBackend"
    get("settings").ANSWER_LINK_RATE = "100000/min"  # the limit has its own test
    LocmemBackend.outbox.clear()
    Home.objects.filter(pk=get("home").pk).update(intake_phone="(913) 555-0142")
    with get("django_capture_on_commit_callbacks")(execute=True):
        referred(get("alice"), get("mdt"), get("survivor"), get("home"))
    (token,) = re.findall(r"/r/([A-Za-z0-9_-]+)/", LocmemBackend.outbox[-1]["body"])
    return Case(None, f"/r/{token}/", {**ANSWER, "reason_code": "", "comment": ""})


def _place(get) -> Case:
    referral = accepted(get("alice"), get("mdt"), get("home_admin"), get("survivor"), get("home"))
    return Case(get("alice"), f"/referrals/{referral.pk}/place/", {})


def _discharge(get) -> Case:
    placement = placed(get("alice"), get("mdt"), get("home_admin"), get("survivor"), get("home"))
    valid = {
        "end_reason": Placement.EndReason.values[0],
        "comment": "Moved to kin.",
        "confirm": "on",
    }
    return Case(get("alice"), f"/placements/{placement.pk}/discharge/", valid)


def _follow_up(get) -> Case:
    """alice's child, placed 40 days ago: the 30-day follow-up is due, the 90-day not."""
    placement = placed(get("alice"), get("mdt"), get("home_admin"), get("survivor"), get("home"))
    Placement.objects.filter(pk=placement.pk).update(
        started_at=placement.started_at - timedelta(days=40)
    )
    valid = {"day": "30", "outcome": "stable"}
    return Case(get("alice"), f"/placements/{placement.pk}/follow-ups/", valid)


def _availability(get) -> Case:
    home = get("home")
    valid = {"available_beds": "1", "staff_on_duty": "3", "confirm": ""}
    return Case(get("home_admin"), f"/homes/{home.pk}/availability/", valid)


def _batch(get, *, run: bool = True):
    """A plan for alice's child: planning, or (run) done."""
    get("home")
    batch = batch_create(actor=get("alice"), survivor_ids=[get("survivor").pk])
    if run:
        batch_run(batch_id=batch.pk)
        batch.refresh_from_db()
    return batch


def _batch_new(get) -> Case:
    survivor = get("survivor")
    valid = {
        "survivors": [str(survivor.pk)],
        f"group_{survivor.pk}": "",
        "keep_apart": "",
        "time_limit_seconds": "5",
    }
    return Case(get("alice"), "/batches/new/", valid, {"survivors": [str(survivor.pk)]})


def _batch_crisis(get) -> Case:
    url = f"/batches/{_batch(get).pk}/crisis-override/"
    return Case(get("alice"), url, {"justification": "Raid at 2 a.m."})


def _batch_waitlist(get) -> Case:
    return Case(get("alice"), f"/batches/{_batch(get).pk}/waitlist/", {})


def _batch_split(get) -> Case:
    return Case(get("alice"), f"/batches/{_batch(get).pk}/split/", {"group": "1", "reason": "R"})


def _batch_cancel(get) -> Case:
    return Case(get("alice"), f"/batches/{_batch(get, run=False).pk}/cancel/", {})


def _batch_submit(get) -> Case:
    return Case(get("alice"), f"/batches/{_batch(get).pk}/submit/", {})


def _batch_review(get) -> Case:
    batch = batch_submit(actor=get("alice"), batch=_batch(get))
    valid = {"decision": "approve", "comment": "Good plan."}
    return Case(get("mdt"), f"/batches/{batch.pk}/review/", valid)


HOME_PROFILE = {
    "name": "Lighthouse House", "zip_code": "66101", "latitude": "", "longitude": "",
    "min_age": "12", "max_age": "17", "genders_served": ["female", "nonbinary"],
    "substance_use_accepted": "none", "medical_level": "routine", "mental_health_max": "high",
    "max_dependents": "1", "accepts_parenting": "on", "accepts_pregnant": "on",
    "detox_on_site": "", "staff_secure": "", "accepts_out_of_state": "",
    "accepts_state_wards": "on", "accepts_parent_placements": "on", "intake_24_7": "on",
    "languages": "English, Spanish", "services": ["trauma_therapy", "education"],
    "intake_phone": "(913) 555-0142", "contact_name": "Maria Lopez",
}  # fmt: skip
HOME_LICENSE = {
    "home_type": "safe_home", "state": "KS", "licensed_beds": "8", "residents_per_staff": "3",
    "license_number": "KS-RCC-0042", "license_expires": "2027-03-31", "active": "on",
}  # fmt: skip


def _home_profile(persona: str) -> Callable[..., Case]:
    def setup(get) -> Case:
        home = get("home")
        get("home_admin")
        valid = HOME_PROFILE if persona == "home_admin" else {**HOME_PROFILE, **HOME_LICENSE}
        return Case(get(persona), f"/homes/{home.pk}/profile/", valid)

    return setup


def _home_profile_confirm(get) -> Case:
    return Case(get("home_admin"), f"/homes/{get('home').pk}/profile/confirm/", {})


def _home_import(get) -> Case:
    return Case(get("admin_user"), "/homes/import/", {"dry_run": "on"})


def _notification_open(get) -> Case:
    alice, survivor = get("alice"), get("survivor")
    notification = Notification.objects.create(
        recipient=alice,
        kind=Notification.Kind.REVIEW_DONE,
        message="A review is done.",
        object_type="survivors.survivor",
        object_id=str(survivor.pk),
    )
    return Case(alice, f"/notifications/{notification.pk}/open/", {})


def _notifications_read_all(get) -> Case:
    alice = get("alice")
    Notification.objects.create(recipient=alice, kind="review_done", message="A review.")
    return Case(alice, "/notifications/read-all/", {})


def _login(get) -> Case:
    get("alice")
    valid = {"username": "alice", "password": PASSWORD, "next": "/"}
    return Case(None, "/login/", valid, {"username": ["alice", "bob", "ALICE"]})


def _logout(get) -> Case:
    return Case(get("alice"), "/logout/", {"next": "/"})


def _totp_now(device) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def _enrolled_alice(get) -> tuple[Any, Any, list[str]]:
    alice = get("alice")
    device = mfa_enrol_begin(alice)
    codes = mfa_enrol_confirm(user=alice, device=device, code=_totp_now(device))
    return alice, device, codes


def _second_factor(get) -> Case:
    """With MFA_REQUIRED, a session signed in with a password alone (force_login)."""
    get("settings").MFA_REQUIRED = True
    alice, device, codes = _enrolled_alice(get)
    valid = {"code": _totp_now(device), "recovery_code": "", "next": "/"}
    return Case(alice, "/login/verify/", valid, {"recovery_code": codes[:2]})


def _enrol(get) -> Case:
    get("settings").MFA_REQUIRED = True
    return Case(get("alice"), "/login/enrol/", {"code": "123456", "next": "/"})


def _password_change(get) -> Case:
    new = "lantern-orchard-quietly"
    valid = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    return Case(get("alice"), "/account/password/", valid)


def _recovery_codes(get) -> Case:
    alice, device, _ = _enrolled_alice(get)
    return Case(alice, "/account/recovery-codes/", {"code": _totp_now(device)})


FORMS: dict[str, FormSpec] = {
    "intake": FormSpec(IntakeForm, _intake, frozenset({"services_needed"})),
    # The edit page's form is the intake's (for a record with up to two zones: three rows).
    "intake-edit": FormSpec(IntakeForm, _intake_edit, frozenset({"services_needed"})),
    "what-if-search": FormSpec(WhatIfForm, _what_if, frozenset({"services_needed"})),
    "survivor-search": FormSpec(
        SurvivorSearchForm, _survivor_search, frozenset({"services_needed"})
    ),
    # A refused proposal re-renders the search from the filters posted with it.
    "propose": FormSpec(
        ProposeForm,
        _propose,
        frozenset({"homes", "services_needed"}),
        also=("max_distance_miles", "services_needed", "filters", "include_excluded"),
    ),
    "waitlist": FormSpec(EmptyForm, _waitlist),
    # A supervisor's hand-off: 409 when the case is already the chosen worker's (alice's).
    "hand-off": FormSpec(
        lambda: HandOffForm(workers=[]), _hand_off, answers=frozenset(ANSWERS | {409})
    ),
    "keep-apart": FormSpec(KeepApartForm, _keep_apart),
    "keep-apart-end": FormSpec(EmptyForm, _keep_apart_end),
    "review": FormSpec(ReviewForm, _review),
    "refer": FormSpec(ReferForm, _refer),
    "accept": FormSpec(EmptyForm, _referral("home_admin", "accept", {})),
    "decline": FormSpec(
        DeclineForm,
        _referral(
            "home_admin", "decline", {"reason_code": Referral.ReasonCode.values[0], "comment": ""}
        ),
    ),
    "withdraw": FormSpec(
        WithdrawForm,
        _referral("alice", "withdraw", {"reason": "Withdrawn by the case worker", "confirm": "on"}),
    ),
    # A home's answer given off Harbor: recorded by the case worker, or through the link.
    "record-answer": FormSpec(AnswerByPhoneForm, _referral("alice", "record-answer", ANSWER)),
    "answer-link": FormSpec(AnswerByPhoneForm, _answer_link, answers=frozenset(ANSWERS | {429})),
    "place": FormSpec(EmptyForm, _place),
    "discharge": FormSpec(DischargeForm, _discharge),
    "follow-up": FormSpec(FollowUpForm, _follow_up),
    # The legal duties and a child missing from care (issue 26).
    "duty-done": FormSpec(DutyCompleteForm, _duty_done),
    "missing": FormSpec(MissingForm, _missing),
    "returned": FormSpec(ReturnedForm, _returned),
    "availability": FormSpec(AvailabilityForm, _availability),
    # Mass recovery: place a group (its per-child group boxes are posted as extra fields),
    # cancel a plan, send it to the MDT, and the MDT's one review of it.
    "batch-new": FormSpec(BatchForm, _batch_new, frozenset({"survivors"})),
    "batch-cancel": FormSpec(EmptyForm, _batch_cancel),
    # A group at night: refer all now, waitlist the unplaced, place siblings apart.
    "batch-crisis": FormSpec(BatchCrisisForm, _batch_crisis),
    "batch-waitlist": FormSpec(EmptyForm, _batch_waitlist),
    "batch-split": FormSpec(BatchSplitForm, _batch_split),
    "batch-submit": FormSpec(EmptyForm, _batch_submit),
    "batch-review": FormSpec(BatchReviewForm, _batch_review),
    # As a home admin (the licensed fields are not in the form: posted, they are ignored)
    # and as a Harbor admin (every field).
    "home-profile": FormSpec(
        lambda: HomeProfileForm(user=None),
        _home_profile("home_admin"),
        frozenset({"genders_served", "services"}),
    ),
    "home-profile-admin": FormSpec(
        lambda: HomeProfileForm(user=None),
        _home_profile("admin_user"),
        frozenset({"genders_served", "services"}),
    ),
    "home-profile-confirm": FormSpec(EmptyForm, _home_profile_confirm),
    # The file itself is fuzzed in tests/homes/test_import.py (bad files); here the fields.
    "home-import": FormSpec(HomeImportForm, _home_import),
    "notification-open": FormSpec(EmptyForm, _notification_open),
    "notifications-read-all": FormSpec(EmptyForm, _notifications_read_all),
    # django-axes answers 429 to an account locked after five failed sign-ins.
    "login": FormSpec(
        AuthenticationForm, _login, also=("next",), answers=frozenset(ANSWERS | {429})
    ),
    "logout": FormSpec(EmptyForm, _logout, also=("next",)),
    # The sign-in steps are limited per client address (accounts.throttling): 429.
    "login-verify": FormSpec(
        SecondFactorForm, _second_factor, also=("next",), answers=frozenset(ANSWERS | {429})
    ),
    "login-enrol": FormSpec(EnrolForm, _enrol, also=("next",), answers=frozenset(ANSWERS | {429})),
    "password-change": FormSpec(lambda: PasswordChangeForm(user=None), _password_change),
    "recovery-codes": FormSpec(RecoveryCodesRenewForm, _recovery_codes),
}


def posted_fields(form: forms.Form) -> dict[str, forms.Field]:
    """Every field the page posts with this form, by the name it posts: the form's, and
    for a form with exclusion zones (`zones`, a formset) each row's and the formset's
    management form (its counts)."""
    fields = dict(form.fields)
    zones = getattr(form, "zones", None)
    if zones is not None:
        for part in [*zones.forms, zones.management_form]:
            fields.update({part.add_prefix(name): field for name, field in part.fields.items()})
    return fields


def field_strategies(spec: FormSpec, case: Case) -> dict[str, st.SearchStrategy]:
    """Per field: a valid value or a wild one; a list of them for a multi-value field."""
    fields = posted_fields(spec.form())
    strategies: dict[str, st.SearchStrategy] = {}
    for name in [*fields, *spec.also]:
        known = valid_values(fields[name]) if name in fields else []
        known += case.choices.get(name, [])
        if name in case.valid:
            given_value = case.valid[name]
            known += given_value if isinstance(given_value, list) else [given_value]
        one = st.one_of(st.sampled_from(known), WILD) if known else WILD
        strategies[name] = st.lists(one, max_size=5) if name in spec.multi else one
    return strategies


@st.composite
def submissions(draw, spec: FormSpec, case: Case) -> tuple[dict[str, Any], str, bool]:
    """Form data (wild, or valid with a few fields changed or left out), an encoding,
    and whether htmx sent it."""
    strategies = field_strategies(spec, case)
    if draw(st.booleans()):
        data = draw(st.fixed_dictionaries({}, optional=strategies))
    else:
        data = dict(case.valid)
        names = sorted(strategies)
        changed = draw(st.lists(st.sampled_from(names), max_size=3, unique=True)) if names else []
        for name in changed:
            if draw(st.booleans()):
                data.pop(name, None)
            else:
                data[name] = draw(strategies[name])
    for name, value in draw(st.dictionaries(EXTRA_NAMES, WILD | st.lists(WILD, max_size=3),
                                            max_size=3)).items():  # fmt: skip
        data.setdefault(name, value)
    return data, draw(st.sampled_from(["urlencoded", "multipart"])), draw(st.booleans())


def post(client: Client, url: str, data: dict[str, Any], encoding: str, **extra: Any):
    if encoding == "multipart":
        return client.post(url, data, **extra)
    pairs = [
        (name, item)
        for name, value in data.items()
        for item in (value if isinstance(value, list) else [value])
    ]
    body = urlencode(pairs)
    return client.post(url, body, content_type="application/x-www-form-urlencoded", **extra)


# ---------------------------------------------------------------------------------------
# The fuzz


@pytest.fixture(scope="session")
def submission_count(request):
    """Counts the fuzzed submissions and prints the total when the session ends."""
    yield SUBMISSIONS
    if SUBMISSIONS:
        per_form = ", ".join(f"{name} {n}" for name, n in sorted(SUBMISSIONS.items()))
        # Teardown output is captured; print past the capture, as capsys.disabled() does.
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print(
                f"\nform fuzz: {sum(SUBMISSIONS.values())} submissions over "
                f"{len(SUBMISSIONS)} forms ({per_form})",
                flush=True,
            )


@pytest.fixture
def case(form_name, request, db) -> Case:
    """The records the form acts on, in the state it is for, and who posts it."""
    return FORMS[form_name].setup(request.getfixturevalue)


@pytest.mark.parametrize("form_name", sorted(FORMS))
@FUZZ
@given(draw=st.data())
def test_it_never_answers_500_to_a_fuzzed_form(form_name, case, submission_count, draw):
    """No form data, however strange, makes a form's POST fail with a server error."""
    spec = FORMS[form_name]
    data, encoding, htmx = draw.draw(submissions(spec, case), label="submission")
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    directory_cache.reset()
    with transaction.atomic():
        client = Client()
        if case.user is not None:
            client.force_login(case.user)
        submission_count[form_name] += 1
        response = post(client, case.url, data, encoding, **extra)
        transaction.set_rollback(True)
    directory_cache.reset()
    assert response.status_code in spec.answers, (form_name, response.status_code)


# The report filters are a GET form (a page, not a change): fuzzed through the query string,
# with the same strategies, on a report and on its CSV download.
REPORT_FILTER = FormSpec(
    ReportFilterForm,
    lambda get: Case(get("bob"), "", {"from": "2026-01-15", "to": "2026-06-30", "state": "KS"}),
)


@pytest.mark.parametrize(
    "path", ["/reports/unmet-need/", "/reports/time-to-placement/download.csv"]
)
@FUZZ
@given(draw=st.data())
def test_it_never_answers_500_to_fuzzed_report_filters(path, bob, submission_count, draw):
    """No query string, however strange, makes a report page or its CSV fail."""
    case = REPORT_FILTER.setup(lambda name: bob)
    data, _, _ = draw.draw(submissions(REPORT_FILTER, case), label="query")
    client = Client()
    client.force_login(bob)
    submission_count["report-filters"] += 1
    response = client.get(path, data)
    assert response.status_code in (200, 400), response.status_code


def test_it_fuzzes_every_field_of_the_intake(alice):
    """The intake's fuzz covers every field the page posts, the zone rows and their
    management form included."""
    assert set(posted_fields(IntakeForm())) == {
        "case_number", "first_name", "last_name", "alias", "date_of_birth", "estimated_age",
        "gender", "guardianship",
        "custody_state", "icpc_approved_states", "residence_zip", "urgency", "substance_use",
        "needs_detox", "dependents", "medical_level", "pregnant", "mental_health_acuity",
        "runaway_risk", "juvenile_justice_involved", "primary_language", "services_needed",
        "zone-TOTAL_FORMS", "zone-INITIAL_FORMS", "zone-MIN_NUM_FORMS", "zone-MAX_NUM_FORMS",
        "zone-0-zip_code", "zone-1-zip_code", "zone-2-zip_code", "zone-0-radius_miles",
        "zone-1-radius_miles", "zone-2-radius_miles", "max_distance_miles", "notes",
        "indian_child", "tribes", "trafficking_type", "identified_by",
        "law_enforcement_reference", "foreign_national", "interpreter_needed",
        "pregnancy_due_date",
    }  # fmt: skip
    assert set(INTAKE) == set(posted_fields(IntakeForm()))
    page = signed_in(alice).get("/survivors/new/").content.decode()
    assert set(re.findall(r'name="([^"]+)"', page)) - {"csrfmiddlewaretoken"} >= set(INTAKE)


# ---------------------------------------------------------------------------------------
# Inputs that used to give a 500


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shown(response) -> str:
    """The page the user ends on, HTML-unescaped enough to read the messages."""
    return response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"available_beds": "²"}, "Available beds: Enter a whole number."),
        (
            {"staff_on_duty": "99999999999"},
            "Staff on duty: Ensure this value is less than or equal to 2147483647.",
        ),
    ],
)
def test_it_refuses_impossible_availability_with_a_message(home, home_admin, data, message):
    """A superscript bed count or an 11-digit staff count is a message; nothing saved."""
    before = Home.objects.values("available_beds", "staff_on_duty").get(pk=home.pk)

    response = signed_in(home_admin).post(f"/homes/{home.pk}/availability/", data, follow=True)

    assert response.redirect_chain == [(f"/homes/{home.pk}/manage/", 302)]
    assert response.status_code == 200
    assert message in shown(response)
    assert Home.objects.values("available_beds", "staff_on_duty").get(pk=home.pk) == before


def test_it_refuses_a_superscript_distance_on_the_survivor_search(survivor, alice, home):
    """max_distance_miles=² re-renders the search with the field's error; no search run."""
    response = signed_in(alice).post(
        f"/survivors/{survivor.pk}/search/", {"max_distance_miles": "²", "filters": "1"}
    )

    assert response.status_code in (200, 400)
    page = shown(response)
    assert "Give a whole number of miles, at least 1." in page
    assert 'id="id_max_distance_miles"' in page and 'aria-invalid="true"' in page
    assert not MatchSearch.objects.exists()


def test_it_refuses_a_superscript_home_id_on_propose(survivor, alice, home):
    """homes=² re-renders the search (400) with the homes' error; nothing proposed."""
    status = Survivor.objects.get(pk=survivor.pk).status
    response = signed_in(alice).post(
        f"/survivors/{survivor.pk}/propose/",
        {"homes": "²", "rationale": "Closest trauma-informed home."},
    )

    assert response.status_code == 400
    assert "Each home must be a home id from the results." in shown(response)
    assert not Recommendation.objects.exists()
    assert Survivor.objects.get(pk=survivor.pk).status == status


def test_it_refuses_a_home_id_too_long_to_read_on_propose(survivor, alice, home):
    """A 5,000-digit home id is the homes' error, not a 500; nothing proposed.

    Found by the fuzz: int() refuses strings over 4,300 digits with a ValueError, which
    placement.forms._HomeIds.to_python does not catch.
    """
    response = signed_in(alice).post(
        f"/survivors/{survivor.pk}/propose/",
        {"homes": "9" * 5000, "rationale": "Closest trauma-informed home."},
    )

    assert response.status_code == 400
    assert "Each home must be a home id from the results." in shown(response)
    assert not Recommendation.objects.exists()


NUL = "Null characters are not allowed."


def test_it_refuses_a_nul_in_the_intake_case_number(alice):
    """A NUL in the case number is the field's error on the re-rendered intake."""
    response = signed_in(alice).post("/survivors/new/", {**INTAKE, "case_number": "KS-\x0077"})

    assert response.status_code == 400
    assert NUL in shown(response)
    assert not Survivor.objects.exists()


def test_it_refuses_a_nul_in_a_review_comment(alice, mdt, survivor, home):
    """A NUL in the MDT's comment is a message naming the comment; no review recorded."""
    recommendation = recommend(alice, survivor, home)

    response = signed_in(mdt).post(
        f"/recommendations/{recommendation.pk}/review/",
        {"decision": "reject", "comment": "Too far\x00away."},
        follow=True,
    )

    assert response.redirect_chain == [(f"/recommendations/{recommendation.pk}/", 302)]
    assert f"Comment: {NUL}" in shown(response)
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.PENDING_REVIEW
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    ("persona", "action", "data", "label"),
    [
        ("home_admin", "decline", {"reason_code": "", "comment": "No\x00bed."}, "Comment"),
        ("alice", "withdraw", {"reason": "Changed\x00plan.", "confirm": "on"}, "Reason"),
    ],
)
def test_it_refuses_a_nul_when_closing_a_referral(
    request, alice, mdt, survivor, home, persona, action, data, label
):
    """A NUL in a decline comment or a withdraw reason is a message; the referral waits."""
    referral = referred(alice, mdt, survivor, home)
    data = {**data, "reason_code": data.get("reason_code") or Referral.ReasonCode.values[0]}
    user = request.getfixturevalue(persona)
    survivor_status = Survivor.objects.get(pk=survivor.pk).status

    response = signed_in(user).post(f"/referrals/{referral.pk}/{action}/", data, follow=True)

    assert response.redirect_chain == [(f"/referrals/{referral.pk}/", 302)]
    assert f"{label}: {NUL}" in shown(response)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.PENDING
    assert Survivor.objects.get(pk=survivor.pk).status == survivor_status


def test_it_refuses_a_nul_in_a_discharge_comment(alice, mdt, home_admin, survivor, home):
    """A NUL in the discharge comment is a message; the child stays placed."""
    placement = placed(alice, mdt, home_admin, survivor, home)
    beds = Home.objects.get(pk=home.pk).available_beds
    survivor_status = Survivor.objects.get(pk=survivor.pk).status

    response = signed_in(alice).post(
        f"/placements/{placement.pk}/discharge/",
        {"end_reason": Placement.EndReason.values[0], "comment": "Left\x00today.", "confirm": "on"},
        follow=True,
    )

    assert response.redirect_chain == [(f"/survivors/{survivor.pk}/", 302)]
    assert f"Comment: {NUL}" in shown(response)
    placement.refresh_from_db()
    assert placement.ended_at is None
    assert Survivor.objects.get(pk=survivor.pk).status == survivor_status
    assert Home.objects.get(pk=home.pk).available_beds == beds


def test_it_refuses_a_nan_exclusion_radius_on_intake(alice):
    """zone-0-radius_miles=nan is the zone's error on the re-rendered intake; nobody
    recorded."""
    response = signed_in(alice).post(
        "/survivors/new/", {**INTAKE, "zone-0-zip_code": "66101", "zone-0-radius_miles": "nan"}
    )

    assert response.status_code == 400
    assert "Zone 1: Give a number of miles." in shown(response)
    assert not Survivor.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/match/", "/api/v1/survivors/"])
def test_it_answers_400_to_deeply_nested_json(alice, path):
    """`"[" * 50000` as JSON is a malformed body (400), not a RecursionError."""
    token, _ = token_issue(user=alice)
    response = Client().post(
        path, "[" * 50000, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
    )

    assert response.status_code == 400
    assert "nested too deeply" in " ".join(response.json()["non_field_errors"])
    assert not Survivor.objects.exists()


@pytest.mark.parametrize(
    ("name", "size", "limit"), [("first_name", 200_000, 100), ("notes", 2_000_000, 20_000)]
)
def test_it_refuses_oversized_intake_text_like_the_api(alice, name, size, limit):
    """A 200,000-character first name or 2 MB of notes is that field's error on the page."""
    response = signed_in(alice).post("/survivors/new/", {**INTAKE, name: "x" * size})

    assert response.status_code == 400
    message = f"Ensure this value has at most {limit} characters (it has {size})."
    assert message in shown(response)
    assert not Survivor.objects.exists()


def test_it_lets_only_case_workers_record_an_intake(bob):
    """A supervisor gets 403 on the intake page, as from the API; nothing is recorded."""
    client = signed_in(bob)
    token, _ = token_issue(user=bob)

    assert client.get("/survivors/new/").status_code == 403
    assert client.post("/survivors/new/", INTAKE).status_code == 403
    api = Client().post(
        "/api/v1/survivors/",
        {k: v for k, v in INTAKE.items() if not k.startswith("zone-")},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert api.status_code == 403
    assert not Survivor.objects.exists()


def test_it_refuses_an_overlong_username_at_sign_in(alice):
    """A 256-character username is a failed sign-in on the page, not a 500.

    Found by the fuzz: AuthenticationForm sets the username's max_length without a
    validator, so django-axes stores the failure in its 255-character column (DataError).
    """
    client = Client()

    response = client.post("/login/", {"username": "x" * 256, "password": "wrong"})

    assert response.status_code in (200, 400)
    assert "Sign in to Harbor" in shown(response)
    assert "_auth_user_id" not in client.session
