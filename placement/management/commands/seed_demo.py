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
from accounts.services import user_create
from core.errors import DomainError
from core.vocab import Service
from homes.demo import demo_homes
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
# Statuses reached through the real workflow (recommendation, review, referral, hold,
# arrival, discharge), so a demo case in them has the records behind it.
WORKFLOW_STATUSES = {Status.PENDING_REVIEW, Status.REFERRED, Status.PLACED, Status.DISCHARGED}

DEMO_PASSWORD = "harbor-demo-2026"
AGENCIES = [
    ("ks-dcf", "Kansas Department for Children and Families", "KS"),
    ("mo-cd", "Missouri Children's Division", "MO"),
]
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

        created_homes = 0
        if not Home.objects.filter(name__startswith="Demo ").exists():
            homes = demo_homes(options["homes"], rng=rng, now=timezone.now(), prefix="Demo ")
            Home.objects.bulk_create(homes, batch_size=500)
            created_homes = len(homes)

        if not Home.objects.filter(name=CRISIS_CENTER).exists():
            Home.objects.create(
                name=CRISIS_CENTER, home_type="crisis_stabilization", state="KS", zip_code="66102",
                licensed_beds=16, available_beds=10, staff_on_duty=6, residents_per_staff=3,
                min_age=10, max_age=21, genders_served=["female", "male", "nonbinary"],
                substance_use_accepted="active", accepts_parenting=True, max_dependents=2,
                medical_level="complex", accepts_pregnant=True, mental_health_max="high",
                staff_secure=True, accepts_out_of_state=True, intake_24_7=True,
                languages=["en", "es"], services=sorted(s for s, _ in Service.choices),
                availability_updated_at=timezone.now(),
            )  # fmt: skip

        users: dict[str, User] = {}
        for username, role, agency, team in LOGINS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = user_create(
                    actor=None,
                    username=username,
                    password=DEMO_PASSWORD,
                    role=role,
                    agency_code=agency,
                    team_name=team,
                    email=f"{username}@example.org",
                )
            users[username] = user
        for home in Home.objects.filter(name__startswith="Demo ").order_by("-id")[:3]:
            home_admin_grant(actor=None, user=users["homeadmin"], home=home)

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
