"""The placement services' refusals in the reader's language (issue 28): the API's
Accept-Language, a page's user profile; codes and keys stay the same."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from homes.models import Home
from homes.services import home_admin_grant
from placement.models import Batch, FollowUp, Placement
from placement.services.batch_night import batch_crisis_override
from placement.services.batches import batch_create
from placement.services.outcomes import follow_up_record
from tests.factories import HomeFactory, SurvivorFactory, UserFactory
from tests.placement.helpers import placed
from tests.placement.test_batch_night import planned
from tests.placement.test_batches import child
from tests.placement.test_outcomes import arrived_days_ago, outcomes_url

pytestmark = pytest.mark.postgres


@pytest.fixture
def placement(alice, mdt, home_admin, survivor, home) -> Placement:
    return placed(alice, mdt, home_admin, survivor, home)


def test_a_batch_naming_a_child_twice_is_refused_in_spanish(alice, api):
    first, second = child(alice, case_number="ES-1"), child(alice, case_number="ES-2")
    body = {"survivors": [first.pk, second.pk], "keep_apart": [[first.pk, first.pk]]}

    spanish = api(alice).post("/api/v1/batches/", body, format="json", HTTP_ACCEPT_LANGUAGE="es")
    english = api(alice).post("/api/v1/batches/", body, format="json")

    assert spanish.status_code == english.status_code == 400
    assert spanish.json() == {
        "keep_apart": ["Par 1: un menor no puede mantenerse separado de sí mismo."]
    }
    assert english.json() == {"keep_apart": ["Pair 1: a child cannot be kept apart from themself."]}
    assert not Batch.objects.exists()


def test_a_pin_to_a_home_that_does_not_exist_names_the_case_in_spanish(alice, api):
    survivor = child(alice, case_number="ES-7")
    body = {"survivors": [survivor.pk], "pins": {str(survivor.pk): 987654}}

    response = api(alice).post(
        "/api/v1/batches/", body, format="json", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9"
    )

    assert response.status_code == 400
    assert response.json()["pins"] == ["Caso ES-7: no existe el hogar 987654."]


def test_waitlisting_a_child_a_home_fits_is_refused_in_spanish(alice, survivor, home, api):
    response = api(alice).post(
        f"/api/v1/survivors/{survivor.pk}/waitlist/", HTTP_ACCEPT_LANGUAGE="es"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "homes_available"  # the code is not translated
    assert response.json()["detail"] == (
        "1 hogar es adecuado para este menor ahora: propóngalo en lugar de ponerlo en lista "
        "de espera."
    )


def test_a_follow_up_before_its_day_is_refused_in_spanish_by_the_api(api, placement, alice):
    arrived_days_ago(placement, 29)

    response = api(alice).post(
        outcomes_url(placement),
        {"day": 30, "outcome": "stable"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="es",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "follow_up_not_due"
    assert response.json()["detail"].startswith("El seguimiento de 30 días no vence hasta ")
    assert not FollowUp.objects.exists()


def test_a_spanish_speaking_worker_reads_the_refusal_on_the_page(placement, alice):
    alice.language = "es"
    alice.save(update_fields=["language"])
    client = Client()
    client.force_login(alice)

    response = client.post(
        f"/placements/{placement.pk}/follow-ups/", {"day": "30", "outcome": "stable"}, follow=True
    )

    page = response.content.decode()
    assert "El seguimiento de 30 días no vence hasta" in page
    assert "not due until" not in page
    assert not FollowUp.objects.exists()


def test_the_service_itself_says_what_to_give_in_spanish(placement, alice):
    """A command or page calling the service directly (the serializer is not in the way)."""
    arrived_days_ago(placement, 31)

    with translation.override("es"), pytest.raises(ValidationError) as refused:
        follow_up_record(actor=alice, placement_id=placement.pk, day=45, outcome="fine")

    assert refused.value.message_dict["day"] == ["Indique uno de: 30, 90."]
    assert refused.value.message_dict["outcome"][0].startswith("Indique uno de: stable, ")


@pytest.fixture
def children(alice, team):
    made = []
    for number in ("ES-N-1", "ES-N-2"):
        survivor = SurvivorFactory(
            agency=alice.agency, team=team, case_number=number, created_by=alice
        )
        survivor.assigned_workers.add(alice)
        made.append(survivor)
    return made


def test_a_plan_lines_reason_is_kept_in_english_and_read_in_spanish(
    alice, mdt, home_admin, children, home
):
    Home.objects.filter(pk=home.pk).update(available_beds=3, staff_on_duty=3)
    batch = planned(alice, children)
    other = HomeFactory(name="Second Light", available_beds=1)
    hilda = UserFactory(username="hilda", role="home_admin")
    home_admin_grant(actor=None, user=hilda, home=other)
    placed(alice, mdt, hilda, children[0], other)

    with translation.override("es"):  # a Spanish-speaking worker sends the group
        batch_crisis_override(actor=alice, batch=batch, justification="Redada a las 2.")

    line = batch.assignments.get(survivor=children[0])
    # Stored in the API's words, whoever acted...
    assert line.outcome == (
        "Not sent to the MDT: This child is placed: discharge them before proposing another home."
    )
    # ...and read in each reader's language.
    alice.language = "es"
    alice.save(update_fields=["language"])
    client = Client()
    client.force_login(alice)
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert (
        "No enviado al EMD: Este menor está colocado: dele de baja antes de proponer otro "
        "hogar." in page
    )
    assert "This child is placed" not in page


def test_a_failed_plans_reason_is_read_in_spanish(alice, children):
    batch = batch_create(actor=alice, survivor_ids=[c.pk for c in children])
    Batch.objects.filter(pk=batch.pk).update(
        status=Batch.Status.FAILED,
        error="The plan took longer than its time limit allows. Try again.",
    )
    alice.language = "es"
    alice.save(update_fields=["language"])
    client = Client()
    client.force_login(alice)

    page = client.get(f"/batches/{batch.pk}/").content.decode()

    assert "El plan tardó más de lo que permite su límite de tiempo." in page
    assert "took longer" not in page
