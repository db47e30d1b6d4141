"""The world `make chaos` runs its workflow in, written to the file named on the command
line as JSON: the homes (with their free beds), the people and their API tokens, the
children for the workflow and for batches, and a directory file to import."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from accounts.tokens import token_issue  # noqa: E402
from homes.import_files import template_csv  # noqa: E402
from homes.services import home_admin_grant  # noqa: E402
from tests.factories import (  # noqa: E402
    AgencyFactory,
    HomeFactory,
    SurvivorFactory,
    TeamFactory,
    UserFactory,
)


def main(out: str, *, homes: int, children: int, batch_children: int) -> None:
    agency = AgencyFactory(code="chaos", name="Chaos agency", state="KS")
    team = TeamFactory(agency=agency, name="Chaos MDT")
    worker = UserFactory(username="chaos-worker", role="case_worker", agency=agency, team=team)
    mdt = UserFactory(username="chaos-mdt", role="mdt_member", team=team)
    admin = UserFactory(username="chaos-admin", role="admin")
    world: dict = {"homes": [], "children": [], "batch_children": []}
    for n in range(homes):
        home = HomeFactory(name=f"Chaos home {n}", available_beds=2)
        keeper = UserFactory(username=f"chaos-keeper-{n}", role="home_admin")
        home_admin_grant(actor=None, user=keeper, home=home)
        world["homes"].append(
            {"id": home.pk, "beds": home.available_beds, "token": token_issue(user=keeper)[0]}
        )
    for key, count in (("children", children), ("batch_children", batch_children)):
        for _ in range(count):
            child = SurvivorFactory(agency=agency, team=team)
            child.assigned_workers.add(worker)
            world[key].append(child.pk)
    world["tokens"] = {
        "worker": token_issue(user=worker)[0],
        "mdt": token_issue(user=mdt)[0],
        "admin": token_issue(user=admin)[0],
    }
    world["import_csv"] = template_csv().decode("utf-8")
    Path(out).write_text(json.dumps(world))


if __name__ == "__main__":
    main(
        sys.argv[1],
        homes=int(sys.argv[2]),
        children=int(sys.argv[3]),
        batch_children=int(sys.argv[4]),
    )
