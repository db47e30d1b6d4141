"""Survivor records' API under /api/v1/. One record (`survivors/{id}/`) is the
workflow's route (placement/api_urls.py): a change re-checks the child's referrals."""

from __future__ import annotations

from django.urls import path

from survivors.apis import SurvivorListCreateApi
from survivors.audit_apis import AuditListApi

urlpatterns = [
    path("survivors/", SurvivorListCreateApi.as_view(), name="survivor-list"),
    path("audit/", AuditListApi.as_view(), name="audit-list"),
]
