from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from core.vocab import STATE_CHOICES
from reports.filters import report_filters
from reports.types import Filters


class ReportFilterForm(forms.Form):
    """The period and state of a report page (GET). `from` is a Python keyword: the
    fields are named as the query string names them, and added below."""

    state = forms.ChoiceField(
        choices=[("", "All states"), *STATE_CHOICES], required=False, label="Custody state"
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        try:
            data["filters"] = report_filters(
                date_from=data.get("from"), date_to=data.get("to"), state=data.get("state")
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(name, message)
        return data

    @property
    def filters(self) -> Filters:
        return self.cleaned_data["filters"]


def _date(label: str, help_text: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text=help_text,
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}),
    )


ReportFilterForm.base_fields = {
    "from": _date("From", "Rounded down to the 1st of its month."),
    "to": _date("To", "Rounded up to the end of its month."),
    **ReportFilterForm.base_fields,
}
