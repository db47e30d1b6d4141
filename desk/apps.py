from __future__ import annotations

from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The top floor: the pages that gather several apps (each role's home page, a
    child's case page, the home admin's page) and the admin screens whose saves go
    through the workflow. No models."""

    name = "desk"
