"""A separate process with its own matching directory, as a gunicorn worker has.

The freshness tests start a few of these on the test database and ask each, line by
line on stdin, what a case worker's search would show right now:

    listed HOME_ID   ->  {"listed": bool, "beds": int|null, "phone": str|null, "applied": n,
                          "full_loads": n}

`listed` is whether a search for a child any home takes lists the home, `beds` the
free beds the search knows of, `phone` the intake phone a page would show with it,
`applied` how many home rows the sync before it read.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    import django

    django.setup()
    from django.utils import timezone

    from matching.directory import directory_cache
    from matching.selectors import home_contacts, match_needs, needs_from_fields

    needs = needs_from_fields(
        {"age": 15, "gender": "female", "guardianship": "parent", "custody_state": "KS"},
        today=timezone.localdate(),
    )
    print("ready", flush=True)
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command != "listed":
            print(json.dumps({"error": f"unknown command {command!r}"}), flush=True)
            continue
        home_id = int(argument)
        result = match_needs(needs, limit=100_000)
        applied = directory_cache.last_applied
        directory = directory_cache.current()
        row = directory.row_of(home_id)
        beds = None if row is None else int(directory.column("available_beds")[row])
        contact = home_contacts([home_id]).get(home_id)
        print(
            json.dumps(
                {
                    "listed": any(r.home.id == home_id for r in result.results),
                    "beds": beds,
                    "phone": None if contact is None else contact.intake_phone,
                    "applied": applied,
                    "full_loads": directory_cache.full_loads,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
