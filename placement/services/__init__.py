"""The placement workflow's writes, one module per aggregate. Every service here:

- asks `placement.policy` who may do it (NotFound for a record the actor may not
  see, Forbidden for a role that may not do this) and checks what the state allows
  (Conflict with the reason); pages and the API call them through `policy.attempt`;
- re-checks the matching rules on the locked survivor and home rows before any
  commitment (refer, accept, place, a crisis override): `rules.rules_check`;
- locks rows in one order: the survivor, then the referral (or recommendation or
  placement), then the home;
- records each status change, bed movement and its own audit entry in the same
  transaction, and sends notifications (queued on commit).
"""

from __future__ import annotations

from placement.services.answer_links import referral_answer_by_link
from placement.services.answers import (
    referral_accept,
    referral_decline,
    referral_record_answer,
)
from placement.services.cases import case_create, case_update, referrals_recheck
from placement.services.duties import duties_chase, duty_complete, missing_return, missing_start
from placement.services.jobs import (
    holds_expire,
    overrides_chase,
    referral_expire,
    referrals_chase,
)
from placement.services.placements import placement_discharge, referral_place
from placement.services.recommendations import recommendation_create
from placement.services.referrals import (
    MAX_ACTIVE_REFERRALS,
    referral_create,
    referral_withdraw,
)
from placement.services.reviews import review_create
from placement.services.safety import keep_apart_create, keep_apart_end
from placement.services.waitlist import survivor_waitlist, waitlist_recheck

__all__ = [
    "MAX_ACTIVE_REFERRALS",
    "case_create",
    "case_update",
    "duties_chase",
    "duty_complete",
    "holds_expire",
    "missing_return",
    "missing_start",
    "keep_apart_create",
    "keep_apart_end",
    "overrides_chase",
    "placement_discharge",
    "recommendation_create",
    "referral_accept",
    "referral_answer_by_link",
    "referral_create",
    "referral_decline",
    "referral_expire",
    "referral_place",
    "referral_record_answer",
    "referral_withdraw",
    "referrals_chase",
    "referrals_recheck",
    "review_create",
    "survivor_waitlist",
    "waitlist_recheck",
]
