from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users, agencies and MDT teams"

    def ready(self) -> None:
        # Connects the receivers: tokens end with a password change or deactivation
        # (signals), and every change to who may do what is on the trail (audit_receivers).
        from accounts import audit_receivers, signals  # noqa: F401
