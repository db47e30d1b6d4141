"""The benchmark's data: a scratch database, realistic homes loaded by COPY, and
random what-if bodies (the same mix of children for every size)."""

from __future__ import annotations

import hashlib
import io
import json
import random
from collections.abc import Iterator
from datetime import timedelta


def recreate_database(url: str, template: str | None = None) -> None:
    """Drop and create the database named at the end of `url` (a scratch database):
    empty, or a file copy of `template` (see the templates below)."""
    name = url.rsplit("/", 1)[1]
    conn = _admin(url)
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if template is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
        else:
            cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    conn.close()


# Homes kept between runs (`bench/run.py --reuse-homes`): per size, a template database
# `<scratch>_tpl_<size>` holding the migrated schema and that size's homes, nothing else.
# What made them is its database comment (JSON), read without connecting to it: the
# template takes no connections at all (ALLOW_CONNECTIONS false), so nothing ever stops
# `CREATE DATABASE ... TEMPLATE` from copying it.


def _admin(url: str):
    import psycopg2

    conn = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    return conn


def template_name(url: str, size: int) -> str:
    return f"{url.rsplit('/', 1)[1]}_tpl_{size}"


def templates(url: str) -> dict[int, dict]:
    """{size: what made it} of every finished template of `url`'s scratch database."""
    prefix = template_name(url, 0)[:-1]
    conn = _admin(url)
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database"
            " WHERE datistemplate AND starts_with(datname, %s)",
            [prefix],
        )
        rows = cursor.fetchall()
    conn.close()
    found = {}
    for name, comment in rows:
        size = name[len(prefix) :]
        if size.isdigit() and comment:  # no comment: its making was cut short
            found[int(size)] = json.loads(comment)
    return found


def save_template(url: str, size: int, made: dict) -> str:
    """Copy `url`'s scratch database (no connection may be open to it) to the template
    of `size`, replacing any; its comment says what made it. Returns its name."""
    name, template = url.rsplit("/", 1)[1], template_name(url, size)
    conn = _admin(url)
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
        if cursor.fetchone():
            cursor.execute(f'ALTER DATABASE "{template}" WITH IS_TEMPLATE false')
            cursor.execute(f'DROP DATABASE "{template}" WITH (FORCE)')
        # A thread of the bench (the outbox's sender) may still hold a connection.
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        cursor.execute(f'CREATE DATABASE "{template}" TEMPLATE "{name}" STRATEGY FILE_COPY')
        cursor.execute(f'ALTER DATABASE "{template}" WITH ALLOW_CONNECTIONS false')
        cursor.execute(f'COMMENT ON DATABASE "{template}" IS %s', [json.dumps(made)])
        cursor.execute(f'ALTER DATABASE "{template}" WITH IS_TEMPLATE true')
    conn.close()
    return template


def rng_saved(rng: random.Random) -> list:
    """The rng's state as JSON keeps it (a template's comment)."""
    return json.loads(json.dumps(rng.getstate()))


def rng_restore(rng: random.Random, saved: list) -> None:
    version, internal, gauss = saved
    rng.setstate((version, tuple(internal), gauss))


def rows_digest(state: tuple, now, count: int = 200) -> str:
    """sha256 of the first `count` homes' rows as generated from the rng `state`: equal
    for a template and this tree when this tree's generator would make the same homes."""
    rng = random.Random()
    rng.setstate(state)
    return hashlib.sha256("".join(home_rows(count, 0, rng, now)).encode()).hexdigest()


COPY_COLUMNS = [
    "name", "home_type", "state", "zip_code", "latitude", "longitude", "licensed_beds",
    "available_beds", "beds_held", "staff_on_duty", "residents_per_staff", "min_age", "max_age",
    "genders_served", "substance_use_accepted", "detox_on_site", "accepts_parenting",
    "max_dependents", "medical_level", "accepts_pregnant", "mental_health_max", "staff_secure",
    "accepts_out_of_state", "accepts_state_wards", "accepts_parent_placements", "intake_24_7",
    "accepts_juvenile_justice", "icwa_category", "approving_tribes", "languages", "services",
    "active", "availability_updated_at",
    "created_at", "modified_at",
    "external_id", "intake_phone", "intake_email", "contact_name", "license_number",
    "license_expires",
]  # fmt: skip


def home_rows(count: int, start: int, rng: random.Random, now) -> Iterator[str]:
    """COPY text lines of homes `start` .. `start + count - 1` (all 50 states + DC)."""
    from core.vocab import US_STATES
    from engine import zip_centroid
    from homes.demo import demo_home

    states = sorted(US_STATES)
    for index in range(start, start + count):
        home = demo_home(index, rng=rng, now=now, states=states, prefix="Bench ")
        # Own coordinates (the ZIP centroid, jittered a little) so the SQL floor can
        # compute distances too; the engine prefers them over the centroid as well.
        lat, lon = zip_centroid(home.zip_code)
        home.latitude = lat + rng.uniform(-0.05, 0.05)
        home.longitude = lon + rng.uniform(-0.05, 0.05)
        # Steady state: rows were written over the past day, not all in the last seconds.
        home.created_at = home.modified_at = now - timedelta(seconds=rng.uniform(60, 86400))
        row = []
        for column in COPY_COLUMNS:
            value = getattr(home, column)
            if isinstance(value, list):
                value = json.dumps(value)
            elif isinstance(value, bool):
                value = "t" if value else "f"
            elif value is None:
                value = "\\N"
            row.append(str(value).replace("\t", " "))
        yield "\t".join(row) + "\n"


def load_homes(count: int, start: int, rng: random.Random, now) -> None:
    """COPY `count` more realistic homes (all 50 states + DC) into homes_home."""
    from django.db import connection

    buffer = io.StringIO()
    buffer.writelines(home_rows(count, start, rng, now))
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY homes_home ({', '.join(COPY_COLUMNS)}) FROM STDIN", buffer)
        cursor.execute("ANALYZE homes_home")


def random_body(rng: random.Random) -> dict:
    from core.vocab import US_STATES
    from homes.demo import located_zips

    states = sorted(US_STATES)
    custody = rng.choice(states)
    substance = rng.choices(["none", "in_recovery", "active"], [6, 3, 1])[0]
    body = {
        "age": rng.randint(11, 17),
        "gender": rng.choices(["female", "male", "nonbinary"], [7, 2, 1])[0],
        "guardianship": rng.choices(["state", "parent", "legal_guardian"], [6, 3, 1])[0],
        "custody_state": custody,
        "icpc_approved_states": rng.sample(states, k=rng.randint(0, 4)),
        "residence_zip": rng.choice(located_zips(custody)),
        "urgency": rng.choice(["crisis", "planned"]),
        "substance_use": substance,
        "needs_detox": substance == "active" and rng.random() < 0.3,
        "dependents": 1 if rng.random() < 0.1 else 0,
        "medical_level": rng.choices(["none", "routine", "complex"], [5, 4, 1])[0],
        "pregnant": rng.random() < 0.05,
        "mental_health_acuity": rng.choices(["low", "moderate", "high"], [4, 4, 2])[0],
        "runaway_risk": rng.choices(["low", "moderate", "high"], [4, 4, 2])[0],
        "primary_language": rng.choice(["en", "en", "en", "es"]),
        "services_needed": rng.sample(["trauma_therapy", "education", "mental_health"], k=2),
        "max_distance_miles": rng.choice([None, 150, 400]),
    }
    if rng.random() < 0.3:
        body["exclusion_zones"] = [
            {"zip_code": rng.choice(located_zips(custody)), "radius_miles": rng.choice([5, 15, 30])}
        ]
    # About one child in five, read off a value already drawn: the bodies' other fields
    # stay those of earlier benches, so runs before and after the rule compare.
    body["juvenile_justice_involved"] = body["residence_zip"][-1] in "05"
    body["interpreter_needed"] = body["primary_language"] == "es" and body["age"] % 2 == 0
    return body
