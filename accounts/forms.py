"""The sign-in forms (password, second factor, enrolment, a new password), and the admin's
user forms. Each field carries what its input needs on a phone (autocomplete, inputmode,
the hint); the pages render it with the one field template (core.forms)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from accounts.mfa import CODE_MAX_LENGTH
from accounts.models import PROFILE_LANGUAGE_CHOICES, Agency, User
from core.forms import FocusesErrors


def _app_code_input() -> forms.TextInput:
    """The authenticator app's 6 digits: a phone offers its number pad and the code it
    received."""
    return forms.TextInput(
        attrs={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "autocapitalize": "none",
            "spellcheck": "false",
        }
    )


class SignInForm(AuthenticationForm):
    """Django sets the username's max_length after the field is built, so no validator
    checks it; an over-long name then reached the failed-sign-in record (django-axes,
    a 255-character column) and failed there. Here it is a form error, like on the API."""

    def __init__(self, request=None, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        field = self.fields["username"]
        if isinstance(field, forms.CharField) and field.max_length is not None:
            field.validators.append(MaxLengthValidator(field.max_length))
        # The page does not jump to the field (Django's form does): it opens on its heading.
        field.widget.attrs.pop("autofocus", None)

    def clean(self) -> dict[str, Any]:
        """Django's check, with no other attempt on the same account at the same time
        (accounts.lockout): the lockout then holds after exactly 5 failures. The error
        is raised once the guard's transaction has kept axes' count of the failure."""
        from accounts.lockout import account_guard

        refused: ValidationError | None = None
        # The cleaned name: the raw one may hold what its field refused (a NUL byte, which
        # PostgreSQL cannot take), and then no password is checked at all.
        with account_guard(self.cleaned_data.get("username")):
            try:
                cleaned = super().clean()
            except ValidationError as error:
                refused = error
        if refused is not None:
            raise refused
        return cleaned


class AgencyAdminForm(forms.ModelForm):
    """The Django admin's agency form: says what the time zone is for and how to name it."""

    class Meta:
        model = Agency
        fields = ["code", "name", "state", "time_zone", "language", "active"]
        help_texts = {
            "time_zone": "Every time on this agency's pages is shown in this zone, named. An "
            "IANA name such as America/Chicago or America/Denver; leave blank for the "
            "state's main zone.",
        }


class SecondFactorForm(FocusesErrors, forms.Form):
    """The second sign-in step: a code from the authenticator app, or a recovery code.

    Two inputs, so that a phone offers digits for the app's code and letters for a
    recovery code; whichever is filled is checked (accounts.mfa.second_factor_verify).
    """

    code = forms.CharField(
        required=False,
        max_length=CODE_MAX_LENGTH,
        label="Code from your app",
        widget=_app_code_input(),
    )
    recovery_code = forms.CharField(
        required=False,
        max_length=CODE_MAX_LENGTH,
        label="Recovery code",
        help_text="One of the codes you saved when you set up the app, such as "
        "ABCD-EFGH-JKMN-PQRS. Each works once.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The page is this code: the cursor starts in it.
        self.fields["code"].widget.attrs["autofocus"] = True

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not self.errors and not data.get("code") and not data.get("recovery_code"):
            self.add_error("code", "Enter the 6-digit code your authenticator app shows.")
        return data

    @property
    def submitted_code(self) -> str:
        """The app's code when given, else the recovery code."""
        return self.cleaned_data.get("code") or self.cleaned_data.get("recovery_code") or ""

    @property
    def field_name(self) -> str:
        return "code" if self.cleaned_data.get("code") else "recovery_code"


class EnrolForm(FocusesErrors, forms.Form):
    """Enrolment's last step: the first code the newly added authenticator shows."""

    code = forms.CharField(
        max_length=CODE_MAX_LENGTH,
        label="Code from your app",
        help_text="The 6 digits the app now shows for Harbor.",
        widget=_app_code_input(),
    )


class RecoveryCodesRenewForm(FocusesErrors, forms.Form):
    """New recovery codes need the second factor again: a code from the app."""

    code = forms.CharField(
        max_length=CODE_MAX_LENGTH,
        label="Code from your app",
        help_text="The 6 digits your authenticator app shows for Harbor.",
        widget=_app_code_input(),
    )


class PasswordChangePageForm(FocusesErrors, PasswordChangeForm):
    """Django's password change, with the page's one hint, for the new password (in place
    of the list of validators), and no jump to the first field until one is wrong."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].widget.attrs.pop("autofocus", None)
        self.fields["new_password1"].help_text = (
            "At least 12 characters; a phrase of a few words is easy to type and hard to "
            "guess. Not a common password, not only digits, not like your name."
        )
        self.fields["new_password2"].help_text = ""


class LanguageForm(forms.Form):
    """The language of the user's pages and emails (the API's serializer offers the same
    choices; accounts.services.user_language_set checks them)."""

    language = forms.ChoiceField(
        label=_("Language"),
        choices=PROFILE_LANGUAGE_CHOICES,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Pages and emails in this language. Your browser's: whatever it asks for."),
    )


class HarborUserChangeForm(UserChangeForm):
    """The admin's user form: "CW_A1" is refused while "cw_a1" exists (a form error,
    where the database's case-insensitive constraint would otherwise answer a 500)."""

    class Meta(UserChangeForm.Meta):
        model = User

    def clean_username(self) -> str | None:
        username = self.cleaned_data.get("username")
        if (
            username
            and User.objects.filter(username__iexact=username).exclude(pk=self.instance.pk).exists()
        ):
            raise forms.ValidationError(
                _("A user with that username already exists (usernames ignore case).")
            )
        return username
