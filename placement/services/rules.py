"""Every commitment re-checks the matching rules on live rows (DESIGN.md, Workflow).

A search is a moment; between it and a commitment the child's record (a new
exclusion zone, an ICPC approval removed, a birthday) and the home's row (beds,
staff, deactivated) may change. Refer, accept, place and a crisis override call
`rules_check` on the survivor and home rows they hold locked, inside their
transaction, and a survivor's change re-checks every open referral at once.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.utils import timezone

from core.errors import RulesFailed
from engine import failed_rules
from homes.models import Home
from matching.selectors import ZONE_REASON, offer_of_home
from placement.selectors import case_needs
from survivors.models import Survivor


def live_failures(survivor: Survivor, home: Home, *, held_beds: int = 0) -> list[dict[str, str]]:
    """Each rule the home fails for the child, from the rows as given, today.

    `held_beds` are the beds already held for this child at this home: the `beds` and
    `staffing` rules count them as the child's own, not as taken.
    """
    failed: list[dict[str, str]] = []
    if not home.active:
        failed.append(
            {"rule": "active", "reason": f"{home.name} is not taking children (inactive)"}
        )
    offer = offer_of_home(home)
    if offer is None:
        return failed + [
            {
                "rule": "exclusion_zone",
                "reason": f"{home.name} has no known location, so its distance from the "
                "child's exclusion zones cannot be checked",
            }
        ]
    if held_beds:
        offer = dataclasses.replace(offer, available_beds=offer.available_beds + held_beds)
    needs = case_needs(survivor, today=timezone.localdate())
    return failed + [{"rule": f.rule, "reason": f.reason} for f in failed_rules(needs, offer)]


# Where an exclusion zone lies locates the trafficker (and so the child): only the case
# side reads it. A home is told that the child must be kept away from its area.
HOME_SAFE_REASONS = {
    "exclusion_zone": "The home lies inside an area the child must be kept away from",
    # Never which child: the home would learn who of its residents is linked to whom.
    "keep_apart": "A safety rule across cases keeps this child out of this home",
}


def for_the_home(failed: list[dict[str, str]]) -> list[dict[str, str]]:
    """The failures as a home may read them: no exclusion zone's ZIP or radius."""
    return [
        {**item, "reason": HOME_SAFE_REASONS.get(item["rule"], item["reason"])} for item in failed
    ]


def without_zones(failed: list[dict[str, str]]) -> list[dict[str, str]]:
    """The failures as an MDT member may read them, and as a notification (an inbox,
    an email) may carry them: "Inside an exclusion zone", no ZIP, radius or distance."""
    return [
        {**item, "reason": ZONE_REASON} if item["rule"] == "exclusion_zone" else item
        for item in failed
    ]


def rules_check(
    *, survivor: Survivor, home: Home, held_beds: int = 0, home_side: bool = False
) -> None:
    """Refuse (RulesFailed, 409 `rules_failed`) unless the home fits the child now.

    `home_side`: the refusal is shown to the home's admin, without the zone details.
    """
    failed = live_failures(survivor, home, held_beds=held_beds)
    if failed:
        raise RulesFailed(home.name, for_the_home(failed) if home_side else failed)


def lock_home(home_id: int) -> Home:
    """The home row, locked: the last lock of a commitment (survivor, referral, home)."""
    return Home.objects.select_for_update().get(pk=home_id)


def failures_text(failed: list[dict[str, Any]]) -> str:
    return "; ".join(item["reason"] for item in failed)
