from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Agency, Role, Team, User
from audit.services import audit_record


@transaction.atomic
def user_create(
    *,
    actor: Any | None,
    username: str,
    password: str,
    role: str,
    agency_code: str | None = None,
    team_name: str | None = None,
    email: str = "",
    phone: str = "",
) -> User:
    """Create a user with a role; a missing agency or team is created on the way.

    Homes are granted by `homes.services.home_admin_create`, which calls this.
    A team needs an agency: it is created under `agency_code`, or under the agency
    of an existing team of that name.
    """
    if role not in Role.values:
        raise ValidationError(
            {"role": f"{role!r} is not a role; choose one of {', '.join(Role.values)}."}
        )
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": f"A user named {username!r} already exists."})
    agency = None
    if agency_code:
        agency, _ = Agency.objects.get_or_create(
            code=agency_code, defaults={"name": agency_code.upper(), "state": "KS"}
        )
    team = None
    if team_name:
        team = Team.objects.filter(name=team_name).first()
        if team is None:
            if agency is None:
                raise ValidationError({"team": "A new team needs --agency: whose team is it?"})
            team = Team.objects.create(name=team_name, agency=agency)
        if agency is None and role in (Role.CASE_WORKER, Role.SUPERVISOR):
            agency = team.agency

    user = User(
        username=username,
        role=role,
        agency=agency,
        team=team,
        email=email,
        phone=phone,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        after={"username": username, "role": role, "agency": agency_code, "team": team_name},
    )
    return user
