"""One vocabulary: the engine's tuples are the source of every choice and label."""

from __future__ import annotations

from core import vocab
from core.templatetags.harbor import rule_label
from engine import types


def test_it_builds_every_choice_from_the_engine_in_its_order():
    pairs = [
        (vocab.HomeType, types.HOME_TYPES),
        (vocab.Gender, types.GENDERS),
        (vocab.Guardianship, types.GUARDIANSHIPS),
        (vocab.Urgency, types.URGENCIES),
        (vocab.SubstanceUse, types.SUBSTANCE_LEVELS),
        (vocab.MedicalLevel, types.MEDICAL_LEVELS),
        (vocab.Acuity, types.ACUITY_LEVELS),
        (vocab.Service, types.SERVICES),
    ]
    for choices, engine_values in pairs:
        assert tuple(choices.values) == engine_values, choices.__name__


def test_it_has_a_readable_label_for_every_value_and_rule():
    for choices in (vocab.HomeType, vocab.Gender, vocab.Service, vocab.SubstanceUse):
        for value, label in choices.choices:
            assert label and label != value and "_" not in label, (choices.__name__, value)
    assert set(vocab.RULE_LABELS) == set(types.RULES)
    for rule in types.RULES:
        # What a case worker reads on a page: a label, never the raw code.
        assert rule_label(rule) == vocab.RULE_LABELS[rule] != rule
    assert rule_label("active") == "Home active"


def test_it_refuses_a_vocabulary_that_drifts_from_the_engine():
    import pytest
    from django.core.exceptions import ImproperlyConfigured
    from django.db import models

    class TwoGenders(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"

    class Reordered(models.TextChoices):
        MALE = "male", "Male"
        FEMALE = "female", "Female"
        NONBINARY = "nonbinary", "Nonbinary"

    for drifted in (TwoGenders, Reordered):
        with pytest.raises(ImproperlyConfigured, match="do not match the engine"):
            vocab._same_values(drifted, types.GENDERS)
    vocab._same_values(vocab.Gender, types.GENDERS)
