from __future__ import annotations

import pytest
from django.urls import URLResolver, resolve
from drf_spectacular.generators import SchemaGenerator

from config import api
from tests.api.conftest import PASSWORD
from tests.api.payloads import home_full, survivor_full
from tests.api.permission_matrix import MATRIX, ROLES
from tests.placement.world import BODIES as WORKFLOW_BODIES

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def credentials(world, role):
    user = world.users[role]
    if user is None:
        return {"username": "nobody", "password": "not-a-password"}
    return {"username": user.username, "password": PASSWORD}


BODIES = {
    "credentials": credentials,
    "home_full": home_full,
    "home_patch": lambda world, role: {"name": "Lighthouse House II"},
    "availability": lambda world, role: {"available_beds": 3, "staff_on_duty": 4},
    "survivor_new": lambda world, role: survivor_full(world, role, case_number="NEW-0001"),
    "survivor_full": survivor_full,
    "survivor_patch": lambda world, role: {"urgency": "crisis", "dependents": 1},
    "profile_language": lambda world, role: {"language": "es"},
    "hand_off": lambda world, role: {"case_worker": "alice", "note": "Call her aunt at 9."},
    **WORKFLOW_BODIES,
}

CELLS = [
    pytest.param(name, method, role, id=f"{method} {name} as {role}")
    for (name, method), row in MATRIX.items()
    for role in ROLES
]


@pytest.mark.postgres
@pytest.mark.parametrize("name,method,role", CELLS)
def test_it_answers_every_role_as_the_matrix_says(world, client_for, name, method, role):
    row = MATRIX[(name, method)]
    expected = row["expect"][role]
    status, names = expected if isinstance(expected, tuple) else (expected, None)
    path = row["path"].format(**{key: obj.pk for key, obj in world.objects.items()})
    body = BODIES[row["body"]](world, role) if row["body"] else None

    response = getattr(client_for(world.users[role]), method.lower())(path, body, format="json")

    assert response.status_code == status, response.content[:400]
    if names is not None:
        returned = [item["id"] for item in response.json()["results"]]
        assert len(returned) == len(set(returned))
        assert set(returned) == {world.objects[n].pk for n in names}
        assert response.json()["count"] == len(names)
    if status == 404:
        assert response.json() == {"detail": "Not found.", "code": "not_found"}
    elif status in (401, 403):
        assert set(response.json()) == {"detail", "code"}


def _routes(patterns):
    """(url name, view class) of every route, included URL maps too."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns)
        else:
            callback = pattern.callback
            yield pattern.name, getattr(callback, "view_class", None) or callback.cls


def test_it_has_a_row_for_every_route_of_the_url_map():
    missing = [
        (name, method.upper())
        for name, view_class in _routes(api.urlpatterns)
        for method in HTTP_METHODS
        if hasattr(view_class, method) and (name, method.upper()) not in MATRIX
    ]
    assert not missing, f"add these routes to tests/api/permission_matrix.py: {missing}"


def test_it_has_a_row_for_every_operation_of_the_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    missing = []
    for path, operations in schema["paths"].items():
        name = resolve(path.replace("{id}", "1")).url_name
        missing += [(name, m.upper()) for m in operations if (name, m.upper()) not in MATRIX]
    assert not missing, f"add these routes to tests/api/permission_matrix.py: {missing}"


def test_it_decides_every_role_for_every_route():
    for route, row in MATRIX.items():
        assert tuple(row["expect"]) == ROLES, route
        assert row["body"] is None or row["body"] in BODIES, route
