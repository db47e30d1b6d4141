"""`make bench` (its import part): a 10,000-home directory file imported on PostgreSQL.

Into a scratch database (`harbor_bench_import`, or BENCH_IMPORT_DATABASE_URL; dropped and
re-created each run), as a Harbor admin, through the service the API and the page call
(homes.imports.home_import_start, its job run inline as with no broker), prints one JSON
line: the seconds for a dry run of the CSV, the import that creates every home, a
re-import that changes nothing, and an XLSX dry run; with `ok` false (and exit 1) when
the creating import takes more than the 30 s the issue allows.

    .venv/bin/python bench/imports.py [--rows 10000]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path.pop(0)
sys.path.insert(0, str(ROOT))

BENCH_DB = os.environ.get(
    "BENCH_IMPORT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/harbor_bench_import"
)
os.environ["DATABASE_URL"] = BENCH_DB
os.environ["DEBUG"] = "false"
os.environ.pop("CELERY_BROKER_URL", None)
os.environ.pop("REDIS_URL", None)  # no broker: the job runs inline, timed here
os.environ.setdefault("SECRET_KEY", "bench-only-" + "k" * 40)
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "mvU2cR6sKcL0bI6xg8sT3J1a0d2m4k8n9p7q5r3s1t0=")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench import data  # noqa: E402

LIMIT_S = 30.0
ZIPS = {"KS": ["66101", "66044", "67202"], "MO": ["64108", "63101"], "TX": ["78701", "77002"]}


def directory_rows(count: int, rng: random.Random) -> list[dict[str, str]]:
    from homes.import_files import template_headers, template_row

    example = dict(zip(template_headers(), template_row(), strict=True))
    rows = []
    for i in range(count):
        state = rng.choice(sorted(ZIPS))
        licensed = rng.randint(2, 12)
        rows.append(
            {
                **example,
                "external_id": f"BENCH-{i:06d}",
                "name": f"Bench Home {i}",
                "home_type": rng.choice(["Safe home", "group_home", "foster", "Emergency shelter"]),
                "state": state,
                "zip_code": rng.choice(ZIPS[state]),
                "licensed_beds": str(licensed),
                "available_beds": str(rng.randint(0, licensed)),
                "languages": rng.choice(["en", "English; Spanish", "es;fr"]),
            }
        )
    return rows


def as_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def as_xlsx(rows: list[dict[str, str]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def timed(actor, name: str, content: bytes, *, dry_run: bool) -> tuple[float, object]:
    from homes.imports import home_import_start

    started = time.perf_counter()
    job = home_import_start(actor=actor, name=name, content=content, dry_run=dry_run)
    job.refresh_from_db()
    return time.perf_counter() - started, job


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()

    data.recreate_database(BENCH_DB)
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import User
    from homes.models import Home

    call_command("migrate", verbosity=0)
    admin = User.objects.create_user("bench-admin", password=None, role="admin")
    rows = directory_rows(args.rows, random.Random(10_000))
    content = as_csv(rows)

    dry_s, dry = timed(admin, "bench.csv", content, dry_run=True)
    create_s, created = timed(admin, "bench.csv", content, dry_run=False)
    again_s, again = timed(admin, "bench.csv", content, dry_run=False)
    xlsx_s, xlsx = timed(admin, "bench.xlsx", as_xlsx(rows), dry_run=True)
    line = {
        "rows": args.rows,
        "csv_mb": round(len(content) / 1e6, 1),
        "dry_run_s": round(dry_s, 1),
        "create_s": round(create_s, 1),
        "reimport_unchanged_s": round(again_s, 1),
        "xlsx_dry_run_s": round(xlsx_s, 1),
        "statuses": [dry.status, created.status, again.status, xlsx.status],
        "homes": Home.objects.count(),
        "unchanged": again.unchanged,
        "limit_s": LIMIT_S,
    }
    line["ok"] = (
        create_s <= LIMIT_S
        and line["statuses"] == ["checked", "imported", "imported", "checked"]
        and line["homes"] == args.rows
        and again.unchanged == args.rows
    )
    print(json.dumps(line), flush=True)
    return 0 if line["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
