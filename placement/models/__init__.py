"""The placement workflow's records, one module an aggregate: the workflow itself
(recommendation, review, referral, placement), the waitlist, mass recovery's batches,
the placements' follow-ups. Their tables keep the names they had when the workflow
lived in `matching/` (`matching_referral`, ...): moving the code moved no row.

Django loads an app's models from this module, and the app's code imports them from
here, never from the module that holds each."""

from __future__ import annotations

from placement.models.answer_links import AnswerLink
from placement.models.batches import BATCH_MAX_CHILDREN, Batch, BatchAssignment
from placement.models.duties import Duty, MissingEpisode
from placement.models.outcomes import FollowUp
from placement.models.safety import KEEP_APART_REASON_MAX, KeepApart
from placement.models.waitlist import WaitlistEntry, WaitlistOffer
from placement.models.workflow import (
    ANSWER_DECISIONS,
    CLOSE_REASON_MAX,
    TEXT_MAX,
    Placement,
    Recommendation,
    Referral,
    Review,
)

__all__ = [
    "ANSWER_DECISIONS",
    "AnswerLink",
    "BATCH_MAX_CHILDREN",
    "CLOSE_REASON_MAX",
    "KEEP_APART_REASON_MAX",
    "TEXT_MAX",
    "Batch",
    "BatchAssignment",
    "Duty",
    "FollowUp",
    "MissingEpisode",
    "KeepApart",
    "Placement",
    "Recommendation",
    "Referral",
    "Review",
    "WaitlistEntry",
    "WaitlistOffer",
]
