from __future__ import annotations

from django.apps import AppConfig


class HomesConfig(AppConfig):
    name = "homes"
    verbose_name = "Safe homes"
