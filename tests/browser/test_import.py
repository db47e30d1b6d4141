"""An admin imports a 200-home spreadsheet in a real browser: three rows are wrong, the
page says which and why, the admin fixes them, checks again and imports."""

from __future__ import annotations

import csv
import io

import pytest

from homes.import_files import template_headers, template_row
from homes.models import Home
from tests.browser.conftest import DESKTOP, PHONE, axe_serious, screenshot, sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def sheet(bad: bool) -> bytes:
    example = dict(zip(template_headers(), template_row(), strict=True))
    rows = [
        {**example, "external_id": f"KS-{i:04d}", "name": f"Prairie Home {i}"}
        for i in range(1, 201)
    ]
    if bad:
        rows[9]["zip_code"] = "64108"  # row 11: a Missouri ZIP in Kansas
        rows[49]["available_beds"] = "9"  # row 51: more than the 6 licensed
        rows[99]["home_type"] = "Castle"  # row 101: no such home type
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(example))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def upload(page, content: bytes, *, check_only: bool) -> None:
    page.goto("/homes/import/")
    page.set_input_files(
        "#id_file", {"name": "homes.csv", "mimeType": "text/csv", "buffer": content}
    )
    if not check_only:
        page.uncheck("#id_dry_run")
    page.click("button[type=submit]:has-text('Upload')")
    page.wait_for_selector("#count-errors", timeout=60_000)


def test_it_imports_a_200_row_file_after_fixing_three_bad_rows(open_page):
    UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
    page = open_page(DESKTOP)
    sign_in(page, "root")

    upload(page, sheet(bad=True), check_only=True)

    assert page.inner_text("#count-errors") == "3"
    errors = page.inner_text("#import-errors")
    assert "ZIP code 64108 is in MO, not KS." in errors
    assert "cannot exceed licensed beds (6)" in errors
    assert "'Castle' is not a home type" in errors
    cells = page.locator("#import-errors tbody tr td:first-child").all_inner_texts()
    assert cells == ["11", "51", "101"]
    screenshot(page, "import-errors-desktop")
    assert axe_serious(page, "import-errors") == []
    assert not Home.objects.exists()

    upload(page, sheet(bad=False), check_only=True)
    assert page.inner_text("#count-created") == "200"
    assert page.inner_text("#count-errors") == "0"
    page.set_viewport_size(PHONE)
    screenshot(page, "import-checked-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    assert axe_serious(page, "import-checked") == []
    page.set_viewport_size(DESKTOP)
    assert not Home.objects.exists()

    page.click("button:has-text('Import these homes now')")
    page.wait_for_selector("#count-created", timeout=60_000)
    assert "Imported" in page.inner_text("#import-status")
    assert page.inner_text("#count-created") == "200"
    assert Home.objects.count() == 200
