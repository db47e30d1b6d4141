"""One door: every workflow action, for every persona, through the page and through the API.

A page form and its API route call the same service through `placement.policy.attempt`,
so a user must meet the same answer whichever they use:

| API                | page                                        |
| ------------------ | ------------------------------------------- |
| 200 / 201          | redirect with a success message             |
| 400 / 409          | redirect with an error message              |
| 403                | 403                                         |
| 404                | 404                                         |
| 401 (anonymous)    | redirect to the sign-in page                |

A refusal (403 or 404) writes exactly one "denied" audit row in either door; an allowed
request writes none. The records after the page request equal the records after the API
request. Each door starts from the same world: the page request runs in a savepoint that
is rolled back before the API request (the personas' usernames are fixed, so one test
holds one world; the rollback gives each door a fresh copy of it).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry, Outcome
from homes.models import Home
from matching.selectors import directory_cache
from notifications.models import Notification
from placement.models import Placement, Recommendation, Referral, Review, WaitlistEntry
from survivors.models import StatusChange, Survivor
from tests.api.permission_matrix import ROLES
from tests.placement.world import BODIES


@dataclass(frozen=True)
class Action:
    page: str  # the page form's URL name
    kwarg: str  # its URL argument
    api: str  # the API path, with {id}
    target: str  # the world object the action is meant for
    form: Callable[[Any], dict]  # the page form's fields
    body: Callable[[Any], dict | None]  # the API body


ACTIONS = {
    "propose": Action(
        "survivor-propose",
        "survivor_id",
        "/api/v1/survivors/{id}/recommendations/",
        "survivor",
        lambda w: {
            "homes": str(w.objects["home"].pk),
            "rationale": BODIES["recommendation_new"](w, None)["rationale"],
        },
        lambda w: BODIES["recommendation_new"](w, None),
    ),
    "review": Action(
        "recommendation-review",
        "recommendation_id",
        "/api/v1/recommendations/{id}/reviews/",
        "recommendation",
        lambda w: BODIES["review"](w, None),
        lambda w: BODIES["review"](w, None),
    ),
    "refer": Action(
        "recommendation-refer-form",
        "recommendation_id",
        "/api/v1/recommendations/{id}/refer/",
        "approved_recommendation",
        lambda w: {"justification": ""},  # an unticked crisis_override box posts nothing
        lambda w: BODIES["refer"](w, None),
    ),
    "accept": Action(
        "referral-accept-form",
        "referral_id",
        "/api/v1/referrals/{id}/accept/",
        "referral",
        lambda w: {},
        lambda w: None,
    ),
    "decline": Action(
        "referral-decline-form",
        "referral_id",
        "/api/v1/referrals/{id}/decline/",
        "referral",
        lambda w: BODIES["decline"](w, None),
        lambda w: BODIES["decline"](w, None),
    ),
    "withdraw": Action(
        "referral-withdraw-form",
        "referral_id",
        "/api/v1/referrals/{id}/withdraw/",
        "referral",
        lambda w: {**BODIES["withdraw"](w, None), "confirm": "on"},  # the page's tick box
        lambda w: BODIES["withdraw"](w, None),
    ),
    "record_answer": Action(
        "referral-record-answer-form",
        "referral_id",
        "/api/v1/referrals/{id}/record-answer/",
        "referral",
        lambda w: BODIES["record_answer"](w, None),
        lambda w: BODIES["record_answer"](w, None),
    ),
    "place": Action(
        "referral-place-form",
        "referral_id",
        "/api/v1/referrals/{id}/place/",
        "held_referral",
        lambda w: {},
        lambda w: None,
    ),
    "discharge": Action(
        "placement-discharge-form",
        "placement_id",
        "/api/v1/placements/{id}/discharge/",
        "placement",
        lambda w: {**BODIES["discharge"](w, None), "confirm": "on"},  # the page's tick box
        lambda w: BODIES["discharge"](w, None),
    ),
    "waitlist": Action(
        "survivor-waitlist-form",
        "survivor_id",
        "/api/v1/survivors/{id}/waitlist/",
        "survivor",  # referred, and a home fits: a state conflict for the case side
        lambda w: {},
        lambda w: None,
    ),
}

CELLS = [
    pytest.param(action, role, id=f"{action} as {role}") for action in ACTIONS for role in ROLES
]

# What the page must answer for each API status.
PAGE_FOR_API = {
    200: "success message",
    201: "success message",
    400: "error message",
    409: "error message",
    403: "403",
    404: "404",
    401: "sign-in redirect",
}
REFUSED = {403, 404}


def _denied() -> int:
    return AuditEntry.objects.filter(outcome=Outcome.DENIED).count()


def _page_answer(response) -> str:
    """What the user notices on the page."""
    if response.status_code in (403, 404):
        return str(response.status_code)
    if response.status_code == 400 and b'role="alert"' in response.content:
        return "error message"  # the form shown again, the error beside its field
    if response.status_code != 302:
        return f"{response.status_code} (no redirect)"
    if response["Location"].startswith(reverse(settings.LOGIN_URL)):
        return "sign-in redirect"
    levels = {m.level for m in messages.get_messages(response.wsgi_request)}
    if messages.ERROR in levels:
        return "error message" if messages.SUCCESS not in levels else "success and error"
    if messages.SUCCESS in levels:
        return "success message"
    return "redirect without a message"


def _ordered(rows) -> list:
    """Sorted by repr: None sits among the values."""
    return sorted(rows, key=repr)


def _state(world) -> dict[str, list]:
    """Every record the workflow touches, named by the world (new records: "new")."""
    names = {(type(obj), obj.pk): name for name, obj in world.objects.items()}
    roles = {user.pk: role for role, user in world.users.items() if user is not None}

    def name(model, pk):
        return None if pk is None else names.get((model, pk), "new")

    def by_values(model, *fields):
        return [tuple(row) for row in model.objects.values_list(*fields)]

    return {
        "survivors": _ordered(
            (name(Survivor, pk), status) for pk, status in by_values(Survivor, "pk", "status")
        ),
        "homes": _ordered(
            (name(Home, pk), *beds)
            for pk, *beds in by_values(Home, "pk", "available_beds", "beds_held")
        ),
        "recommendations": _ordered(
            (name(Recommendation, pk), name(Survivor, s), name(Home, h), status, crisis)
            for pk, s, h, status, crisis in by_values(
                Recommendation, "pk", "survivor_id", "home_id", "status", "crisis_override"
            )
        ),
        "reviews": _ordered(
            (name(Recommendation, r), roles.get(u), decision, comment)
            for r, u, decision, comment in by_values(
                Review, "recommendation_id", "reviewer_id", "decision", "comment"
            )
        ),
        "referrals": _ordered(
            (name(Referral, pk), name(Survivor, s), name(Home, h), status, code)
            + (roles.get(closed), reason)
            for pk, s, h, status, code, closed, reason in by_values(
                Referral,
                "pk",
                "survivor_id",
                "home_id",
                "status",
                "reason_code",
                "closed_by_id",
                "close_reason",
            )
        ),
        "placements": _ordered(
            (name(Placement, pk), name(Survivor, s), name(Home, h), ended is None, reason)
            for pk, s, h, ended, reason in by_values(
                Placement, "pk", "survivor_id", "home_id", "ended_at", "end_reason"
            )
        ),
        "waitlist": _ordered(
            (name(Survivor, s), ended is None)
            for s, ended in by_values(WaitlistEntry, "survivor_id", "ended_at")
        ),
        "status_changes": _ordered(
            (name(Survivor, s), roles.get(u), before, after)
            for s, u, before, after in by_values(
                StatusChange, "survivor_id", "by_id", "before", "after"
            )
        ),
        "notifications": _ordered(
            (roles.get(u, "?"), kind) for u, kind in by_values(Notification, "recipient_id", "kind")
        ),
        # What was done or refused (reads differ by design: the API answers with the
        # record, the page redirects; so they are left out, and so is the page client's
        # sign-in, where the API client comes with a token).
        "audit": _ordered(
            (roles.get(u), action, outcome, kind)
            for u, action, outcome, kind in by_values(
                AuditEntry, "actor_id", "action", "outcome", "object_type"
            )
            if not action.endswith(".read") and action != "auth.login"
        ),
    }


def _in_a_fresh_world(world, request: Callable[[], Any]) -> tuple[Any, int, dict, dict]:
    """Run one request on the world as the fixture built it, then undo everything.

    Returns (response, denied audit rows it wrote, state before, state after)."""
    directory_cache.reset()
    cache.clear()
    with transaction.atomic():
        before = _state(world)
        denied = _denied()
        response = request()
        denied = _denied() - denied
        after = _state(world)
        transaction.set_rollback(True)
    directory_cache.reset()
    cache.clear()
    return response, denied, before, after


def _page_client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _through_both_doors(world, client_for, action_name, role, target, form, body) -> int:
    """Post the same request by the page and by the API, each on a fresh copy of the world,
    and check the user meets the same answer, audit rows and records either way."""
    action = ACTIONS[action_name]
    user = world.users[role]
    pk = world.objects[target].pk
    page_url = reverse(action.page, kwargs={action.kwarg: pk})
    api_path = action.api.format(id=pk)

    page, page_denied, page_before, page_after = _in_a_fresh_world(
        world, lambda: _page_client(user).post(page_url, form)
    )
    api, api_denied, api_before, api_after = _in_a_fresh_world(
        world, lambda: client_for(user).post(api_path, body, format="json")
    )

    seen = (
        f"{action_name} {target} as {role}: page {page.status_code} -> {_page_answer(page)!r} "
        f"({page_denied} denied audit rows); API {api.status_code} ({api_denied} denied "
        f"audit rows) {api.content[:300]!r}"
    )
    assert page_before == api_before, "the rollback did not give the API a fresh world"
    assert api.status_code in PAGE_FOR_API, seen
    assert _page_answer(page) == PAGE_FOR_API[api.status_code], seen
    expected_denied = 1 if api.status_code in REFUSED else 0
    assert (page_denied, api_denied) == (expected_denied, expected_denied), seen
    assert page_after == api_after, seen
    if api.status_code >= 300:
        records = [key for key in api_after if key != "audit"]
        changed = [key for key in records if api_after[key] != api_before[key]]
        assert not changed, f"a refused or failed request changed {changed}: {seen}"
    return api.status_code


@pytest.mark.parametrize("action_name,role", CELLS)
def test_it_gives_the_same_answer_on_the_page_and_in_the_api(world, client_for, action_name, role):
    """A user gets the same yes, no or conflict whether they click the form or call the API."""
    action = ACTIONS[action_name]
    _through_both_doors(
        world,
        client_for,
        action_name,
        role,
        action.target,
        action.form(world),
        action.body(world),
    )


# Requests the state or the input does not allow, by a role that may act on the record:
# (action, target, role, page form changes, API body changes, the API's status).
LONG = "x" * 301  # longer than a withdrawal reason may be
MISFITS = {
    "propose a home already waiting for review": (
        "propose", "survivor", "case_worker_own",
        {"homes": "{other_home}"}, {"home": "{other_home}"}, 409,
    ),
    "propose a home id that is not a number": (
        "propose", "survivor", "supervisor_own", {"homes": "abc"}, {"home": "abc"}, 400,
    ),
    "propose without a rationale": (
        "propose", "survivor", "case_worker_own", {"rationale": ""}, {"rationale": ""}, 400,
    ),
    "review an approved recommendation": (
        "review", "approved_recommendation", "mdt_own", {}, {}, 409,
    ),
    "review with an unknown decision": (
        "review", "recommendation", "mdt_own", {"decision": "maybe"}, {"decision": "maybe"}, 400,
    ),
    "refer before the MDT approved": (
        "refer", "recommendation", "case_worker_own", {}, {}, 409,
    ),
    "refer in a crisis without a justification": (
        "refer", "recommendation", "supervisor_own",
        {"crisis_override": "on"}, {"crisis_override": True}, 400,
    ),
    "accept a referral already accepted": (
        "accept", "held_referral", "home_admin_other", {}, {}, 409,
    ),
    "decline a referral already placed": (
        "decline", "placed_referral", "home_admin_own", {}, {}, 409,
    ),
    "decline with an unknown reason code": (
        "decline", "referral", "admin", {"reason_code": "bogus"}, {"reason_code": "bogus"}, 400,
    ),
    "withdraw a referral already placed": (
        "withdraw", "placed_referral", "supervisor_own", {}, {}, 409,
    ),
    "withdraw with too long a reason": (
        "withdraw", "referral", "case_worker_own", {"reason": LONG}, {"reason": LONG}, 400,
    ),
    "place a referral not yet accepted": (
        "place", "referral", "case_worker_own", {}, {}, 409,
    ),
    "discharge with an unknown end reason": (
        "discharge", "placement", "supervisor_own",
        {"end_reason": "bogus"}, {"end_reason": "bogus"}, 400,
    ),
}  # fmt: skip


def _fill(changes: dict, world) -> dict:
    return {
        key: value.format(**{n: o.pk for n, o in world.objects.items()})
        if isinstance(value, str)
        else value
        for key, value in changes.items()
    }


@pytest.mark.parametrize("case", list(MISFITS))
def test_it_refuses_a_wrong_state_or_bad_input_the_same_on_the_page_and_in_the_api(
    world, client_for, case
):
    """A conflict or a typo shows as an error message on the page where the API says 409/400."""
    action_name, target, role, form_changes, body_changes, status = MISFITS[case]
    action = ACTIONS[action_name]
    form = {**action.form(world), **_fill(form_changes, world)}
    body = {**(action.body(world) or {}), **_fill(body_changes, world)}

    answered = _through_both_doors(world, client_for, action_name, role, target, form, body)

    assert answered == status, f"{case}: the API answered {answered}, not {status}"


# --- MDT need to know ---------------------------------------------------------------------

FIRST, LAST = "Zephyrine", "Quillfeatherby"
NOTE = "Ravensworth"  # a name in the case notes, which are need-to-know for the case side too
BIRTH = datetime.date(2010, 3, 14)
BIRTH_SPELLINGS = (
    "2010-03-14",
    "03/14/2010",
    "3/14/2010",
    "14/03/2010",
    "14.03.2010",
    "March 14, 2010",
    "Mar. 14, 2010",
    "Mar 14, 2010",
    "14 March 2010",
    "14 Mar 2010",
)


def _leaks(text: str) -> list[str]:
    lowered = text.lower()
    found = [word for word in (FIRST, LAST, NOTE) if word.lower() in lowered]
    return found + [spelling for spelling in BIRTH_SPELLINGS if spelling.lower() in lowered]


def test_it_never_shows_an_mdt_member_who_the_child_is(world, client_for):
    """An MDT member sees the case number, age and needs, never name, birth date or notes."""
    survivor = Survivor.objects.get(pk=world.objects["survivor"].pk)
    survivor.first_name, survivor.last_name, survivor.date_of_birth = FIRST, LAST, BIRTH
    survivor.notes = f"Seen at the depot with a man called {NOTE}."
    survivor.save(update_fields=["first_name", "last_name", "date_of_birth", "notes"])
    recommendation = world.objects["recommendation"].pk
    referral = world.objects["referral"].pk
    pages = [
        f"/survivors/{survivor.pk}/",
        f"/referrals/{referral}/",
        f"/recommendations/{recommendation}/",
        f"/recommendations/{recommendation}/?print=1",
    ]
    apis = [
        f"/api/v1/survivors/{survivor.pk}/",
        f"/api/v1/referrals/{referral}/",
        f"/api/v1/recommendations/{recommendation}/",
    ]

    shown = {}
    for role in ("mdt_own", "case_worker_own"):
        page_client, api_client = _page_client(world.users[role]), client_for(world.users[role])
        for url in pages:
            response = page_client.get(url)
            assert response.status_code == 200, (role, url)
            shown[role, url] = _leaks(response.content.decode())
        for url in apis:
            response = api_client.get(url)
            assert response.status_code == 200, (role, url)
            shown[role, url] = _leaks(json.dumps(response.json()))

    leaked = {url: found for (role, url), found in shown.items() if role == "mdt_own" and found}
    assert leaked == {}, f"identity shown to an MDT member: {leaked}"
    # The names are distinctive and findable: the child's case worker sees them.
    assert FIRST in shown["case_worker_own", f"/survivors/{survivor.pk}/"]
    assert FIRST in shown["case_worker_own", f"/api/v1/survivors/{survivor.pk}/"]
