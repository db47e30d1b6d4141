"""The sessions' store (accounts/sessions.py) reads a session as Django's database store
does: the live one's data, nothing for an expired or unknown key, which it forgets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.sessions import SessionStore

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_it_loads_what_djangos_store_loads():
    stored = db.SessionStore()
    stored["_auth_user_id"] = "7"
    stored["note"] = 'ünïcode "quoted" <b>'
    stored.save()
    key = stored.session_key
    assert SessionStore(key).load() == db.SessionStore(key).load() == dict(stored.items())
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(1))
    for unknown in (key, "x" * 40, "short", None):
        mine, django = SessionStore(unknown), db.SessionStore(unknown)
        assert mine.load() == django.load() == {}
        assert mine.session_key is None and django.session_key is None
