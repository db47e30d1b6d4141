from __future__ import annotations

import numpy as np

from engine import Directory
from engine.directory import CONTACT, Coded, Texts, contact_text
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


def test_each_home_keeps_whom_to_call_through_rewrites_and_removals():
    homes = [a_home(id=home_id, name=f"Home {home_id}") for home_id in (1, 2, 3, 4)]
    batch: dict = dict(columns_of(homes))
    phones = ["785-555-0101", "", "816-555-0103", "402-555-0104"]
    names = ["Ana Ruiz", "Tab\there", "", "Zoë 🏠"]
    batch[CONTACT] = [contact_text(phone, name) for phone, name in zip(phones, names, strict=True)]
    directory = Directory()
    directory.upsert_columns(batch)
    # Home 1 leaves (the last row moves into its place); home 3's beds change, in a batch
    # that carries no contacts; home 4's contact changes.
    directory.remove([1])
    directory.upsert_columns(columns_of([a_home(id=3, name="Home 3", available_beds=1)]))
    changed = dict(columns_of([a_home(id=4, name="Home 4")]))
    changed[CONTACT] = [contact_text("402-555-0199", "Zoë")]
    directory.upsert_columns(changed)

    rows = [directory.row_of(home_id) for home_id in (2, 3, 4)]
    assert directory.contacts(rows) == [
        ("", "Tab\there"),
        ("816-555-0103", ""),
        ("402-555-0199", "Zoë"),
    ]
    assert directory.row_of(1) is None
