"""The sign-in form: Django's, with the username's length checked like any field."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

from accounts.models import Agency


class SignInForm(AuthenticationForm):
    """Django sets the username's max_length after the field is built, so no validator
    checks it; an over-long name then reached the failed-sign-in record (django-axes,
    a 255-character column) and failed there. Here it is a form error, like on the API."""

    def __init__(self, request=None, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))


class AgencyAdminForm(forms.ModelForm):
    """The Django admin's agency form: says what the time zone is for and how to name it."""

    class Meta:
        model = Agency
        fields = ["code", "name", "state", "time_zone", "active"]
        help_texts = {
            "time_zone": "Every time on this agency's pages is shown in this zone, named. An "
            "IANA name such as America/Chicago or America/Denver; leave blank for the "
            "state's main zone.",
        }
