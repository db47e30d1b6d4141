"""Who may change which home, and which parts of its profile.

A home's admins keep its profile (DESIGN: "keeps the home's profile, bed count and
staffing current"), but not what its license says. A licensing authority issues the
home's type, its state, its licensed capacity and the staffing ratio it must keep, and
the license number and expiry; whether a home is in the directory at all (`active`) is
Harbor's decision. A Harbor administrator records those from the license document, so
a home can never enlarge its own capacity, loosen its ratio, or extend an expired
license to get back into the results. Beds and staff on duty change through the
availability taps (`homes/{id}/availability/`), which keep their own history.

Who may see which homes is the queryset's (`Home.objects.visible_to`), beside the
`sees_whole_directory` rule it applies, which is asked for here like every other rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from accounts.models import Role
from audit.services import audit_refusal
from core.errors import NotFound
from core.types import RequestUser
from homes.models import AvailabilityChange, Home, sees_whole_directory

# Set by a Harbor administrator from the license; a home admin sees them read-only.
LICENSED_FIELDS = (
    "home_type",
    "state",
    "licensed_beds",
    "residents_per_staff",
    "license_number",
    "license_expires",
    "active",
)
# Changed through `home_update_availability` only, by a home admin.
AVAILABILITY_FIELDS = ("available_beds", "staff_on_duty")

LOCKED_MESSAGE = {
    "licensed": (
        "Only a Harbor administrator may change this: it comes from the home's license. "
        "Send the license to your Harbor administrator."
    ),
    "availability": "Report beds and staff on duty with the availability update instead.",
}


def home_refuse(*, user: RequestUser, home_id: int | None, action: str, ip: str | None) -> NoReturn:
    """NotFound for a home `user` may not know exists (or that does not exist): the
    API's 404 either way. A home admin's attempt is audited, whether or not that home
    exists; for a reader of the whole directory it is only a wrong id."""
    if not sees_whole_directory(user):
        _audit_refusal(user=user, home_id=home_id, action=action, ip=ip)
    raise NotFound()


def _audit_refusal(*, user: RequestUser, home_id: int | None, action: str, ip: str | None) -> None:
    audit_refusal(
        actor=user,
        action=action,
        object_type="homes.home",
        object_id=home_id,
        survivor_id=None,
        ip=ip,
    )


def may_edit_home(user: RequestUser, home: Home | int) -> bool:
    """The home's own admins (guardian `homes.change_home` on it), or a Harbor admin."""
    pk = home.pk if isinstance(home, Home) else home
    return Home.objects.editable_by(user).filter(pk=pk).exists()


def locked_fields(user: RequestUser) -> dict[str, str]:
    """Profile fields this user may not change, each with the reason a page shows.

    None is the system itself (a management command, a data migration): no lock."""
    if user is None or getattr(user, "is_harbor_admin", False):
        return {}
    return {
        **{name: LOCKED_MESSAGE["licensed"] for name in LICENSED_FIELDS},
        **{name: LOCKED_MESSAGE["availability"] for name in AVAILABILITY_FIELDS},
    }


def home_editable_or_refuse(
    *, user: RequestUser, home_id: int | None, action: str, ip: str | None
) -> Home:
    """The home if `user` may edit it; otherwise the attempt is audited and NotFound raised
    (a page answers 404: a home admin never learns more about another home than the
    shared directory tells)."""
    home = Home.objects.editable_by(user).filter(pk=home_id).first() if home_id else None
    if home is None:
        _audit_refusal(user=user, home_id=home_id, action=action, ip=ip)
        raise NotFound()
    return home


@dataclass(frozen=True)
class ChangeAuthor:
    """Who made a bed change, as one reader may know it (None: not theirs to know)."""

    username: str | None
    agency: str | None


def availability_author(reader: RequestUser | None, change: AvailabilityChange) -> ChangeAuthor:
    """The author of a change in the availability history, for the API and the home's page.

    Harbor's side of the home (its admins, Harbor's admins) is named to everyone. A case
    worker or supervisor is named only to their own agency and Harbor's admins; a reader
    of another agency sees which agency, not who (issue 29, finding 9). A home's admins
    see neither: which agency's worker held or filled a bed there is the case side's."""
    by = change.by
    if by is None:
        return ChangeAuthor(None, None)
    if by.is_harbor_admin or by.role == Role.HOME_ADMIN:
        return ChangeAuthor(by.username, None)
    if reader is None or not sees_whole_directory(reader):
        return ChangeAuthor(None, None)
    reader_agency = getattr(reader, "agency_id", None)
    same_agency = getattr(reader, "is_harbor_admin", False) or (
        reader_agency is not None and reader_agency == by.agency_id
    )
    agency = by.agency.name if by.agency is not None else None
    return ChangeAuthor(by.username if same_agency else None, agency)
