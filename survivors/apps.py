from __future__ import annotations

from django.apps import AppConfig


class SurvivorsConfig(AppConfig):
    name = "survivors"
