"""Survivor records' API under /api/v1/. The list and one record (`survivors/`,
`survivors/{id}/`) are the workflow's routes (placement/api_urls.py): an intake opens the
legal duties it calls for, a change re-checks the child's referrals."""

from __future__ import annotations

from django.urls import path

from survivors.apis import SurvivorAssignApi
from survivors.audit_apis import AuditListApi

urlpatterns = [
    path("audit/", AuditListApi.as_view(), name="audit-list"),
    path("survivors/<record_id:id>/assign/", SurvivorAssignApi.as_view(), name="survivor-assign"),
]
