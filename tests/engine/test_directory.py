from __future__ import annotations

import numpy as np

from engine import Directory
from engine.directory import Coded, Texts
from engine.layout import columns_of
from tests.engine.builders import a_home


def held(directory: Directory) -> dict[int, object]:
    return {offer.id: offer for offer in directory.offers(range(len(directory)))}


def test_a_batch_naming_a_home_twice_keeps_its_last_row():
    homes = [a_home(id=3, name="Before"), a_home(id=1, name="Other"), a_home(id=3, name="After")]
    directory = Directory()
    directory.upsert_columns(columns_of(homes))
    assert {home_id: offer.name for home_id, offer in held(directory).items()} == {
        3: "After",
        1: "Other",
    }


def test_names_states_and_tags_given_as_one_buffer_and_codes_are_the_same_homes():
    homes = [
        a_home(id=1, name="Casa Niña", state="KS", languages=frozenset({"en", "es"})),
        a_home(id=2, name="", state="MO", languages=frozenset({"en"})),
        a_home(id=5, name="Tab\there", state="KS", languages=frozenset({"es", "en"})),
    ]
    batch = columns_of(homes)
    names = [name.encode() for name in batch["name"]]
    lengths = np.array([len(name) for name in names])
    compact = dict(batch)
    compact["name"] = Texts(b"".join(names), np.cumsum(lengths) - lengths, lengths)
    compact["state"] = Coded(["MO", "KS"], np.array([1, 0, 1]))
    compact["languages"] = Coded([frozenset({"en"}), frozenset({"en", "es"})], np.array([1, 0, 1]))
    from_lists, from_codes = Directory(), Directory()
    from_lists.upsert_columns(batch)
    from_codes.upsert_columns(compact)
    assert held(from_codes) == held(from_lists)
    assert held(from_codes)[5].name == "Tab\there"
