from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from accounts.mfa import totp_device_provision, totp_secret_decode
from accounts.models import Agency, Role, Team, User
from audit.models import Outcome
from audit.services import audit_record
from core.types import Actor


@transaction.atomic
def user_create(
    *,
    actor: Actor | None,
    username: str,
    password: str,
    role: str,
    agency_code: str | None = None,
    team_name: str | None = None,
    email: str = "",
    phone: str = "",
    totp_secret: str | None = None,
) -> User:
    """Create a user with a role; a missing agency or team is created on the way.

    Homes are granted by `homes.services.user_create_with_homes`, which calls this.
    A team needs an agency: it is created under `agency_code`, or under the agency
    of an existing team of that name. The password must pass AUTH_PASSWORD_VALIDATORS,
    and the username must differ from every other one by more than letter case. With
    `totp_secret` (base32, provisioned elsewhere) the user's authenticator is enrolled.
    """
    if role not in Role.values:
        raise ValidationError(
            {
                "role": gettext("%(role)r is not a role; choose one of %(roles)s.")
                % {"role": role, "roles": ", ".join(Role.values)}
            }
        )
    twin = User.objects.filter(username__iexact=username).values_list("username", flat=True)
    if twin:
        raise ValidationError(
            {
                "username": gettext("A user named %(name)r already exists (usernames ignore case).")
                % {"name": twin[0]}
            }
        )
    totp_key = totp_secret_decode(totp_secret) if totp_secret is not None else None
    agency, team = _agency_and_team(role, agency_code, team_name)
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
    _set_password_checked(user, password)
    user.save()
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        after={"username": username, "role": role, "agency": agency_code, "team": team_name},
    )
    if totp_key is not None:
        totp_device_provision(actor=actor, user=user, key=totp_key)
    return user


def _set_password_checked(user: User, password: str) -> None:
    """Set the new user's password; ValidationError naming the password and every field
    that is wrong, together."""
    errors: dict[str, list[str]] = {}
    try:
        # With the user's name and email known, so a password like them is refused too.
        validate_password(password, user=user)
    except ValidationError as exc:
        errors["password"] = exc.messages
    user.set_password(password)
    try:
        user.full_clean()
    except ValidationError as exc:
        errors = {**exc.message_dict, **errors}
    if errors:
        raise ValidationError(errors)


def _agency_and_team(
    role: str, agency_code: str | None, team_name: str | None
) -> tuple[Agency | None, Team | None]:
    """The user's agency and team, each created if missing."""
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
                raise ValidationError(
                    {"team": gettext("A new team needs --agency: whose team is it?")}
                )
            team = Team.objects.create(name=team_name, agency=agency)
        if agency is None and role in (Role.CASE_WORKER, Role.SUPERVISOR):
            agency = team.agency
    return agency, team


def user_password_change(
    *, actor: Actor, user: User, old_password: str, new_password: str, ip: str | None = None
) -> None:
    """A user's own password change (`POST auth/password/`; the page checks the current
    password with Django's form and calls `user_password_set`).

    ValidationError names `old_password` when the current password is wrong (audited
    as a failure) and `new_password` when a validator refuses the new one.
    """
    # Not user.check_password: that would re-hash and save an old-format hash, which is
    # a password change to everything watching the hash.
    if not isinstance(old_password, str) or not check_password(old_password, user.password):
        password_change_refused(actor=actor, user=user, ip=ip)
        raise ValidationError({"old_password": gettext("Your current password is not right.")})
    user_password_set(actor=actor, user=user, new_password=new_password, ip=ip)


def password_change_refused(*, actor: Actor, user: User, ip: str | None = None) -> None:
    """A password change refused for a wrong current password, on the trail."""
    audit_record(
        actor=actor,
        action="auth.password_change_failed",
        obj=user,
        outcome=Outcome.FAILED,
        after={"reason": "wrong current password"},
        ip=ip,
    )


@transaction.atomic
def user_password_set(
    *, actor: Actor, user: User, new_password: str, ip: str | None = None
) -> None:
    """Set a new password that AUTH_PASSWORD_VALIDATORS accept (ValidationError on
    `new_password` otherwise). The user's API tokens end with it (accounts.signals);
    a caller acting in the user's own session keeps it with `update_session_auth_hash`,
    and every other session of the user ends (its auth hash no longer matches)."""
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit_record(actor=actor, action="auth.password_changed", obj=user, ip=ip)


@transaction.atomic
def user_language_set(*, actor: Actor, user: User, language: str, ip: str | None = None) -> None:
    """The language of a user's pages and emails: a code of settings.LANGUAGES, or ""
    to follow the browser's. ValidationError names `language` for any other value."""
    if language not in {"", *dict(settings.LANGUAGES)}:
        raise ValidationError(
            {"language": _("Choose English, Spanish or your browser's language.")}
        )
    before = user.language
    if before == language:
        return
    user.language = language
    user.save(update_fields=["language"])
    audit_record(
        actor=actor,
        action="auth.language_changed",
        obj=user,
        before={"language": before},
        after={"language": language},
        ip=ip,
    )
