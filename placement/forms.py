"""The workflow pages' forms. Each states the same fields and limits as its API
serializer (placement.serializers), from the same constants, so a page and the API
accept and refuse the same input; the services then decide."""

from __future__ import annotations

from django import forms

from placement.models import CLOSE_REASON_MAX, TEXT_MAX, Placement, Referral, Review
from placement.services import MAX_ACTIVE_REFERRALS

MAX_ID = 2**63 - 1


class _HomeIds(forms.Field):
    """Ticked home ids: whole numbers that fit an id, at most MAX_ACTIVE_REFERRALS."""

    default_error_messages = {
        "required": "Tick at least one home to propose (up to three).",
        "invalid": "Each home must be a home id from the results.",
        "too_many": f"Propose at most {MAX_ACTIVE_REFERRALS} homes at once.",
    }
    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        ids = []
        for item in value:
            text = str(item).strip()
            # An id fits a bigint: 19 digits at most (and int() of 4,300+ digits raises).
            digits = text.isascii() and text.isdigit() and len(text) <= 19
            if not digits or not 1 <= int(text) <= MAX_ID:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            if int(text) not in ids:
                ids.append(int(text))
        return ids

    def validate(self, value: list[int]) -> None:
        super().validate(value)
        if len(value) > MAX_ACTIVE_REFERRALS:
            raise forms.ValidationError(self.error_messages["too_many"], code="too_many")


class ProposeForm(forms.Form):
    homes = _HomeIds()
    rationale = forms.CharField(
        max_length=TEXT_MAX,
        error_messages={"required": "Say why these homes: the MDT reads it."},
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=Review.Decision.choices)
    comment = forms.CharField(max_length=TEXT_MAX, required=False)


class ReferForm(forms.Form):
    crisis_override = forms.BooleanField(required=False)
    justification = forms.CharField(max_length=TEXT_MAX, required=False)


class DeclineForm(forms.Form):
    reason_code = forms.ChoiceField(choices=Referral.ReasonCode.choices)
    comment = forms.CharField(max_length=TEXT_MAX, required=False)


class WithdrawForm(forms.Form):
    """Withdrawing lets the home give the beds away: a ticked box says it was meant
    (a page's own confirmation, which works without JavaScript; the API needs none)."""

    reason = forms.CharField(
        max_length=CLOSE_REASON_MAX,
        required=False,
        help_text="The home reads this: do not name the child.",
    )
    confirm = forms.BooleanField(
        label="I confirm: withdraw this referral",
        error_messages={"required": "Tick the box to confirm you are withdrawing this referral."},
    )


class DischargeForm(forms.Form):
    """No reason is chosen for the worker, and a ticked box says the discharge was meant."""

    end_reason = forms.ChoiceField(
        label="Discharge reason",
        choices=[("", "Choose a reason"), *Placement.EndReason.choices],
        error_messages={"required": "Choose why the child left."},
    )
    comment = forms.CharField(max_length=TEXT_MAX, required=False)
    confirm = forms.BooleanField(
        label="I confirm: the child has left this home",
        error_messages={"required": "Tick the box to confirm the child has left this home."},
    )


class EmptyForm(forms.Form):
    """Accept, place and waitlist post nothing but the CSRF token."""
