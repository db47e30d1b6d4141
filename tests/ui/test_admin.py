from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry

HARBOR_APPS = {
    "accounts", "audit", "homes", "survivors", "matching", "notifications", "placement",
}  # fmt: skip


def test_it_has_an_admin_page_for_every_model(admin_user, survivor, home):
    client = Client()
    client.force_login(admin_user)
    for model in apps.get_models():
        if model._meta.app_label not in HARBOR_APPS:
            continue
        assert admin.site.is_registered(model), model
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_it_audits_an_admins_read_and_edit_of_a_survivor(admin_user, survivor):
    client = Client()
    client.force_login(admin_user)
    url = reverse("admin:survivors_survivor_change", args=[survivor.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert AuditEntry.objects.filter(action="survivor.read", survivor_id=survivor.pk).exists()
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}
    data.update(
        {
            "icpc_approved_states": "[]", "services_needed": "[]", "exclusion_zones": "[]",
            "urgency": "crisis", "first_name": "Jane", "last_name": "Roe", "notes": "",
            "StatusChangeInline-TOTAL_FORMS": "0", "status_changes-TOTAL_FORMS": "0",
            "status_changes-INITIAL_FORMS": "0",
        }
    )  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    survivor.refresh_from_db()
    assert survivor.urgency == "crisis"
    update = AuditEntry.objects.get(action="survivor.update", survivor_id=survivor.pk)
    assert update.after == {"urgency": "crisis"}
