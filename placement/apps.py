from __future__ import annotations

from django.apps import AppConfig


class PlacementConfig(AppConfig):
    """The placement workflow: recommendation, MDT review, referral, bed hold,
    placement, discharge and the waitlist."""

    name = "placement"

    def ready(self) -> None:
        from homes.services import availability_changed

        availability_changed.connect(_recheck_waitlist, dispatch_uid="placement.waitlist")


def _recheck_waitlist(sender, *, home_id: int, **kwargs) -> None:
    """A home's beds or staff changed (committed): look for waitlisted children it now fits."""
    from placement.tasks import recheck_waitlist

    recheck_waitlist.delay(home_id=home_id)
