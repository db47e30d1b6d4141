"""The sign-in form: Django's, with the username's length checked like any field."""

from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class SignInForm(AuthenticationForm):
    """Django sets the username's max_length after the field is built, so no validator
    checks it; an over-long name then reached the failed-sign-in record (django-axes,
    a 255-character column) and failed there. Here it is a form error, like on the API."""

    def __init__(self, request=None, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))
