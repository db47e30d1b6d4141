"""Realistic demo data: a few hundred homes across a dozen states, cases in every status,
and one sign-in per role. Running it again adds nothing."""

from __future__ import annotations

import logging
import random
from datetime import date, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts.models import Agency, Role, Team, User
from accounts.passwords import DEMO_PASSWORD, demo_password_allowed
from accounts.services import user_create
from core.errors import DomainError
from core.vocab import Service
from homes.demo import demo_contact, demo_homes, demo_phone
from homes.models import Home
from homes.services import home_admin_grant
from placement.services import (
    placement_discharge,
    recommendation_create,
    referral_accept,
    referral_create,
    referral_place,
    review_create,
    survivor_waitlist,
)
from survivors.models import Status, Survivor
from survivors.services import survivor_create, survivor_set_status

CRISIS_CENTER = "Demo Harbor Crisis Center"
# The 2 a.m. case of issue 11: a pregnant 15-year-old, Spanish-speaking, in Texas crisis
# custody, trafficker around ZIP 77002 (10 miles). No home fits her tonight, but the
# search has something to offer: a shelter as an interim placement, and a
# trafficking-specific home one staff member short.
TX_SHELTER = "Demo Gulf Coast Emergency Shelter"
TX_ONE_STAFF_SHORT = "Demo Bayou Safe Home"
# Statuses reached through the real workflow (recommendation, review, referral, hold,
# arrival, discharge), so a demo case in them has the records behind it.
WORKFLOW_STATUSES = {Status.PENDING_REVIEW, Status.REFERRED, Status.PLACED, Status.DISCHARGED}

AGENCIES = [
    ("ks-dcf", "Kansas Department for Children and Families", "KS"),
    ("mo-cd", "Missouri Children's Division", "MO"),
]
# Every demo login's phone, fake (555-01xx), in its state's area code.
PHONES = {
    "caseworker": "(913) 555-0110", "caseworker2": "(913) 555-0111",
    "supervisor": "(913) 555-0112", "mdt": "(913) 555-0113", "homeadmin": "(913) 555-0114",
    "admin": "(785) 555-0115", "mo-caseworker": "(816) 555-0116",
}  # fmt: skip
LOGINS = [
    # username, role, agency, team
    ("caseworker", Role.CASE_WORKER, "ks-dcf", "KS Metro MDT"),
    ("caseworker2", Role.CASE_WORKER, "ks-dcf", "KS Metro MDT"),
    ("supervisor", Role.SUPERVISOR, "ks-dcf", None),
    ("mdt", Role.MDT_MEMBER, "ks-dcf", "KS Metro MDT"),
    ("homeadmin", Role.HOME_ADMIN, None, None),
    ("admin", Role.ADMIN, None, None),
    ("mo-caseworker", Role.CASE_WORKER, "mo-cd", "MO East MDT"),
]
FIRST = ["Ana", "Jade", "Maya", "Luis", "Tia", "Rosa", "Kai", "Nia", "Eli", "Zoe", "Ivy", "Sam"]
LAST = ["Lopez", "Smith", "Nguyen", "Brown", "Garcia", "Jones", "Kim", "Davis", "Moore"]


class Command(BaseCommand):
    help = "Load demo homes, survivors and one login per role (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--homes", type=int, default=240)
        parser.add_argument("--survivors", type=int, default=36)

    def handle(self, *args, **options) -> None:
        # The demo history it makes sends no email (emails go out after the commit, so
        # this wraps the whole transaction) and logs no task it runs inline.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        with override_settings(
            MAILERS={"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
        ):
            self._seed(options)

    @transaction.atomic
    def _seed(self, options) -> None:
        rng = random.Random(2026)
        for code, name, state in AGENCIES:
            Agency.objects.get_or_create(code=code, defaults={"name": name, "state": state})
        for team_name, code in [("KS Metro MDT", "ks-dcf"), ("MO East MDT", "mo-cd")]:
            Team.objects.get_or_create(
                name=team_name, defaults={"agency": Agency.objects.get(code=code)}
            )
        created_homes = self._homes(options["homes"], rng)
        users = self._users()
        created_survivors = 0
        if not Survivor.objects.filter(case_number__startswith="DEMO-").exists():
            created_survivors = self._survivors(options["survivors"], rng, users)

        self.stdout.write(
            f"Demo data: {Home.objects.count()} homes ({created_homes} new), "
            f"{Survivor.objects.count()} survivors ({created_survivors} new)."
        )
        self.stdout.write(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
        for username, role, agency, _team in LOGINS:
            where = f", agency {agency}" if agency else ""
            self.stdout.write(f"  {username:<14} {role.label}{where}")

    def _homes(self, count: int, rng: random.Random) -> int:
        """The demo's homes, the crisis centre and tonight's homes, once: how many are new."""
        created_homes = 0
        today = timezone.localdate()
        if not Home.objects.filter(name__startswith="Demo ").exists():
            homes = demo_homes(count, rng=rng, now=timezone.now(), prefix="Demo ")
            # One license lapsed (the `license` rule refuses the home) and one about to: the
            # newest home, which the demo home admin keeps, so its page shows the warning.
            homes[0].license_expires = today - timedelta(days=12)
            homes[-1].license_expires = today + timedelta(days=21)
            Home.objects.bulk_create(homes, batch_size=500)
            created_homes = len(homes)
        self._backfill_contacts(today)

        if not Home.objects.filter(name=CRISIS_CENTER).exists():
            Home.objects.create(
                name=CRISIS_CENTER, home_type="crisis_stabilization", state="KS", zip_code="66102",
                licensed_beds=16, available_beds=10, staff_on_duty=6, residents_per_staff=3,
                min_age=10, max_age=21, genders_served=["female", "male", "nonbinary"],
                substance_use_accepted="active", accepts_parenting=True, max_dependents=2,
                medical_level="complex", accepts_pregnant=True, mental_health_max="high",
                staff_secure=True, accepts_out_of_state=True, intake_24_7=True,
                languages=["en", "es"], services=sorted(s for s, _ in Service.choices),
                availability_updated_at=timezone.now(), intake_phone="(913) 555-0100",
                contact_name="Denise Carter", license_number="KS-CS-00001",
                license_expires=today + timedelta(days=400),
            )  # fmt: skip
        return created_homes + self._tonight_homes(today)

    def _users(self) -> dict[str, User]:
        """One sign-in per role (the home admin keeps three demo homes), by username."""
        users: dict[str, User] = {}
        for username, role, agency, team in LOGINS:
            user = User.objects.filter(username=username).first()
            if user is None:
                with demo_password_allowed():
                    user = user_create(
                        actor=None,
                        username=username,
                        password=DEMO_PASSWORD,
                        role=role,
                        agency_code=agency,
                        team_name=team,
                        email=f"{username}@example.org",
                        phone=PHONES[username],
                    )
            elif not user.phone:
                User.objects.filter(pk=user.pk).update(phone=PHONES[username])
            users[username] = user
        homeadmin_homes = (
            Home.objects.filter(name__startswith="Demo ")
            .exclude(name__in=[TX_SHELTER, TX_ONE_STAFF_SHORT])
            .order_by("-id")[:3]
        )
        for home in homeadmin_homes:
            home_admin_grant(actor=None, user=users["homeadmin"], home=home)
        return users

    def _backfill_contacts(self, today: date) -> None:
        """Demo homes seeded before homes had contacts and licenses get them (no new rows)."""
        missing = Home.objects.filter(name__startswith="Demo ", intake_phone="").order_by("id")
        for index, home in enumerate(missing):
            fields = demo_contact(index, state=home.state, home_type=home.home_type, today=today)
            Home.objects.filter(pk=home.pk).update(**fields)

    def _tonight_homes(self, today: date) -> int:
        """The Texas homes the 2 a.m. case needs (see TX_SHELTER); returns how many are new.

        The shelter takes her (pregnant, 15, a state ward or not, in crisis, runaway risk
        or not) 19 miles from the trafficker's ZIP; the safe home passes every rule but
        `staffing`: 6 of 8 beds filled, 2 staff at 1:3, so her bed needs a third on shift.
        """
        takes_her = dict(
            state="TX", min_age=11, max_age=17, genders_served=["female", "nonbinary"],
            substance_use_accepted="in_recovery", medical_level="complex",
            accepts_pregnant=True, mental_health_max="high", staff_secure=True,
            accepts_state_wards=True, accepts_parent_placements=True, intake_24_7=True,
            languages=["en", "es"], availability_updated_at=timezone.now(),
        )  # fmt: skip
        homes = {
            TX_SHELTER: dict(
                takes_her, home_type="emergency_shelter", zip_code="77598", licensed_beds=12,
                available_beds=3, staff_on_duty=3, residents_per_staff=4,
                services=["education", "medical_care", "mental_health"],
                intake_phone=demo_phone(41, "TX"), contact_name="Rosa Villarreal",
                license_number="TX-ES-20417", license_expires=today + timedelta(days=300),
            ),
            TX_ONE_STAFF_SHORT: dict(
                takes_her, home_type="safe_home", zip_code="77373", licensed_beds=8,
                available_beds=2, staff_on_duty=2, residents_per_staff=3,
                accepts_parenting=True, max_dependents=1,
                services=["education", "legal_advocacy", "parenting_support", "trauma_therapy"],
                intake_phone=demo_phone(42, "TX"), contact_name="Keisha Okafor",
                license_number="TX-SH-20418", license_expires=today + timedelta(days=500),
            ),
        }  # fmt: skip
        created = 0
        for name, fields in homes.items():
            if not Home.objects.filter(name=name).exists():
                home = Home(name=name, **fields)
                home.full_clean()
                home.save()
                created += 1
        return created

    def _survivors(self, count: int, rng: random.Random, users: dict[str, User]) -> int:
        statuses = list(Status.values)
        zips = {"KS": ["66101", "66044", "67202", "66614"], "MO": ["64108", "63101", "65806"]}
        for index in range(count):
            worker = (
                users["mo-caseworker"]
                if index % 6 == 5
                else users["caseworker" if index % 2 == 0 else "caseworker2"]
            )
            state = "MO" if worker.username.startswith("mo-") else "KS"
            status = statuses[index % len(statuses)]
            if state == "MO" and (status in WORKFLOW_STATUSES or status == Status.WAITLISTED):
                status = Status.SEARCHING  # the other agency's MDT has no demo member
            workflow = status in WORKFLOW_STATUSES
            data = self._intake(index, state, status, rng, zips[state])
            survivor = survivor_create(actor=worker, data=data)
            if workflow:
                self._through_workflow(survivor, status, worker, users)
            elif status == Status.WAITLISTED:
                self._waitlist(survivor, worker)
            else:
                survivor_set_status(actor=worker, survivor=survivor, status=status, note="demo")
        return count

    def _intake(
        self, index: int, state: str, status: str, rng: random.Random, zips: list[str]
    ) -> dict:
        """A plausible demo intake; a waitlisted one needs what no demo home offers."""
        workflow = status in WORKFLOW_STATUSES
        today = timezone.localdate()
        age = rng.randint(11, 17)
        birth = today - timedelta(days=age * 365 + rng.randint(1, 360))
        substance = rng.choices(["none", "in_recovery", "active"], [6, 3, 1])[0]
        hard = status == Status.WAITLISTED  # needs no demo home meets: detox and 2 children
        return {
            "case_number": f"DEMO-{state}-{1000 + index}",
            "first_name": rng.choice(FIRST),
            "last_name": rng.choice(LAST),
            "date_of_birth": date(birth.year, birth.month, birth.day),
            "gender": rng.choices(["female", "male", "nonbinary"], [7, 2, 1])[0],
            "guardianship": "state"
            if workflow
            else rng.choices(["state", "parent", "legal_guardian"], [6, 3, 1])[0],
            "custody_state": state,
            "icpc_approved_states": rng.sample(["MO", "NE", "OK", "IA", "CO"], k=rng.randint(0, 2)),
            "residence_zip": rng.choice(zips),
            "urgency": "crisis" if workflow else rng.choice(["crisis", "planned"]),
            "substance_use": "active" if hard else substance,
            "needs_detox": hard or (not workflow and substance == "active" and rng.random() < 0.3),
            "dependents": 2 if hard else (1 if rng.random() < 0.1 else 0),
            "medical_level": rng.choices(["none", "routine", "complex"], [5, 4, 1])[0],
            "pregnant": rng.random() < 0.05,
            "mental_health_acuity": rng.choices(["low", "moderate", "high"], [4, 4, 2])[0],
            "runaway_risk": rng.choices(["low", "moderate", "high"], [4, 4, 2])[0],
            "primary_language": rng.choices(["en", "es"], [8, 2])[0],
            "services_needed": rng.sample(
                [
                    "trauma_therapy",
                    "education",
                    "legal_advocacy",
                    "mental_health",
                    "mentoring",
                ],
                k=2,
            ),
            "exclusion_zones": [{"zip_code": "67202", "radius_miles": 10}]
            if rng.random() < 0.3
            else [],
            "max_distance_miles": rng.choice([None, 150, 300]),
            "notes": "Demo record. Recovered during a joint operation.",
        }

    def _through_workflow(self, survivor, status: str, worker: User, users: dict[str, User]):
        """Move a demo case along the real workflow to `status`, via the services."""
        home = Home.objects.get(name=CRISIS_CENTER)
        recommendation = recommendation_create(
            actor=worker,
            survivor_id=survivor.pk,
            home_id=home.pk,
            rationale="Crisis bed with 24/7 intake and trauma therapy, close to the child.",
        )
        if status == Status.PENDING_REVIEW:
            return
        review_create(
            actor=users["mdt"], recommendation_id=recommendation.pk, decision="approve",
            comment="Good fit.",
        )  # fmt: skip
        referral = referral_create(actor=worker, recommendation_id=recommendation.pk)
        if status == Status.REFERRED:
            return
        referral_accept(actor=users["homeadmin"], referral_id=referral.pk)
        placement = referral_place(actor=worker, referral_id=referral.pk)
        if status == Status.DISCHARGED:
            placement_discharge(
                actor=worker, placement_id=placement.pk, end_reason="reunified",
                comment="Returned to a safe relative.",
            )  # fmt: skip

    def _waitlist(self, survivor, worker: User) -> None:
        try:
            survivor_waitlist(actor=worker, survivor_id=survivor.pk)
        except DomainError:
            # The random directory happens to fit this child: keep the status for the demo.
            survivor_set_status(actor=worker, survivor=survivor, status=Status.WAITLISTED)
