from __future__ import annotations

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """De-identified aggregates for supervisors and admins: unmet need, what blocks
    children, time to placement, referral answers and placement outcomes."""

    name = "reports"
