"""The reports through the API, the pages and the CSV: scope, filters, protection."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from rest_framework.test import APIClient

from audit.models import AuditEntry
from matching.models import MatchSearch
from reports.selectors import REPORTS
from tests.reports.method import piece, pieces

QUERY = "from=2026-01-15&to=2026-12-10"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def searches_of(survivors) -> list[int]:
    return list(MatchSearch.objects.filter(survivor__in=survivors).values_list("id", flat=True))


def kansas(history) -> tuple[int, int]:
    """Bob's Kansas children and searches as the method publishes them: two pieces."""
    g = history.groups
    girls = [*g["substance"], *g["pregnant"], *g["multi"]]
    return (
        pieces("child", girls, g["boys"]),
        pieces("search", searches_of(girls), searches_of(g["boys"])),
    )


def missouri(history) -> tuple[int, int]:
    g = history.groups
    return piece("child", g["missouri"]), piece("search", searches_of(g["missouri"]))


def test_it_lists_the_reports(history, bob):
    response = api(bob).get("/api/v1/reports/")
    assert response.status_code == 200
    assert [item["name"] for item in response.json()] == list(REPORTS)
    assert response.json()[0]["url"].endswith("/api/v1/reports/unmet-need/")


def test_it_answers_a_report_as_json_over_whole_months(history, bob):
    response = api(bob).get(f"/api/v1/reports/unmet-need/?{QUERY}")
    assert response.status_code == 200
    body = response.json()
    assert body["filters"] == {"from": "2026-01-01", "to": "2026-12-31", "state": None}
    by_state = next(t for t in body["tables"] if t["name"] == "by_state")
    assert by_state["rows"] == ["Kansas", "Missouri"]
    assert by_state["cells"] == [list(kansas(history)), list(missouri(history))]
    ages = next(t for t in body["tables"] if t["name"] == "state_by_age_band")
    boys = ages["cells"][0][ages["columns"].index("16–17")]
    assert boys == piece("child", history.groups["boys"])  # five boys, moved by their key
    assert set(ages) >= {"row_totals", "column_totals", "grand_total", "caption", "columns"}


def test_an_empty_filter_is_no_filter_on_the_api_as_on_the_page(history, bob):
    response = api(bob).get("/api/v1/reports/outcomes/?from=&to=&state=")
    assert response.status_code == 200
    assert page(bob).get("/reports/outcomes/?from=&to=&state=").status_code == 200


def test_another_supervisor_gets_only_their_agencys_numbers(history, other_supervisor):
    body = api(other_supervisor).get(f"/api/v1/reports/unmet-need/?{QUERY}").json()
    by_state = next(t for t in body["tables"] if t["name"] == "by_state")
    theirs = history.groups["theirs"]
    assert by_state["cells"] == [[piece("child", theirs), piece("search", searches_of(theirs))]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-02-30", "from"),
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("state=ZZ", "state"),
        ("state=Kansas", "state"),
        ("from=2026-06-01&to=2026-01-31", "from"),
        ("from=2019-01-01&to=2026-01-31", "to"),
        ("from=1066-10-14", "from"),
        ("format=xml", "format"),
    ],
)
def test_it_refuses_a_bad_filter_naming_the_field(history, bob, query, field):
    response = api(bob).get(f"/api/v1/reports/outcomes/?{query}")
    assert response.status_code == 400
    assert field in response.json()
    # The page says the same, beside the field.
    if field != "format":
        shown = page(bob).get(f"/reports/outcomes/?{query}")
        assert shown.status_code == 400
        assert f'id="{field}_error"' in shown.content.decode()


def test_it_answers_404_for_a_report_that_does_not_exist(history, bob, alice):
    assert api(bob).get("/api/v1/reports/who-is-where/").status_code == 404
    assert page(bob).get("/reports/who-is-where/").status_code == 404
    assert api(alice).get("/api/v1/reports/unmet-need/").status_code == 403


@pytest.mark.parametrize("name", sorted(REPORTS))
@pytest.mark.parametrize("how", ["format", "accept", "page"])
def test_the_csv_gives_the_numbers_the_api_gives(history, bob, name, how):
    """Every cell and total of the CSV is the number the JSON (and the page) shows."""
    if how == "format":
        response = api(bob).get(f"/api/v1/reports/{name}/?{QUERY}&format=csv")
    elif how == "accept":
        response = api(bob).get(f"/api/v1/reports/{name}/?{QUERY}", HTTP_ACCEPT="text/csv")
    else:
        response = page(bob).get(f"/reports/{name}/download.csv?{QUERY}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert rows and set(rows[0]) == {"report", "table", "row", "column", "value"}
    expected = []
    for t in api(bob).get(f"/api/v1/reports/{name}/?{QUERY}").json()["tables"]:
        for label, cells, total in zip(
            t["rows"], t["cells"], t["row_totals"] or [None] * len(t["rows"]), strict=True
        ):
            expected += [(t["name"], label, c, v) for c, v in zip(t["columns"], cells, strict=True)]
            if t["row_totals"] is not None:
                expected.append((t["name"], label, "Total", total))
        if t["column_totals"] is not None:
            expected += [
                (t["name"], "Total", c, v)
                for c, v in zip(t["columns"], t["column_totals"], strict=True)
            ]
            expected.append((t["name"], "Total", "Total", t["grand_total"]))

    def text(value) -> str:
        return "not shown" if value is None else str(value)

    assert [(r["table"], r["row"], r["column"], r["value"]) for r in rows] == [
        (t, row, column, text(value)) for t, row, column, value in expected
    ]


def test_the_csv_says_what_the_page_says(history, bob):
    rows = csv_rows(page(bob).get(f"/reports/unmet-need/download.csv?{QUERY}"))
    boys = next(
        r for r in rows
        if (r["table"], r["row"], r["column"]) == ("state_by_age_band", "Kansas", "16–17")
    )  # fmt: skip
    assert boys["value"] == str(piece("child", history.groups["boys"]))
    ks = next(r for r in rows if (r["table"], r["row"]) == ("by_state", "Kansas"))
    assert ks["value"] == str(kansas(history)[0])


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_the_page_shows_the_chart_the_tables_and_the_download(history, bob, name):
    response = page(bob).get(f"/reports/{name}/?{QUERY}&state=")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and 'role="img"' in html
    assert "<caption" in html and 'scope="col"' in html and 'scope="row"' in html
    assert f"/reports/{name}/download.csv?from=2026-01-01&amp;to=2026-12-31" in html
    assert "widened to whole months" in html


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_every_report_page_says_what_the_protection_guarantees(history, bob, name):
    html = page(bob).get(f"/reports/{name}/?{QUERY}").content.decode()
    assert "comparing periods, states or reports cannot give any count exactly" in html
    assert "usually within 5" in html


def test_the_page_prints_a_median_not_shown_as_words(history, other_supervisor):
    """olga's agency placed one child: no median beside a count below 11."""
    html = page(other_supervisor).get(f"/reports/time-to-placement/?{QUERY}").content.decode()
    assert "not shown</td>" in html


def test_reading_a_report_is_audited_once_without_a_child(history, bob):
    client = page(bob)  # signing in is audited too
    before = AuditEntry.objects.count()
    client.get(f"/reports/blocking-rules/?{QUERY}&state=KS")
    entries = list(AuditEntry.objects.order_by("-pk")[: AuditEntry.objects.count() - before])
    assert [(e.action, e.survivor_id) for e in entries] == [("report.read", None)]
    assert entries[0].after == {
        "report": "blocking-rules", "from": "2026-01-01", "to": "2026-12-31", "state": "KS",
    }  # fmt: skip


def test_a_refused_read_is_audited(history, alice):
    assert page(alice).get("/reports/outcomes/").status_code == 403
    entry = AuditEntry.objects.order_by("-pk").first()
    assert (entry.action, entry.outcome, entry.actor_id) == ("report.read", "denied", alice.pk)


def test_the_nav_links_reports_for_supervisors_and_admins_only(history, bob, alice, admin_user):
    assert 'href="/reports/"' in page(bob).get("/").content.decode()
    assert 'href="/reports/"' in page(admin_user).get("/").content.decode()
    assert 'href="/reports/"' not in page(alice).get("/").content.decode()
