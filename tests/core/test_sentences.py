"""The engine's English sentences (rule reasons, score details, relaxations) reach a
Spanish page in Spanish: every sentence the engine writes for random children and homes
matches one of core.sentences' msgids, so none is left in English."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from core.sentences import sentence
from engine import failed_rules
from engine.assign import _SUGGESTIONS
from engine.scoring import score_home
from tests.engine.builders import NOW, a_survivor, homes, survivors


def spanish(text: str) -> str:
    with translation.override("es"):
        return sentence(text)


@settings(max_examples=300, deadline=None)
@given(needs=survivors(), home=homes(), miles=st.one_of(st.none(), st.floats(0, 400)))
def test_it_translates_every_reason_and_score_detail_the_engine_writes(needs, home, miles):
    texts = [failure.reason for failure in failed_rules(needs, home)]
    _, factors, _ = score_home(needs, home, miles, NOW)
    texts += [factor.detail for factor in factors]

    untranslated = [text for text in texts if spanish(text) == text]

    assert untranslated == []


@pytest.mark.parametrize("rule", sorted(_SUGGESTIONS))
@pytest.mark.parametrize("count", [1, 3])
@pytest.mark.parametrize("dependents", [0, 1, 2])
def test_it_translates_every_suggestion(rule, count, dependents):
    needs = a_survivor(
        dependents=dependents, substance_use="active", medical_level="complex",
        guardianship="parent",
    )  # fmt: skip
    text = _SUGGESTIONS[rule](needs, count)

    assert spanish(text) != text, text


def test_it_reads_a_reason_in_spanish_with_its_numbers():
    reason = "Staff on duty can cover 12 residents; 15 with this child"

    assert (
        spanish(reason) == "El personal de turno puede atender a 12 residentes; 15 con este menor"
    )
    assert sentence(reason) == reason


def test_it_leaves_an_unknown_sentence_as_written():
    assert spanish("Something the engine never wrote") == "Something the engine never wrote"


def test_it_reads_a_sentence_two_msgids_could_match_as_the_first_listed():
    # "Does not list %(language)s" would take "es; the child needs an interpreter" as
    # the language; the longer msgid, listed first, is the one the engine wrote.
    reason = "Does not list es; the child needs an interpreter"

    assert spanish(reason) == "No indica Español; el menor necesita intérprete"


def test_it_reads_sentences_that_begin_with_a_number_in_spanish():
    assert spanish("12.5 mi away, beyond the 150 mi preference") == (
        "a 12.5 mi, más allá de la preferencia de 150 mi"
    )
    assert spanish("Beds updated 5 h ago") == "Camas actualizadas hace 5 h"
    assert spanish("3 homes serve other ages; ask them about an age exception") == (
        "3 hogares atienden otras edades; pregúnteles por una excepción de edad"
    )
