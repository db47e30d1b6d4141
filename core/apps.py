from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The bottom floor: vocabulary, domain errors, API error shapes, template filters."""

    name = "core"
