"""The header's menu, drawn once a process for each role, unread count and language, then
kept (core/templatetags/fragments.py): every page shows the menu as drawn afresh, and
nothing of one user's page reaches another's."""

from __future__ import annotations

import itertools

from django.template import engines
from django.utils import translation

from accounts.models import Role, User
from core.templatetags import fragments

PAGE = engines["django"].from_string('{% extends "base.html" %}')
ROLES = [(role, False) for role in Role.values] + [(Role.CASE_WORKER, True)]


def _page(role: str, superuser: bool, unread: int, language: str, name: str = "ana") -> str:
    user = User(username=name, role=role, is_superuser=superuser)
    with translation.override(language):
        return PAGE.render({"user": user, "unread_notifications": unread})


def test_each_menu_kept_is_the_menu_drawn_afresh():
    combinations = list(itertools.product(ROLES, (0, 1, 2), ("en", "es")))
    drawn = {}
    for (role, superuser), unread, language in combinations:
        fragments._KEPT.clear()
        drawn[role, superuser, unread, language] = _page(role, superuser, unread, language)
    fragments._KEPT.clear()
    # Every menu kept first, in another order, then each page read again from what is kept.
    for (role, superuser), unread, language in reversed(combinations):
        _page(role, superuser, unread, language)
    for (role, superuser), unread, language in combinations:
        assert _page(role, superuser, unread, language) == drawn[role, superuser, unread, language]
    # They differ where a reader would see it: the badge, the language, the role's links.
    assert drawn[Role.CASE_WORKER, False, 2, "en"] != drawn[Role.CASE_WORKER, False, 1, "en"]
    assert 'aria-label="2 unread">2</span>' in drawn[Role.CASE_WORKER, False, 2, "en"]
    assert ">Avisos<" in drawn[Role.CASE_WORKER, False, 0, "es"]
    assert "Reports" in drawn[Role.CASE_WORKER, True, 0, "en"]
    assert "Reports" not in drawn[Role.CASE_WORKER, False, 0, "en"]


def test_a_kept_menu_never_carries_another_users_name():
    first = _page(Role.CASE_WORKER, False, 0, "en", name='<b>"ana"</b>')
    second = _page(Role.CASE_WORKER, False, 0, "en", name="bea")
    assert "&lt;b&gt;&quot;ana&quot;&lt;/b&gt; · Case worker" in first
    assert "bea · Case worker" in second and "ana" not in second


def test_the_kept_menus_are_bounded(monkeypatch):
    size = 4
    monkeypatch.setattr(fragments, "FRAGMENTS_MAX", size)
    fragments._KEPT.clear()
    for unread in range(10):
        _page(Role.CASE_WORKER, False, unread, "en")
        assert len(fragments._KEPT) <= size
    assert 'aria-label="9 unread">9</span>' in _page(Role.CASE_WORKER, False, 9, "en")
