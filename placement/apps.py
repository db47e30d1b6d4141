from __future__ import annotations

from django.apps import AppConfig


class PlacementConfig(AppConfig):
    """The placement workflow: recommendation, MDT review, referral, bed hold,
    placement, discharge and the waitlist."""

    name = "placement"
