"""A home's profile and its beds over REST: `homes/{id}/` and `homes/{id}/availability/`.

The homes app's routes but the workflow's views: a change to a home's free beds or
staff re-checks the waitlist at that home (placement.services.homes), which the homes
app cannot import. Reading, the permissions and the answers are the homes app's
(homes.apis, homes.permissions, homes.serializers).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.permissions import ReadOnly
from homes.apis import home_or_404
from homes.permissions import CanEditHomeProfile, CanUpdateAvailability
from homes.selectors import home_get
from homes.serializers import AvailabilitySerializer, HomeSerializer
from placement.services.homes import home_availability_report, home_profile_update


@extend_schema(tags=["homes"])
class HomeDetailApi(generics.GenericAPIView):
    """A home's profile. Its own admins may change all but what the license says
    (`home_type`, `state`, `licensed_beds`, `residents_per_staff`, `license_number`,
    `license_expires`, `active`: 400 naming the field if changed) and its beds and staff
    (through `availability/`); Harbor admins may change everything."""

    permission_classes = [IsAuthenticated & (ReadOnly | CanEditHomeProfile)]
    serializer_class = HomeSerializer
    filter_backends: list = []

    @extend_schema(operation_id="homes_retrieve")
    def get(self, request, id: int | None):
        return Response(HomeSerializer(home_or_404(request, id, "home.read")).data)

    @extend_schema(operation_id="homes_update")
    def put(self, request, id: int | None):
        return self._update(request, id, partial=False)

    @extend_schema(operation_id="homes_partial_update")
    def patch(self, request, id: int | None):
        return self._update(request, id, partial=True)

    def _update(self, request, home_id: int | None, *, partial: bool) -> Response:
        home = home_or_404(request, home_id, "home.update")
        self.check_object_permissions(request, home)
        serializer = HomeSerializer(home, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        home_profile_update(actor=request.user, home_id=home.pk, data=serializer.validated_data)
        return Response(HomeSerializer(home_get(user=request.user, home_id=home.pk)).data)


@extend_schema(tags=["homes"])
class HomeAvailabilityApi(generics.GenericAPIView):
    """Report a home's free beds and/or staff on duty.

    Atomic; refused with 400 unless 0 <= available_beds <= licensed_beds; stamps
    availability_updated_at/by and appends a row to the availability history.
    """

    permission_classes = [IsAuthenticated & CanUpdateAvailability]
    serializer_class = AvailabilitySerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="homes_availability_update",
        request=AvailabilitySerializer,
        responses={200: HomeSerializer},
    )
    def patch(self, request, id: int | None):
        home = home_or_404(request, id, "home.availability")
        self.check_object_permissions(request, home)
        serializer = AvailabilitySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        home_availability_report(actor=request.user, home_id=home.pk, **serializer.validated_data)
        return Response(HomeSerializer(home_get(user=request.user, home_id=home.pk)).data)
