"""The ranked homes and near misses of a search page, built in one pass
(matching/templatetags/results.py): what a reader sees of each, escaped, in her language."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core.templatetags.harbor import ago
from matching.templatetags.results import escape
from tests.factories import HomeFactory


def _page(user, survivor, language: str = "en") -> str:
    client = Client()
    client.force_login(user)
    user.language = language
    user.save(update_fields=["language"])
    response = client.get(f"/survivors/{survivor.pk}/search/")
    assert response.status_code == 200
    return response.content.decode()


def test_each_ranked_home_shows_its_facts_whom_to_call_and_why_its_score(alice, survivor):
    home = HomeFactory(
        name='Casa <b>"Sol"</b> & Luna', intake_phone="(913) 555-0142", contact_name="Ana Ruiz"
    )
    page = _page(alice, survivor)
    assert f'<li class="home card" id="home-{home.pk}">' in page
    # The name is text wherever it shows, never markup.
    assert "<b>" not in page
    assert "<h3>Casa &lt;b&gt;&quot;Sol&quot;&lt;/b&gt; &amp; Luna</h3>" in page
    assert "Score breakdown for Casa &lt;b&gt;" in page
    assert "Propose Casa &lt;b&gt;" in page  # a case worker proposes
    assert f"<strong>{home.available_beds}</strong> of {home.licensed_beds} beds free" in page
    assert f"{home.staff_on_duty} staff on duty" in page
    assert 'Intake phone <a href="tel:9135550142">(913) 555-0142</a> (Ana Ruiz)' in page
    assert "<summary>Why this score</summary>" in page
    assert '<th scope="col">Points</th>' in page


def test_a_near_miss_names_its_rule_and_why_and_a_home_with_no_phone_says_so(alice, survivor, home):
    # A home in another state that takes no one from out of state: one rule fails.
    HomeFactory(name="Cedar Place", state="MO", zip_code="64108", intake_phone="", contact_name="")
    page = _page(alice, survivor)
    assert "<strong>Cedar Place</strong> (MO" in page
    assert '<span class="rule">State line / ICPC</span>' in page
    assert '<span class="contact hint">No intake phone recorded</span>' in page


def test_the_blocks_read_in_spanish_with_a_decimal_comma(alice, survivor):
    HomeFactory(name="Hogar Faro")
    page = _page(alice, survivor, "es")
    assert "<summary>Por qué esta puntuación</summary>" in page
    assert '<th scope="col">Puntos</th>' in page
    assert "del personal de turno" in page and "camas libres" in page
    assert "Proponer Hogar Faro" in page
    # Points as Spanish writes them: "30,0 / 30,0", never "30.0".
    points = page.split('<th scope="col">Detalle</th>')[1].split("</tbody>")[0]
    assert ",0 / " in points and ".0 / " not in points


def test_each_readers_page_keeps_her_language_when_the_languages_take_turns(alice, survivor):
    # The blocks' words are kept per language once made: a Spanish page after an English
    # one, then English again, each reads in its own.
    HomeFactory(name="Hogar Faro", home_type="group_home")
    for language, why, home_type, factor in (
        ("en", "Why this score", "Group home", "Distance"),
        ("es", "Por qué esta puntuación", "Hogar grupal", "Distancia"),
        ("en", "Why this score", "Group home", "Distance"),
    ):
        page = _page(alice, survivor, language)
        assert f"<summary>{why}</summary>" in page
        assert f"<span>{home_type}</span>" in page
        assert f"<tr><td>{factor}</td>" in page


def test_the_search_page_reads_the_child_once_and_not_her_names_or_notes(alice, survivor):
    # As the API's search does: the fields it searches with and the case number it shows.
    _page(alice, survivor)
    client = Client()
    client.force_login(alice)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/survivors/{survivor.pk}/search/").content.decode()
    assert f"Placement search for case {survivor.case_number}" in page
    reads = [q["sql"] for q in queries if 'FROM "survivors_survivor"' in q["sql"]]
    assert len(reads) == 1
    for column in ("first_name", "last_name", "alias", "notes"):
        assert f'"{column}"' not in reads[0]


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_homes_confirmed_time_reads_as_the_ago_filter_writes_it(language):
    # The blocks keep "Beds confirmed … ago" by whole minutes since: the same words as
    # the filter's for every moment, at each unit's edges, seconds and microseconds on
    # either side of a minute, across a month's end, and for moments it does not keep.
    from matching.templatetags.results import _words

    now = datetime.datetime(2026, 3, 1, 0, 0, 30, 500, tzinfo=datetime.UTC)
    offsets = [datetime.timedelta(minutes=m) for m in (0, 1, 59, 60, 61, 1439, 1440, 1441)]
    offsets += [datetime.timedelta(hours=h) for h in (24, 47, 48, 71, 72, 73, 24 * 40)]
    seconds = (0, 29, 30, 31, 59, 60, 61, 4319 * 60 + 59)
    offsets += [
        datetime.timedelta(seconds=s, microseconds=u) for s in seconds for u in (0, 499, 500, 501)
    ]
    offsets += [datetime.timedelta(minutes=-1), datetime.timedelta(seconds=-1)]
    with translation.override(language):
        words = _words()
        for offset in offsets:
            for moment in (now - offset, (now - offset).astimezone(ZoneInfo("America/Chicago"))):
                for _twice in range(2):  # as made, then as kept
                    assert words.confirmed_ago(moment, now) == escape(
                        words.confirmed % {"ago": ago(moment, now)}
                    ), offset
        assert words.confirmed_ago(None, now) == escape(words.confirmed % {"ago": ago(None, now)})
