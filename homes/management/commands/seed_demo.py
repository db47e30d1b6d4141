"""Realistic demo data: a few hundred homes across a dozen states, cases in every status,
and one sign-in per role. Running it again adds nothing."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Agency, Role, Team, User
from accounts.services import user_create
from homes.demo import demo_homes
from homes.models import Home
from homes.services import home_admin_grant
from survivors.models import Status, Survivor
from survivors.services import survivor_create, survivor_set_status

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

    @transaction.atomic
    def handle(self, *args, **options) -> None:
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
        for home in Home.objects.filter(name__startswith="Demo ").order_by("id")[:3]:
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
        today = timezone.localdate()
        zips = {"KS": ["66101", "66044", "67202", "66614"], "MO": ["64108", "63101", "65806"]}
        for index in range(count):
            worker = (
                users["mo-caseworker"]
                if index % 6 == 5
                else users["caseworker" if index % 2 == 0 else "caseworker2"]
            )
            state = "MO" if worker.username.startswith("mo-") else "KS"
            age = rng.randint(11, 17)
            birth = today - timedelta(days=age * 365 + rng.randint(1, 360))
            substance = rng.choices(["none", "in_recovery", "active"], [6, 3, 1])[0]
            survivor = survivor_create(
                actor=worker,
                data={
                    "case_number": f"DEMO-{state}-{1000 + index}",
                    "first_name": rng.choice(FIRST),
                    "last_name": rng.choice(LAST),
                    "date_of_birth": date(birth.year, birth.month, birth.day),
                    "gender": rng.choices(["female", "male", "nonbinary"], [7, 2, 1])[0],
                    "guardianship": rng.choices(["state", "parent", "legal_guardian"], [6, 3, 1])[
                        0
                    ],
                    "custody_state": state,
                    "icpc_approved_states": rng.sample(
                        ["MO", "NE", "OK", "IA", "CO"], k=rng.randint(0, 2)
                    ),
                    "residence_zip": rng.choice(zips[state]),
                    "urgency": rng.choice(["crisis", "planned"]),
                    "substance_use": substance,
                    "needs_detox": substance == "active" and rng.random() < 0.3,
                    "dependents": 1 if rng.random() < 0.1 else 0,
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
                    "exclusion_zones": [{"zip_code": rng.choice(zips[state]), "radius_miles": 10}]
                    if rng.random() < 0.3
                    else [],
                    "max_distance_miles": rng.choice([None, 150, 300]),
                    "notes": "Demo record. Recovered during a joint operation.",
                },
            )
            status = statuses[index % len(statuses)]
            survivor_set_status(actor=worker, survivor=survivor, status=status, note="demo data")
        return count
