"""The MDT's print packet in the reader's language (issue 28): the template's words, and the
ones Python gives it (the score's factors, the engine's details, numbers and dates)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.placement.helpers import recommend

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def packet(user, recommendation, language: str) -> str:
    user.language = language
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    url = reverse("recommendation-page", args=[recommendation.pk]) + "?print=1"
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_spanish_mdt_member_prints_the_packet_in_spanish(alice, mdt, survivor, home):
    recommendation = recommend(alice, survivor, home)

    html = packet(mdt, recommendation, "es")

    assert '<html lang="es">' in html
    assert f"Expediente de revisión del EMD — caso {survivor.case_number}" in html
    assert "Desglose de la puntuación" in html
    assert "<td>Distancia</td>" in html and "<td>Especialización</td>" in html
    assert "<td>Distance</td>" not in html and "<td>Specialisation</td>" not in html
    assert "Jane" not in html  # the MDT never reads the child's name


def test_an_english_mdt_member_prints_it_in_english(alice, mdt, survivor, home):
    recommendation = recommend(alice, survivor, home)

    html = packet(mdt, recommendation, "en")

    assert f"MDT review packet — case {survivor.case_number}" in html
    assert "<td>Distance</td>" in html and "<td>Specialisation</td>" in html
