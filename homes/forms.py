"""The home admin's bed and staff taps, as a Django form with the API's limits
(homes.serializers.AvailabilitySerializer); the service checks them against the home."""

from __future__ import annotations

from django import forms

from core.vocab import INT_MAX


class AvailabilityForm(forms.Form):
    available_beds = forms.IntegerField(min_value=0, max_value=INT_MAX, required=False)
    staff_on_duty = forms.IntegerField(min_value=0, max_value=INT_MAX, required=False)
    confirm = forms.BooleanField(required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        if (
            not self.errors
            and not cleaned.get("confirm")
            and cleaned.get("available_beds") is None
            and cleaned.get("staff_on_duty") is None
        ):
            raise forms.ValidationError("Tap the free beds or the staff on duty.")
        return cleaned
