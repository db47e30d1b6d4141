"""Receivers that put every change to who may do what on the audit trail.

Whatever path makes the change: the Django admin (the user pages, guardian's
object-permission pages), a service, a shell or a command. The acting user and their
address come from the request being served (`audit.context`, set by `AuditMiddleware`);
outside a request the actor is empty and `after["source"]` says where the change came
from (`command add_user`, `task`, `system`).

- `user.access_change`: a user's `role`, `agency`, `team`, `is_active`, `is_staff` or
  `is_superuser`, created or changed (before is null for a new user);
- `user.groups_change`, `user.user_permissions_change`, `group.permissions_change`;
- `permission.object_grant` / `permission.object_revoke`: a guardian object
  permission, on the object it is about (a home, say).

Changes that bypass model signals (a queryset `update()`, guardian's bulk assignment to
many users at once) are not seen here; Harbor's code makes none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from guardian.models import GroupObjectPermission, UserObjectPermission

from accounts.models import User
from audit.context import change_source, current_actor
from audit.services import audit_record, changes

ACCESS_FIELDS = ("role", "agency", "team", "is_active", "is_staff", "is_superuser")
_ACCESS_NAMES = {*ACCESS_FIELDS, "agency_id", "team_id"}
_STORED = ("role", "agency_id", "agency__code", "team_id", "team__name") + ACCESS_FIELDS[3:]


# --- Role, agency, team and the admin flags ------------------------------------------------


@receiver(pre_save, sender=User, dispatch_uid="accounts.audit_note_access")
def note_access(
    sender: type[User], instance: User, raw: bool = False, update_fields=None, **kwargs: Any
) -> None:
    """Read the stored row before the save, unless the save cannot change access (Django's
    `last_login` update at each sign-in costs no query)."""
    instance._harbor_access_before = None
    if raw or (update_fields is not None and not _ACCESS_NAMES & set(update_fields)):
        return
    stored = None
    if not instance._state.adding:
        stored = sender._base_manager.filter(pk=instance.pk).values(*_STORED).first()
    instance._harbor_access_before = stored or {}


@receiver(post_save, sender=User, dispatch_uid="accounts.audit_access_change")
def record_access_change(
    sender: type[User], instance: User, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    stored = instance.__dict__.pop("_harbor_access_before", None)
    if raw or stored is None:
        return
    now = _access(instance, stored)
    if stored:
        before, after = changes(_access_from_row(stored), now)
        if not after:
            return
    else:  # a new user: every field is a grant
        before, after = None, now
    actor, ip = current_actor()
    audit_record(
        actor=actor,
        action="user.access_change",
        obj=instance,
        before=before,
        after={**after, "source": change_source()},
        ip=ip,
    )


def _access_from_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "role": row["role"],
        "agency": row["agency__code"],
        "team": row["team__name"],
        **{name: row[name] for name in ACCESS_FIELDS[3:]},
    }


def _access(user: User, stored: dict[str, Any]) -> dict[str, Any]:
    """The user's access as saved, naming the agency by code and the team by name (a
    query only when the agency or team changed and is not loaded)."""
    if stored and user.agency_id == stored["agency_id"]:
        agency = stored["agency__code"]
    else:
        agency = user.agency.code if user.agency is not None else None
    if stored and user.team_id == stored["team_id"]:
        team = stored["team__name"]
    else:
        team = user.team.name if user.team is not None else None
    return {
        "role": user.role,
        "agency": agency,
        "team": team,
        **{name: getattr(user, name) for name in ACCESS_FIELDS[3:]},
    }


# --- Groups and permissions -----------------------------------------------------------------


@dataclass(frozen=True)
class _Relation:
    """One many-to-many of access: whose (`owner`) holds what (`target`)."""

    through: type[models.Model]
    owner: str  # the through table's column for the owner (a user, a group)
    target: str  # and for what it holds (a group, a permission)
    labels: tuple[str, ...]  # the path(s) that name what is held
    action: str
    object_type: str
    field: str

    def held(self, owner_ids: list[int]) -> dict[int, list[str]]:
        held: dict[int, list[str]] = {pk: [] for pk in owner_ids}
        rows = self.through._default_manager.filter(**{f"{self.owner}__in": owner_ids}).values_list(
            self.owner, *self.labels
        )
        for owner_id, *label in rows:
            held[owner_id].append(".".join(label))
        return {pk: sorted(names) for pk, names in held.items()}

    def owners(self, instance: Any, reverse: bool, pk_set: set[int] | None) -> list[int]:
        if not reverse:
            return [instance.pk]
        if pk_set is not None:
            return sorted(pk_set)
        rows = self.through._default_manager.filter(**{self.target: instance.pk})
        return sorted(set(rows.values_list(self.owner, flat=True)))


_PERMISSION = ("permission__content_type__app_label", "permission__codename")
_RELATIONS = {
    User.groups.through: _Relation(
        User.groups.through, "user_id", "group_id", ("group__name",),
        "user.groups_change", "accounts.user", "groups",
    ),
    User.user_permissions.through: _Relation(
        User.user_permissions.through, "user_id", "permission_id", _PERMISSION,
        "user.user_permissions_change", "accounts.user", "user_permissions",
    ),
    Group.permissions.through: _Relation(
        Group.permissions.through, "group_id", "permission_id", _PERMISSION,
        "group.permissions_change", "auth.group", "permissions",
    ),
}  # fmt: skip


def _m2m_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    """Before an add, remove or clear: what each affected owner holds; after: record each
    owner whose holdings changed, before and after."""
    relation = _RELATIONS[sender]
    mark = f"_harbor_{relation.action}_before"
    if action in ("pre_add", "pre_remove", "pre_clear"):
        owners = relation.owners(instance, reverse, pk_set)
        setattr(instance, mark, relation.held(owners))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    before = instance.__dict__.pop(mark, None)
    if not before:
        return
    after = relation.held(list(before))
    actor, ip = current_actor()
    source = change_source()
    for owner_id, held in before.items():
        if held != after[owner_id]:
            audit_record(
                actor=actor,
                action=relation.action,
                object_type=relation.object_type,
                object_id=str(owner_id),
                before={relation.field: held},
                after={relation.field: after[owner_id], "source": source},
                ip=ip,
            )


for _through in _RELATIONS:
    m2m_changed.connect(
        _m2m_changed, sender=_through, dispatch_uid=f"accounts.audit_m2m.{_through._meta.label}"
    )


# --- Guardian's object permissions ---------------------------------------------------------

_OBJECT_PERMISSIONS = (UserObjectPermission, GroupObjectPermission)


def _record_object_permission(row: Any, *, granted: bool) -> None:
    content_type = ContentType.objects.get_for_id(row.content_type_id)
    object_type = f"{content_type.app_label}.{content_type.model}"
    object_id = str(row.object_pk)[:64]
    if isinstance(row, UserObjectPermission):
        holder = {"user": row.user.get_username()}
    else:
        holder = {"group": row.group.name}
    state = {**holder, "permission": f"{content_type.app_label}.{row.permission.codename}"}
    actor, ip = current_actor()
    audit_record(
        actor=actor,
        action="permission.object_grant" if granted else "permission.object_revoke",
        object_type=object_type,
        object_id=object_id,
        survivor_id=int(object_id)
        if object_type == "survivors.survivor" and object_id.isdigit()
        else None,
        before={**state, "granted": not granted},
        after={**state, "granted": granted, "source": change_source()},
        ip=ip,
    )


def note_object_permission(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """An existing row edited in place (a shell): it is a revoke and a grant."""
    instance._harbor_permission_before = None
    if not raw and not instance._state.adding:
        instance._harbor_permission_before = sender._base_manager.filter(pk=instance.pk).first()


def record_object_permission_saved(
    sender: Any, instance: Any, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    old = instance.__dict__.pop("_harbor_permission_before", None)
    if raw:
        return
    if created:
        _record_object_permission(instance, granted=True)
        return
    fields = ["content_type_id", "object_pk", "permission_id", "user_id", "group_id"]
    if old is not None and any(getattr(old, f, None) != getattr(instance, f, None) for f in fields):
        _record_object_permission(old, granted=False)
        _record_object_permission(instance, granted=True)


def record_object_permission_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    _record_object_permission(instance, granted=False)


for _model in _OBJECT_PERMISSIONS:
    _label = _model._meta.label
    pre_save.connect(note_object_permission, sender=_model, dispatch_uid=f"audit.pre.{_label}")
    post_save.connect(
        record_object_permission_saved, sender=_model, dispatch_uid=f"audit.save.{_label}"
    )
    post_delete.connect(
        record_object_permission_deleted, sender=_model, dispatch_uid=f"audit.delete.{_label}"
    )
