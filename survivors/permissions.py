"""Who may do what to survivor records, once the queryset has decided who may see them.

Visibility (`Survivor.objects.visible_to`) comes first: a record the user may not
see is 404. These classes only answer what a role may do with what it can see.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from survivors import policy


class CanRecordIntake(BasePermission):
    """Case workers record intakes, for their own agency, and are assigned to them."""

    message = "Only a case worker records an intake."

    def has_permission(self, request, view) -> bool:
        return policy.may_record_intake(request.user)


class CanEditSurvivor(BasePermission):
    """Assigned case workers, the agency's supervisors and admins edit a record they see.

    MDT members see a need-to-know summary and never edit it.
    """

    message = "Your role may read this record but not change it."

    def has_object_permission(self, request, view, obj) -> bool:
        return policy.may_edit(request.user)
