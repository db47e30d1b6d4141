"""Every kind of page runs under the strict Content-Security-Policy (issue 12, finding 6).

The policy (`SECURE_CSP`) allows scripts and styles only from Harbor's own files: no
inline `<script>`, `<style>`, `style=""`, `on*=""` handler or `eval`. A page that still
had one would lose it silently (a dead Print button, an unstyled indicator) and the
browser would report a violation. Each test opens the pages of one role in Chromium,
collects every violation the browser reports (the console's "Content Security Policy"
messages and the `securitypolicyviolation` event) and every script error, and asserts
there are none; and it uses what htmx and harbor.js drive (a search that updates, the
Print button) to show the page still works.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, sign_in
from tests.factories import HomeFactory
from tests.placement.helpers import referred

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Runs in every document before the page's own scripts (Playwright injects it through
# the DevTools protocol, which the page's CSP does not govern): report each violation
# to the test, and count calls to window.print instead of opening the print dialog.
WATCH = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.harborCspViolation(
    `${event.effectiveDirective} refused ${event.blockedURI || "inline"} at ` +
    `${event.sourceFile}:${event.lineNumber} (${event.sample})`
  );
});
window.harborPrints = 0;
window.print = () => { window.harborPrints += 1; };
"""


class Watched:
    """A page whose CSP violations and script errors are collected, per URL."""

    def __init__(self, page) -> None:
        self.page = page
        self.problems: list[str] = []
        page.expose_binding(
            "harborCspViolation", lambda source, text: self.problems.append(f"{page.url}: {text}")
        )
        page.add_init_script(WATCH)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: error {error}"))

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.problems.append(f"{self.page.url}: console {message.text}")

    def visit(self, url: str, ready: str = "main", status: int = 200) -> None:
        """Open `url`, wait for `ready` and for the network to settle, and assert that
        nothing was refused or broke on the way."""
        response = self.page.goto(url)
        assert response is not None and response.status == status, url
        assert "script-src 'self'" in response.headers["content-security-policy"], url
        self.page.wait_for_selector(ready)
        self.settle()
        self.assert_clean()

    def settle(self) -> None:
        self.page.wait_for_load_state("networkidle")

    def assert_clean(self) -> None:
        problems, self.problems[:] = list(self.problems), []
        assert problems == []


@pytest.fixture
def watch(open_page):
    def make(username: str | None = None) -> Watched:
        watched = Watched(open_page(DESKTOP))
        if username:
            sign_in(watched.page, username)
            watched.settle()
            watched.assert_clean()  # the sign-in page, and the dashboard it leads to
        return watched

    return make


@pytest.fixture
def case(alice, bob, mdt, home_admin, admin_user, survivor, home):
    """alice's survivor, proposed to `home` (hank's), approved by mona and referred: every
    page of the workflow has something to show."""
    HomeFactory(name="Boys Ranch", zip_code="66044", genders_served=["male"])  # excluded
    referral = referred(alice, mdt, survivor, home)
    return {"survivor": survivor, "home": home, "referral": referral,
            "recommendation": referral.recommendation}  # fmt: skip


def test_it_catches_an_inline_style_when_there_is_one(watch, db):
    # The watch itself can fail: an inline <style> added to a page is reported.
    watched = watch()
    watched.visit("/login/", ready="#id_username")
    watched.page.evaluate(
        "document.head.insertAdjacentHTML('beforeend', '<style>body { color: red }</style>')"
    )
    watched.settle()
    watched.page.wait_for_timeout(200)
    assert any("style-src" in problem for problem in watched.problems), watched.problems


def test_it_runs_the_sign_in_and_error_pages_under_the_policy(watch, db):
    watched = watch()
    watched.visit("/login/", ready="#id_username")
    watched.visit("/no-such-page/", ready=".oops", status=404)
    watched.visit("/admin/login/", ready="#id_username")


def test_it_runs_the_second_factor_enrolment_under_the_policy(watch, alice, settings):
    # The first sign-in with MFA required shows the QR code to scan: inline SVG markup,
    # which the policy allows (no script, no style attribute).
    settings.MFA_REQUIRED = True
    watched = watch("alice")
    assert "/login/enrol/" in watched.page.url
    watched.page.wait_for_selector(".qr svg")
    watched.settle()
    watched.assert_clean()


def test_it_runs_the_case_workers_pages_and_their_htmx_under_the_policy(watch, case):
    survivor, referral = case["survivor"], case["referral"]
    watched = watch("alice")
    page = watched.page
    watched.visit("/")
    watched.visit("/", ready="main table, main ul")  # the survivor list
    watched.visit("/survivors/new/", ready="#id_case_number")
    watched.visit(f"/survivors/{survivor.pk}/", ready="h1")
    watched.visit(f"/survivors/{survivor.pk}/edit/", ready="#id_case_number")
    watched.visit(f"/recommendations/{case['recommendation'].pk}/", ready="h1")
    watched.visit(f"/referrals/{referral.pk}/", ready="h1")
    watched.visit("/notifications/", ready="h1")
    watched.visit("/account/password/", ready="h1")

    # The matches page: ticking "include excluded" re-searches through htmx, in place.
    watched.visit(f"/survivors/{survivor.pk}/search/", ready="#results .home")
    assert page.locator("text=Excluded homes").count() == 0
    page.check("input[name=include_excluded]")
    page.wait_for_selector("#results >> text=Excluded homes (1)")
    assert page.url.endswith(f"/survivors/{survivor.pk}/search/")  # no page load
    watched.settle()
    watched.assert_clean()

    # The what-if search: the results appear as the form changes, without a page load.
    watched.visit("/search/", ready="#id_age")
    loads = []
    page.on("load", lambda: loads.append(page.url))
    page.fill("#id_age", "15")
    page.select_option("#id_custody_state", "KS")
    page.fill("#id_residence_zip", "66101")
    page.select_option("#id_urgency", "planned")
    page.wait_for_selector("#results .home h3:has-text('Lighthouse House')")
    assert loads == []
    watched.settle()
    watched.assert_clean()

    # The API docs: Swagger UI starts from its script file and shows the schema.
    watched.visit("/api/v1/docs/", ready=".swagger-ui .info .title")
    assert "Harbor API" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".swagger-ui .opblock-tag")
    watched.settle()
    watched.assert_clean()


def test_it_runs_the_supervisors_pages_under_the_policy(watch, case):
    watched = watch("bob")
    watched.visit("/")
    watched.visit(f"/survivors/{case['survivor'].pk}/", ready="h1")
    watched.visit(f"/survivors/{case['survivor'].pk}/audit/", ready="h1")


def test_it_runs_the_mdt_pages_and_prints_the_packet_under_the_policy(watch, case):
    recommendation = case["recommendation"]
    watched = watch("mona")
    page = watched.page
    watched.visit("/")
    watched.visit(f"/survivors/{case['survivor'].pk}/", ready="h1")
    watched.visit(f"/recommendations/{recommendation.pk}/", ready="h1")

    # The print packet: its Print button (harbor.js, no onclick) opens the print dialog.
    watched.visit(f"/recommendations/{recommendation.pk}/?print=1", ready="h1")
    assert page.evaluate("window.harborPrints") == 0
    page.click("button:has-text('Print')")
    page.wait_for_function("window.harborPrints === 1")
    watched.assert_clean()


def test_it_runs_the_home_admins_pages_under_the_policy(watch, case):
    home = case["home"]
    watched = watch("hank")
    watched.visit("/")
    watched.visit(f"/referrals/{case['referral'].pk}/", ready="h1")
    watched.visit(f"/homes/{home.pk}/manage/", ready="h1")
    watched.visit(f"/homes/{home.pk}/profile/", ready="h1")
    watched.visit("/homes/import/", ready="h1")
    watched.visit("/notifications/", ready="h1")


def test_it_runs_the_django_admin_under_the_policy(watch, case):
    home, survivor = case["home"], case["survivor"]
    watched = watch("root")
    page = watched.page
    watched.visit("/")
    watched.visit("/admin/", ready="#content-main")
    watched.visit("/admin/homes/home/", ready="#changelist")
    # A list's filters and search run from the admin's own script files.
    page.fill("#searchbar", "Lighthouse")
    page.press("#searchbar", "Enter")
    page.wait_for_selector("#changelist >> text=Lighthouse House")
    watched.settle()
    watched.assert_clean()
    watched.visit(f"/admin/homes/home/{home.pk}/change/", ready="#home_form")
    watched.visit(f"/admin/homes/home/{home.pk}/permissions/", ready="#content-main")
    watched.visit(f"/admin/accounts/user/{case['referral'].referred_by_id}/change/",
                  ready="#user_form")  # fmt: skip
    watched.visit("/admin/accounts/user/add/", ready="#user_form")
    watched.visit(f"/admin/survivors/survivor/{survivor.pk}/change/", ready="#content-main")
    watched.visit("/admin/audit/auditentry/", ready="#changelist")
    watched.visit("/admin/placement/referral/", ready="#changelist")
