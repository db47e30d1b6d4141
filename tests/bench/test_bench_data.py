"""`make bench` loads its homes with COPY, column by column, outside the ORM: a new
NOT NULL column on homes_home must not break it silently (it did once)."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import pytest
from django.utils import timezone

from homes.models import Home

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _bench_data():
    path = Path(__file__).resolve().parents[2] / "bench" / "data.py"
    spec = importlib.util.spec_from_file_location("bench_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_it_loads_the_bench_homes_into_the_current_schema():
    _bench_data().load_homes(25, 0, random.Random(7), timezone.now())

    homes = Home.objects.filter(name__startswith="Bench ")
    assert homes.count() == 25
    for home in homes:
        home.full_clean()  # every row the bench makes is a home the app accepts


def test_homes_drawn_on_a_saved_template_are_the_homes_drawn_in_one_run():
    """`--reuse-homes` draws a larger size's homes on a smaller size's template, from the
    rng state and clock the template saved: the rows must be those one run draws."""
    from datetime import datetime

    data = _bench_data()
    now = timezone.now()
    whole = "".join(data.home_rows(30, 0, random.Random(250_000), now))

    first = random.Random(250_000)
    rows = "".join(data.home_rows(12, 0, first, now))
    saved, saved_now = data.rng_saved(first), datetime.fromisoformat(now.isoformat())
    later = random.Random()
    data.rng_restore(later, saved)
    rows += "".join(data.home_rows(18, 12, later, saved_now))

    assert rows == whole
