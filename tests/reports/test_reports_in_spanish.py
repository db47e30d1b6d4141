"""The reports in the reader's language: titles, captions, headers, notes, the chart's words
and its numbers; the CSV's header, names and markers, and the protected numbers, the same
in every language."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from reports.charts import Series, bar_chart
from reports.selectors import REPORTS
from reports.templatetags.reports import report_cell
from tests.reports.method import piece, pieces
from tests.reports.test_api_and_pages import searches_of

QUERY = "from=2026-01-15&to=2026-12-10"


def page(user, language: str) -> Client:
    user.language = language
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


def kansas_numbers(history) -> tuple[int, int]:
    """Bob's Kansas children and searches as the method publishes them (two pieces)."""
    g = history.groups
    girls = [*g["substance"], *g["pregnant"], *g["multi"]]
    return (
        pieces("child", girls, g["boys"]),
        pieces("search", searches_of(girls), searches_of(g["boys"])),
    )


def csv_rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize(
    "language, words",
    [
        (
            "es",
            [
                "<h1>Necesidad no cubierta</h1>",
                "Menores y búsquedas sin hogar adecuado, por estado de custodia</caption>",
                '<th scope="col">Estado de custodia</th>',
                '<th scope="col" class="num">Búsquedas</th>',
                "el método de clave de celda",
                # The chart: its title, its words for a withheld bar, its description.
                "Menores y búsquedas sin hogar adecuado, por estado de custodia</title>",
                "La columna Menores de la primera tabla, en barras.",
                "Los periodos son meses completos",
                "Un menor puede contar en varias necesidades",
            ],
        ),
        (
            "en",
            [
                "<h1>Unmet need</h1>",
                "Children and searches with no feasible home, by custody state</caption>",
                '<th scope="col">Custody state</th>',
                '<th scope="col" class="num">Searches</th>',
                "the cell-key method",
                "Children and searches with no feasible home, by custody state</title>",
                "The Children column of the first table, as bars.",
                "Periods are whole months",
                "A child can count under several needs",
            ],
        ),
    ],
)
def test_it_shows_a_supervisor_the_report_in_their_language(history, bob, language, words):
    html = page(bob, language).get(f"/reports/unmet-need/?{QUERY}").content.decode()
    for text in words:
        assert text in html


def test_the_chart_speaks_spanish_where_a_value_is_withheld():
    with translation.override("es"):
        svg = bar_chart(
            title="Menores",
            categories=["Kansas", "Misuri"],
            series=[Series("Menores", (1234, None))],
            chart_id="c",
            unit="menores",
        )
    assert "no se muestra" in svg
    assert "1\xa0234 menores" in svg  # a thousands separator as Spanish writes it
    assert "Gráfico de barras de Menores para 2 categorías." in svg


def test_every_other_report_reads_in_spanish_too(history, bob):
    client = page(bob, "es")
    titles = {
        "blocking-rules": "Qué impide colocar a los menores",
        "time-to-placement": "Días desde el ingreso hasta la primera colocación, por estado",
        "referral-answers": "Derivaciones por hogar y respuesta",
        "outcomes": "Colocaciones a los 90 días, por tipo de hogar y resultado",
        "duties": "Obligaciones con plazo, por mes",
    }
    for name, text in titles.items():
        html = client.get(f"/reports/{name}/?{QUERY}").content.decode()
        assert text in html, name


def test_numbers_are_written_as_the_language_writes_them():
    with translation.override("es"):
        assert report_cell(1234.5) == "1\xa0234,5"
        assert report_cell(12345) == "12\xa0345"
        assert report_cell(None) == "no se muestra"
    with translation.override("en"):
        assert report_cell(1234.5) == "1,234.5"
        assert report_cell(None) == "not shown"


def test_the_csv_keeps_its_codes_and_writes_the_labels_in_spanish(history, bob):
    rows = csv_rows(page(bob, "es").get(f"/reports/unmet-need/download.csv?{QUERY}"))
    # The header, the report's and tables' names, and the marker: what a program reads.
    assert list(rows[0]) == ["report", "table", "row", "column", "value"]
    boys = next(
        r for r in rows
        if (r["table"], r["row"], r["column"]) == ("state_by_age_band", "Kansas", "16–17")
    )  # fmt: skip
    assert boys["report"] == "unmet-need"
    assert boys["value"] == str(piece("child", history.groups["boys"]))
    # What a person reads: the labels, as the page shows them.
    kansas = [r for r in rows if (r["table"], r["row"]) == ("by_state", "Kansas")]
    children, searches = kansas_numbers(history)
    assert [(r["column"], r["value"]) for r in kansas] == [
        ("Menores", str(children)),
        ("Búsquedas", str(searches)),
    ]


def test_the_api_follows_accept_language_and_keeps_its_names(history, bob):
    client = APIClient()
    client.force_authenticate(bob)
    spanish = client.get(f"/api/v1/reports/unmet-need/?{QUERY}", HTTP_ACCEPT_LANGUAGE="es").json()
    english = client.get(f"/api/v1/reports/unmet-need/?{QUERY}").json()
    assert spanish["title"] == "Necesidad no cubierta" and english["title"] == "Unmet need"
    by_state = next(t for t in spanish["tables"] if t["name"] == "by_state")
    assert by_state["columns"] == ["Menores", "Búsquedas"]
    assert by_state["cells"][0] == list(kansas_numbers(history))
    listed = client.get("/api/v1/reports/", HTTP_ACCEPT_LANGUAGE="es").json()
    assert [item["name"] for item in listed] == list(REPORTS)
    assert listed[0]["title"] == "Necesidad no cubierta"


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_the_same_numbers_stand_in_the_same_places_in_every_language(history, bob, name):
    """The rows are ordered by a language-independent key, and the protected numbers
    depend on the records only: the Spanish and English tables are the same numbers."""
    client = APIClient()
    client.force_authenticate(bob)
    url = f"/api/v1/reports/{name}/?{QUERY}"
    spanish = client.get(url, HTTP_ACCEPT_LANGUAGE="es").json()["tables"]
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["tables"]
    shape = ("name", "cells", "row_totals", "column_totals", "grand_total")
    assert [[t[k] for k in shape] for t in spanish] == [[t[k] for k in shape] for t in english]


def test_a_bad_filter_names_the_field_in_spanish(history, bob):
    client = APIClient()
    client.force_authenticate(bob)
    response = client.get(
        "/api/v1/reports/unmet-need/?from=2026-12-01&to=2026-01-01", HTTP_ACCEPT_LANGUAGE="es"
    )
    assert response.status_code == 400
    assert response.json() == {"from": ["El inicio del periodo es posterior a su final."]}
