"""The Indian Child Welfare Act's placement preferences (25 U.S.C. 1915(b)) as a ranking:
for an Indian child, a home's preference tier comes before its score.

The statute's order, absent good cause: (1) a member of the child's extended family;
(2) a foster home licensed, approved or specified by the child's tribe; (3) an Indian
foster home licensed or approved by an authorized non-Indian licensing authority; (4) an
institution for children approved by an Indian tribe or operated by an Indian
organization. A tribe may set its own order (1915(c)); the caller passes it as
`SurvivorNeeds.icwa_order`, and a tier is then the place in that order.
"""

from __future__ import annotations

import numpy as np

from .directory import Directory
from .types import ICWA_CATEGORIES, HomeOffer, SurvivorNeeds

# Sorted after every tier: a home outside the preferences.
OUTSIDE = np.int64(99)

PREFERENCE_LABELS = {
    "extended_family": "a member of the child's extended family",
    "tribe_approved": "a foster home licensed or approved by the child's tribe",
    "indian_foster_home": "an Indian foster home",
    "tribal_institution": "an institution approved by a tribe or run by an Indian organization",
}


def preference_of(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    """Which of ICWA's preferences the home is for this child, if any. A home approved
    by another tribe than the child's is not the child's tribe's home."""
    category = home.icwa_category
    if category == "tribe_approved":
        return category if home.approving_tribes & needs.tribes else None
    if category in ("indian_foster_home", "tribal_institution"):
        return category
    return None


def icwa_tier(needs: SurvivorNeeds, home: HomeOffer) -> int | None:
    """The home's tier (1 best) in the child's order of preferences; None when ICWA does
    not cover the child or the home is outside the preferences."""
    if not needs.icwa_applies:
        return None
    preference = preference_of(needs, home)
    if preference is None or preference not in needs.icwa_order:
        return None
    return needs.icwa_order.index(preference) + 1


def tier_rows(needs: SurvivorNeeds, directory: Directory, rows: np.ndarray) -> np.ndarray:
    """icwa_tier over the directory rows `rows`, OUTSIDE for None (vectorised)."""
    table = np.full(len(ICWA_CATEGORIES), OUTSIDE, np.int64)
    for code, category in enumerate(ICWA_CATEGORIES):
        if category in needs.icwa_order and category != "none":
            table[code] = needs.icwa_order.index(category) + 1
    codes = directory.column("icwa_category")[rows].astype(np.intp)
    # A level the engine does not know loads as -1: outside the preferences.
    tiers = np.where(codes >= 0, table[np.maximum(codes, 0)], OUTSIDE)
    approved = codes == ICWA_CATEGORIES.index("tribe_approved")
    if approved.any():
        ours = directory.count_tags("approving_tribes", needs.tribes, rows) > 0
        tiers = np.where(approved & ~ours, OUTSIDE, tiers)
    return tiers
