"""The calendar day a user's pages live in.

Pages run in the signed-in user's zone (accounts.middleware.TimeZoneMiddleware): for a
Kansas case worker, 7 p.m. in Kansas is already tomorrow in UTC. A test that builds an
expected date for a page from the test process's UTC day fails every evening in the
Americas, so it asks here instead.
"""

from __future__ import annotations

import datetime
import zoneinfo

from django.utils import timezone

from accounts.middleware import user_zone_name


def today_of(user) -> datetime.date:
    """Today as the user's pages see it."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(user_zone_name(user)))
