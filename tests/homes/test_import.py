"""Importing the directory from CSV/XLSX: the API and the page, bad files, who may,
the audit, dry runs and the round trip with the export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEntry
from homes.columns import HEADERS
from homes.exports import directory_csv
from homes.import_files import template_csv, template_headers, template_row, template_xlsx
from homes.models import Home, HomeImport
from homes.services import PROFILE_FIELDS
from tests.factories import HomeFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

IMPORT = "/api/v1/homes/import/"


def row(**cells: str) -> dict[str, str]:
    base = dict(zip(template_headers(), template_row(), strict=True))
    return {**base, **cells}


def csv_file(rows: list[dict[str, str]], headers: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headers or template_headers(), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def homes(n: int, **cells: str) -> list[dict[str, str]]:
    return [row(external_id=f"KS-{i:04d}", name=f"Home {i}", **cells) for i in range(1, n + 1)]


def post(user, content: bytes, *, name: str = "homes.csv", dry_run: bool = False):
    client = APIClient()
    client.force_authenticate(user)
    upload = SimpleUploadedFile(name, content)
    with committed():
        response = client.post(
            IMPORT, {"file": upload, "dry_run": "true" if dry_run else "false"}, format="multipart"
        )
    if response.status_code != 201:
        return response
    # The 201 holds the job as queued; once the job ran, its result.
    return Answer(201, client.get(f"{IMPORT}{response.json()['id']}/").json())


@dataclass
class Answer:
    status_code: int
    body: dict

    def json(self) -> dict:
        return self.body


_capture = []


@pytest.fixture(autouse=True)
def run_jobs_at_commit(django_capture_on_commit_callbacks):
    """The job is queued after the commit; in the tests it runs there, inline."""
    _capture[:] = [django_capture_on_commit_callbacks]
    yield
    _capture.clear()


def committed():
    return _capture[0](execute=True)


def test_it_creates_the_homes_of_a_file_and_audits_each_with_the_file_name(admin_user):
    response = post(admin_user, csv_file(homes(3)), name="kansas.csv")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["stored"], body["created"], body["error_count"]) == (
        "imported", True, 3, 0,
    )  # fmt: skip
    home = Home.objects.get(external_id="KS-0002")
    assert (home.name, home.zip_code, home.languages) == ("Home 2", "66101", ["en", "es"])
    entries = AuditEntry.objects.filter(action="home.import.create")
    assert entries.count() == 3
    assert {e.after["file"] for e in entries} == {"kansas.csv"}
    assert {e.actor for e in entries} == {admin_user}


def test_it_updates_on_a_second_import_instead_of_duplicating(admin_user):
    post(admin_user, csv_file(homes(2)))
    changed = homes(2)
    changed[1]["available_beds"] = "5"

    body = post(admin_user, csv_file(changed), name="again.csv").json()

    assert (body["created"], body["updated"], body["unchanged"]) == (0, 1, 1)
    assert Home.objects.count() == 2
    assert Home.objects.get(external_id="KS-0002").available_beds == 5
    entry = AuditEntry.objects.get(action="home.import.update")
    assert entry.before == {"available_beds": 2}
    assert entry.after == {"available_beds": 5, "file": "again.csv", "import": body["id"]}


def test_it_stores_nothing_on_a_dry_run_and_shows_the_plan(admin_user):
    HomeFactory(external_id="KS-0001", name="Old name")

    body = post(admin_user, csv_file(homes(3)), dry_run=True).json()

    assert (body["status"], body["stored"]) == ("checked", False)
    assert (body["created"], body["updated"]) == (2, 1)
    assert body["preview"][0] == {
        "row": 2, "action": "update", "external_id": "KS-0001", "name": "Home 1",
        "changed": body["preview"][0]["changed"], "values": body["preview"][0]["values"],
    }  # fmt: skip
    assert body["preview"][0]["values"]["name"] == ["Old name", "Home 1"]
    assert "name" in body["preview"][0]["changed"]
    assert Home.objects.count() == 1 and Home.objects.get().name == "Old name"
    assert not AuditEntry.objects.filter(action__startswith="home.import").exists()


def test_it_names_row_column_and_problem_and_stores_nothing_if_one_row_is_bad(admin_user):
    rows = homes(4)
    rows[1]["zip_code"] = "64108"  # Missouri
    rows[2]["available_beds"] = "9"  # above the 6 licensed
    rows[3]["languages"] = "Spanish; Klingon"

    body = post(admin_user, csv_file(rows)).json()

    assert (body["status"], body["stored"], body["error_count"]) == ("invalid", False, 3)
    errors = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert errors[(3, "zip_code")] == "ZIP code 64108 is in MO, not KS."
    assert "cannot exceed licensed beds (6)" in errors[(4, "available_beds")]
    assert "Klingon" in errors[(5, "languages")]
    assert not Home.objects.exists()


def test_it_takes_vocabulary_by_label(admin_user):
    rows = [row(home_type="Safe home", languages="English; Spanish", state="Kansas")]

    body = post(admin_user, csv_file(rows)).json()

    assert body["status"] == "imported", body["errors"]
    home = Home.objects.get()
    assert (home.home_type, home.languages, home.state) == ("safe_home", ["en", "es"], "KS")


def test_it_refuses_a_row_without_external_id_and_repeated_ids(admin_user):
    rows = [row(external_id=""), row(external_id="A-1"), row(external_id="A-1")]

    errors = post(admin_user, csv_file(rows)).json()["errors"]

    assert [(e["row"], e["column"]) for e in errors] == [(2, "external_id"), (4, "external_id")]
    assert "also on row 3" in errors[1]["message"]


def test_it_reads_an_xlsx_file(admin_user):
    body = post(admin_user, template_xlsx(), name="template.xlsx").json()

    assert body["status"] == "imported", body["errors"]
    assert Home.objects.get().external_id == "KS-0001"


def test_the_template_downloads_and_imports_as_is(admin_user):
    client = Client()
    client.force_login(admin_user)

    csv_response = client.get("/homes/import/template/?format=csv")
    xlsx_response = client.get("/homes/import/template/?format=xlsx")

    assert csv_response.content == template_csv()
    assert "attachment" in csv_response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(xlsx_response.content))
    assert [c.value for c in book.active[1]] == template_headers()
    assert post(admin_user, csv_response.content).json()["status"] == "imported"


# --- Bad files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("homes.csv", b"", "empty"),
        ("homes.csv", b"\n\n", "The file is empty: its first row must be the template's headers."),
        ("homes.csv", ",".join(HEADERS).encode(), "The file has the headers but no homes below"),
        ("homes.csv", b"name,zip\nA,66101\n", "Missing columns: external_id, home_type"),
        ("homes.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00garbage\xff\xfe", "binary data"),
        ("homes.csv", b"\xff\xfe\xfaname", "not UTF-8 text"),
        ("homes.xlsx", b"PK\x03\x04 not really a zip", "cannot be read"),
        ("homes.xlsx", b"external_id,name\n", "not an Excel workbook"),
        ("homes.pdf", b"%PDF-1.4", "is not a .csv or .xlsx file"),
        ("homes", b"a,b", "is not a .csv or .xlsx file"),
    ],
)
def test_it_refuses_a_bad_file_with_a_400_naming_file(admin_user, name, content, message):
    response = post(admin_user, content, name=name)

    assert response.status_code == 400
    assert set(response.json()) == {"file"}
    assert message in response.json()["file"][0]
    assert not HomeImport.objects.exists()


def test_it_names_unknown_columns(admin_user):
    headers = [*template_headers(), "favourite_colour"]

    response = post(admin_user, csv_file(homes(1), headers))

    assert response.status_code == 400
    assert "Unknown columns: 'favourite_colour'" in response.json()["file"][0]


def test_it_refuses_a_50_mb_upload_before_reading_it(admin_user):
    big = b"external_id," + b"x" * (50 * 1024 * 1024)

    response = post(admin_user, big)

    assert response.status_code == 400
    assert response.json() == {"file": ["The file is larger than 10 MB: split it into parts."]}


def test_it_refuses_a_formula_cell_and_takes_the_exports_escaped_one(admin_user):
    rows = homes(2)
    rows[0]["name"] = '=HYPERLINK("http://evil.example","Click")'
    rows[1]["name"] = "'=Hope House"

    body = post(admin_user, csv_file(rows)).json()

    assert body["status"] == "invalid"
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(2, "name")]
    assert "formula" in body["errors"][0]["message"]
    rows[0]["name"] = "Hope House"
    assert post(admin_user, csv_file(rows)).json()["status"] == "imported"
    assert Home.objects.get(external_id="KS-0002").name == "=Hope House"


# --- Who may --------------------------------------------------------------------------


def test_a_home_admin_updates_their_own_home_only(home_admin, home, other_home):
    Home.objects.filter(pk=home.pk).update(external_id="MINE")
    Home.objects.filter(pk=other_home.pk).update(external_id="THEIRS")
    mine = row(external_id="MINE", name="Lighthouse House renamed", zip_code=home.zip_code,
               licensed_beds="6", available_beds="2", staff_on_duty="2",
               license_number="", license_expires="")  # fmt: skip
    theirs = row(external_id="THEIRS")
    new = row(external_id="NEW-1")

    body = post(home_admin, csv_file([mine, theirs, new])).json()

    assert body["status"] == "invalid"
    assert [(e["row"], e["column"]) for e in body["errors"]] == [
        (3, "external_id"), (4, "external_id"),
    ]  # fmt: skip
    assert body["errors"][0]["message"] == body["errors"][1]["message"]  # no hint which exists
    body = post(home_admin, csv_file([mine])).json()
    assert body["status"] == "imported", body["errors"]
    assert Home.objects.get(pk=home.pk).name == "Lighthouse House renamed"


def test_a_home_admin_cannot_change_what_the_license_says(home_admin, home):
    Home.objects.filter(pk=home.pk).update(external_id="MINE")
    mine = row(external_id="MINE", name=home.name, licensed_beds="60", zip_code=home.zip_code,
               license_number="", license_expires="")  # fmt: skip

    body = post(home_admin, csv_file([mine])).json()

    columns = {e["column"] for e in body["errors"]}
    assert "licensed_beds" in columns
    assert Home.objects.get(pk=home.pk).licensed_beds == 6


@pytest.mark.parametrize("persona", ["alice", "bob", "mdt"])
def test_others_may_not_import(request, persona):
    user = request.getfixturevalue(persona)

    response = post(user, csv_file(homes(1)))

    assert response.status_code == 403
    assert not Home.objects.exists()
    page = Client()
    page.force_login(user)
    assert page.get("/homes/import/").status_code == 403


def test_only_the_uploader_sees_a_job(home_admin, home_admin_other, admin_user, home):
    job = post(home_admin, csv_file(homes(1))).json()

    def get(user):
        client = APIClient()
        client.force_authenticate(user)
        return client.get(f"{IMPORT}{job['id']}/")

    assert get(home_admin).status_code == 200
    assert get(admin_user).status_code == 200
    assert get(home_admin_other).json() == {"detail": "Not found.", "code": "not_found"}


# --- The page -------------------------------------------------------------------------


def test_the_page_checks_then_imports_the_checked_file(admin_user):
    client = Client()
    client.force_login(admin_user)
    upload = SimpleUploadedFile("homes.csv", csv_file(homes(2)))

    with committed():
        response = client.post("/homes/import/", {"file": upload, "dry_run": "on"})

    page = client.get(response["Location"]).content.decode()
    assert "Checked: every row is valid" in page
    assert '<strong id="count-created">2</strong> to create' in page
    assert not Home.objects.exists()
    job = HomeImport.objects.get()
    with committed():
        response = client.post(f"/homes/import/{job.pk}/apply/")
    page = client.get(response["Location"]).content.decode()
    assert '<strong id="count-created">2</strong> created' in page
    assert Home.objects.count() == 2
    assert client.post(f"/homes/import/{job.pk}/apply/").status_code == 400  # not twice


def test_the_page_shows_a_bad_file_on_the_form(admin_user):
    client = Client()
    client.force_login(admin_user)

    response = client.post("/homes/import/", {"file": SimpleUploadedFile("a.csv", b"")})

    assert response.status_code == 400
    assert "The submitted file is empty." in response.content.decode()


# --- Round trip -----------------------------------------------------------------------


def test_an_exported_directory_imports_into_an_empty_database_unchanged(admin_user):
    HomeFactory(name="=Hope House", external_id="EXT-1", languages=["es", "en"],
                license_expires="2027-01-31", latitude=39.1, longitude=-94.6)  # fmt: skip
    HomeFactory(
        name="Cedar Place", state="MO", zip_code="64108", home_type="group_home",
        intake_phone="+1 (816) 555-0100", accepts_parenting=True, max_dependents=2,
    )  # fmt: skip
    HomeFactory(name="Bare", services=["education", "mentoring"], active=False)
    exported = "".join(directory_csv()).encode("utf-8")
    before = [
        {n: getattr(h, n) for n in PROFILE_FIELDS if n != "external_id"}
        for h in Home.objects.order_by("name")
    ]
    Home.objects.all().delete()

    body = post(admin_user, exported, name="export.csv").json()

    assert (body["status"], body["created"]) == ("imported", 3), body["errors"]
    after = [
        {n: getattr(h, n) for n in PROFILE_FIELDS if n != "external_id"}
        for h in Home.objects.order_by("name")
    ]
    assert after == before
    assert "".join(directory_csv()).encode("utf-8").count(b"\n") == exported.count(b"\n")
    again = post(admin_user, "".join(directory_csv()).encode("utf-8")).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)


def test_it_links_the_import_from_the_dashboard_of_those_who_may_import(
    admin_user, home_admin, alice, client
):
    for user, linked in ((admin_user, True), (home_admin, True), (alice, False)):
        client.force_login(user)
        page = client.get("/").content.decode()
        assert ('href="/homes/import/"' in page) is linked, user.username


def amplifying_workbook(*, text_chars: int = 4 * 1024 * 1024, cells: int = 100) -> bytes:
    """Finding 29.2: one long shared string used in many cells. The file is a few KB and
    unpacks to a few MB, but a reader that copies the string into each cell holds
    `text_chars * cells` characters."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(template_headers())
    long_text = "A" * text_chars
    for i in range(cells):
        sheet.append([f"KS-{i:04d}", long_text])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_it_refuses_a_workbook_whose_shared_strings_would_expand_without_growing_memory(
    admin_user,
):
    import resource
    import tracemalloc

    content = amplifying_workbook()
    assert len(content) < 64 * 1024  # a tiny upload
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux
    tracemalloc.start()
    try:
        response = post(admin_user, content, name="homes.xlsx")
        _, python_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024

    assert response.status_code == 400
    assert "too much text" in response.json()["file"][0]
    assert python_peak < 50 * 1024 * 1024
    assert rss_growth_mb < 50
    assert not Home.objects.exists()


@pytest.mark.parametrize(
    ("cell", "what"),
    [("XFD1", "a cell far to the right"), ("A1048576", "a cell a million rows down")],
)
def test_it_refuses_a_workbook_that_would_be_laid_out_as_a_huge_grid(admin_user, cell, what):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(template_headers())
    sheet.append(template_row())
    sheet[cell] = "x"
    out = io.BytesIO()
    book.save(out)

    response = post(admin_user, out.getvalue(), name="homes.xlsx")

    assert response.status_code == 400, what
    assert "too much text" in response.json()["file"][0]


def test_it_still_reads_a_workbook_with_repeated_short_text(admin_user):
    """The check counts each use of a shared string, not the file's size: a normal
    directory where every home shares its state and languages still imports."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(template_headers())
    for i in range(1, 51):
        values = dict(zip(template_headers(), template_row(), strict=True))
        values.update(external_id=f"KS-{i:04d}", name=f"Home {i}")
        sheet.append(list(values.values()))
    out = io.BytesIO()
    book.save(out)

    body = post(admin_user, out.getvalue(), name="homes.xlsx").json()

    assert (body["status"], body["created"]) == ("imported", 50)


def _started_job(admin_user, *, seconds_ago: int) -> HomeImport:
    """An import whose job started `seconds_ago` and whose worker then died (no
    heartbeat since): what a worker killed mid-import leaves."""
    from core.outbox import enqueue
    from homes.imports import RUN_IMPORT

    job = HomeImport.objects.create(
        created_by=admin_user, file_name="homes.csv", file_format="csv",
        content=csv_file(homes(2)), status=HomeImport.Status.RUNNING,
        started_at=timezone.now() - timedelta(seconds=seconds_ago),
    )  # fmt: skip
    enqueue(RUN_IMPORT, [job.pk])  # its first send (inline here: claims nothing)
    return job


def test_it_runs_an_import_again_when_its_worker_died_and_fails_it_after_three(admin_user):
    from homes.imports import home_imports_sweep

    job = _started_job(admin_user, seconds_ago=60)
    with committed():
        assert home_imports_sweep() == 1
    job.refresh_from_db()
    assert (job.status, job.created) == ("imported", 2)  # sent again, and done

    dying = _started_job(admin_user, seconds_ago=60)
    for _ in range(2):  # sent again twice; it kills its worker each time it runs
        assert home_imports_sweep() == 1
        assert HomeImport.objects.get(pk=dying.pk).status == "queued"
        HomeImport.objects.filter(pk=dying.pk).update(
            status="running", started_at=timezone.now() - timedelta(minutes=1)
        )
    assert home_imports_sweep() == 1
    dying.refresh_from_db()
    assert dying.status == "failed"
    assert "stopped before it finished" in dying.message
    assert "Upload the file again" in dying.message


def test_it_leaves_a_running_import_alone_while_its_heartbeat_is_fresh(admin_user):
    from core.heartbeat import heartbeat_record
    from homes.imports import home_imports_sweep

    job = _started_job(admin_user, seconds_ago=600)
    heartbeat_record(name=f"import:{job.pk}")

    assert home_imports_sweep() == 0
    job.refresh_from_db()
    assert job.status == "running"


def _template(user, query: str = "?format=csv") -> list[dict[str, str]]:
    client = Client()
    client.force_login(user)
    response = client.get("/homes/import/template/" + query)
    assert response.status_code == 200
    if "xlsx" in query:
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        rows = [[cell.value or "" for cell in line] for line in sheet.iter_rows()]
        return [dict(zip(rows[0], line, strict=True)) for line in rows[1:]]
    text = response.content.decode("utf-8").lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("query", ["?format=csv", "?format=xlsx"])
def test_a_home_admins_template_lists_her_homes_with_their_external_ids(
    home_admin, home, other_home, query
):
    Home.objects.filter(pk=home.pk).update(external_id="MINE-7")
    rows = _template(home_admin, query)
    assert [(r["external_id"], r["name"]) for r in rows] == [("MINE-7", home.name)]
    # Edited and uploaded as it is, it updates her home (no "Not one of your homes").
    rows[0]["name"] = "Lighthouse House North"
    body = post(home_admin, csv_file(rows)).json()
    assert body["status"] == "imported", body["errors"]
    assert Home.objects.get(pk=home.pk).name == "Lighthouse House North"


def test_a_home_admin_downloads_her_homes_as_csv_with_their_ids(home_admin, home, other_home):
    client = APIClient()
    client.force_authenticate(home_admin)
    answer = client.get("/api/v1/homes/export/?format=csv")
    assert answer.status_code == 200
    text = b"".join(answer.streaming_content).decode("utf-8").lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["external_id"] for r in rows] == [f"harbor-{home.pk}"]
    assert client.get("/api/v1/homes/export/?format=hsds").status_code == 403


def test_not_one_of_your_homes_says_where_to_find_the_external_id(home_admin, home):
    body = post(home_admin, csv_file([row(external_id="WRONG-1")])).json()
    message = body["errors"][0]["message"]
    assert message.startswith("Not one of your homes")
    assert "template" in message and "export" in message and "external_id" in message


def test_the_preview_shows_each_changed_field_from_old_to_new(admin_user, home):
    Home.objects.filter(pk=home.pk).update(external_id="KS-9", name="Old name", staff_on_duty=2)
    home.refresh_from_db()
    (current,) = _export_rows()
    body = post(
        admin_user, csv_file([{**current, "name": "New name", "staff_on_duty": "3"}]), dry_run=True
    ).json()
    (line,) = body["preview"]
    assert line["values"] == {"name": ["Old name", "New name"], "staff_on_duty": ["2", "3"]}
    client = Client()
    client.force_login(admin_user)
    page = client.get(f"/homes/import/{body['id']}/").content.decode()
    assert "<del>Old name</del> → <ins>New name</ins>" in page


def _export_rows() -> list[dict[str, str]]:
    text = "".join(directory_csv()).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))
