"""The workflow pages' forms. Each states the same fields and limits as its API
serializer (placement.serializers), from the same constants, so a page and the API
accept and refuse the same input; the services then decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from core.vocab import CASE_NUMBER_MAX, NAME_MAX, PHONE_MAX, GoodCause, validate_phone
from homes.models import Home
from placement.models import (
    ANSWER_DECISIONS,
    BATCH_MAX_CHILDREN,
    CLOSE_REASON_MAX,
    KEEP_APART_REASON_MAX,
    TEXT_MAX,
    FollowUp,
    Placement,
    Referral,
    Review,
)
from placement.services import MAX_ACTIVE_REFERRALS
from placement.services.batches import TIME_LIMIT_MAX

MAX_ID = 2**63 - 1


class _HomeIds(forms.Field):
    """Ticked home ids: whole numbers that fit an id, at most MAX_ACTIVE_REFERRALS."""

    default_error_messages = {
        "required": _("Tick at least one home to propose (up to three)."),
        "invalid": _("Each home must be a home id from the results."),
        "too_many": _("Propose at most %(most)s homes at once."),
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
            raise forms.ValidationError(
                self.error_messages["too_many"],
                code="too_many",
                params={"most": MAX_ACTIVE_REFERRALS},
            )


class ProposeForm(forms.Form):
    homes = _HomeIds()
    rationale = forms.CharField(
        max_length=TEXT_MAX,
        error_messages={"required": _("Say why these homes: the MDT reads it.")},
    )
    # ICWA: only needed for a home below a preferred one that could take the child.
    good_cause = forms.ChoiceField(
        choices=[("", "—"), *GoodCause.choices],
        required=False,
        label=_("Good cause to depart from ICWA's preferences (25 CFR 23.132)"),
    )
    good_cause_detail = forms.CharField(
        max_length=TEXT_MAX,
        required=False,
        label=_("Good cause, in writing"),
        widget=forms.Textarea(attrs={"rows": 2}),
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


class AnswerByPhoneForm(forms.Form):
    """A home's answer given off Harbor: the case worker's record of a phone call, and the
    home's own answer through its single-use link. The API's RecordAnswerSerializer."""

    decision = forms.ChoiceField(
        label=_("The home's answer"), choices=ANSWER_DECISIONS, widget=forms.RadioSelect
    )
    answered_by = forms.CharField(label=_("Who answered for the home"), max_length=NAME_MAX)
    answered_by_phone = forms.CharField(
        label=_("Their phone number"),
        max_length=PHONE_MAX,
        required=False,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    reason_code = forms.ChoiceField(
        label=_("Reason, if declined"),
        choices=[("", _("Choose a reason")), *Referral.ReasonCode.choices],
        required=False,
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, accepted: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if accepted:
            # The home already said yes: only its change of mind is left to record.
            field = self.fields["decision"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [c for c in ANSWER_DECISIONS if c[0] == "decline"]
            field.initial = "decline"


class WithdrawForm(forms.Form):
    """Withdrawing lets the home give the beds away: a ticked box says it was meant
    (a page's own confirmation, which works without JavaScript; the API needs none)."""

    reason = forms.CharField(
        max_length=CLOSE_REASON_MAX,
        required=False,
        help_text=_("The home reads this: do not name the child."),
    )
    confirm = forms.BooleanField(
        label=_("I confirm: withdraw this referral"),
        error_messages={
            "required": _("Tick the box to confirm you are withdrawing this referral.")
        },
    )


class DischargeForm(forms.Form):
    """No reason is chosen for the worker, and a ticked box says the discharge was meant."""

    end_reason = forms.ChoiceField(
        label=_("Discharge reason"),
        choices=[("", _("Choose a reason")), *Placement.DISCHARGE_REASONS],
        error_messages={"required": _("Choose why the child left.")},
    )
    comment = forms.CharField(max_length=TEXT_MAX, required=False)
    confirm = forms.BooleanField(
        label=_("I confirm: the child has left this home"),
        error_messages={"required": _("Tick the box to confirm the child has left this home.")},
    )


class KeepApartForm(forms.Form):
    """The other child by case number (what the worker knows; the API takes her id), and
    why (the API's `reason`, with its limit)."""

    required_css_class = "required"

    case_number = forms.CharField(
        label=_("Case number of the child to keep her apart from"),
        max_length=CASE_NUMBER_MAX,
        error_messages={"required": _("Give the other child's case number.")},
    )
    reason = forms.CharField(
        label=_("Why (read by the case side only)"),
        max_length=KEEP_APART_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why they must be kept apart.")},
    )


class EmptyForm(forms.Form):
    """Accept, place and waitlist post nothing but the CSRF token."""


# --- Mass recovery: a group of children placed by one plan --------------------------------

GROUP_MAX = 30  # a keep-together label typed beside a child ("A", "Ortiz siblings")
PAIRS_MAX = 20_000  # the keep-apart list: one pair of case numbers a line


class _SurvivorIds(_HomeIds):
    """Ticked children's ids: any number (the batch's limit is the service's)."""

    def validate(self, value: list[int]) -> None:
        forms.Field.validate(self, value)


class BatchForm(forms.Form):
    """Place a group: tick children among `candidates` (the user's visible active cases),
    give siblings the same group label, list keep-apart pairs by case number (one pair a
    line), and optionally a time limit. `cleaned_data` then holds `survivor_ids`,
    `keep_together` (lists of ids) and `keep_apart` (pairs of ids) for `batch_create`,
    which decides the rest (ids the user may not see are its 404)."""

    survivors = _SurvivorIds(
        error_messages={
            "required": _("Tick the children to place together."),
            "invalid": _("Each child must be a case from the list."),
        },
    )
    keep_apart = forms.CharField(
        label=_("Keep apart"),
        max_length=PAIRS_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One pair of case numbers a line, e.g. “KS-12, KS-15”: never in one home."),
    )
    pins = forms.CharField(
        label=_("Pin to a home"),
        max_length=PAIRS_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Optional, one a line: a case number, a colon and the home, e.g. "
            "“KS-12: Prairie Haven” (the home's name or #id). That child gets that home or none."
        ),
    )
    excluded_homes = forms.CharField(
        label=_("Leave out homes"),
        max_length=PAIRS_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional, one home a line (its name or #id): the plan will not use it."),
    )
    time_limit_seconds = forms.IntegerField(
        label=_("Time limit (seconds)"),
        min_value=1,
        max_value=TIME_LIMIT_MAX,
        required=False,
        help_text=_("Optional: the plan stops searching then and says how far from optimal."),
    )

    def __init__(self, *args, candidates=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        for survivor in self.candidates:
            self.fields[f"group_{survivor.pk}"] = forms.CharField(
                label=_("Group for case %(case)s") % {"case": survivor.case_number},
                max_length=GROUP_MAX,
                required=False,
            )

    def rows(self):
        """Each candidate with its checkbox state and group field, for the template."""
        data = self.data  # request.POST once bound
        ticked = set(data.getlist("survivors")) if isinstance(data, QueryDict) else set()
        return [
            (survivor, str(survivor.pk) in ticked, self[f"group_{survivor.pk}"])
            for survivor in self.candidates
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        ids = data.get("survivors") or []
        data["survivor_ids"] = ids
        groups: dict[str, list[int]] = {}
        for survivor in self.candidates:
            label = " ".join((data.get(f"group_{survivor.pk}") or "").split()).casefold()
            if not label:
                continue
            if survivor.pk not in ids:
                self.add_error(f"group_{survivor.pk}", _("Tick this child or clear its group."))
                continue
            groups.setdefault(label, []).append(survivor.pk)
        for label, members in groups.items():
            if len(members) == 1:
                self.add_error(
                    f"group_{members[0]}",
                    _("Only this child is in group “%(group)s”: give its siblings the same group.")
                    % {"group": label},
                )
        data["keep_together"] = [members for members in groups.values() if len(members) > 1]
        data["keep_apart"] = self._pairs(data.get("keep_apart") or "", ids)
        data["pins"] = self._pins(data.get("pins") or "", ids)
        data["excluded_home_ids"] = self._homes(data.get("excluded_homes") or "")
        return data

    def _home_id(self, text: str) -> tuple[int | None, str]:
        """A home named by "#id", a bare id or its name (case ignored); (id, problem)."""
        text = " ".join(text.split())
        number = text.removeprefix("#")
        if number.isascii() and number.isdigit() and len(number) <= 18:
            if Home.objects.filter(pk=int(number), active=True).exists():
                return int(number), ""
            return None, _("no active home has id %(id)s") % {"id": number}
        matches = list(
            Home.objects.filter(name__iexact=text, active=True).values_list("pk", flat=True)[:2]
        )
        if len(matches) == 1:
            return matches[0], ""
        if matches:
            return None, _("several homes are named “%(name)s”: give its #id") % {"name": text}
        return None, _("no active home is named “%(name)s”") % {"name": text}

    def _pins(self, text: str, ids: list[int]) -> dict[int, int]:
        by_number = {s.case_number.casefold(): s.pk for s in self.candidates if s.pk in ids}
        pins, problems = {}, []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            case, colon, home = line.partition(":")
            if not colon or not case.strip() or not home.strip():
                problems.append(
                    _("Line %(line)s: write a case number, a colon and the home.")
                    % {"line": number}
                )
                continue
            child = by_number.get(case.strip().casefold())
            if child is None:
                problems.append(
                    _("Line %(line)s: %(cases)s is not among the children ticked.")
                    % {"line": number, "cases": case.strip()}
                )
                continue
            home_id, problem = self._home_id(home)
            if home_id is None:
                problems.append(
                    _("Line %(line)s: %(problem)s.") % {"line": number, "problem": problem}
                )
                continue
            pins[child] = home_id
        if problems:
            self.add_error("pins", " ".join(problems))
        return pins

    def _homes(self, text: str) -> list[int]:
        homes, problems = [], []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            home_id, problem = self._home_id(line)
            if home_id is None:
                problems.append(
                    _("Line %(line)s: %(problem)s.") % {"line": number, "problem": problem}
                )
            elif home_id not in homes:
                homes.append(home_id)
        if problems:
            self.add_error("excluded_homes", " ".join(problems))
        return homes

    def _pairs(self, text: str, ids: list[int]) -> list[list[int]]:
        by_number = {s.case_number.casefold(): s.pk for s in self.candidates if s.pk in ids}
        pairs, problems = [], []
        for number, line in enumerate(text.splitlines(), start=1):
            parts = [part.strip() for part in line.replace(";", ",").split(",") if part.strip()]
            if not parts:
                continue
            if len(parts) != 2:
                problems.append(
                    _("Line %(line)s: give two case numbers separated by a comma.")
                    % {"line": number}
                )
                continue
            unknown = [part for part in parts if part.casefold() not in by_number]
            if unknown:
                problems.append(
                    _("Line %(line)s: %(cases)s is not among the children ticked.")
                    % {"line": number, "cases": ", ".join(unknown)}
                )
                continue
            pairs.append([by_number[parts[0].casefold()], by_number[parts[1].casefold()]])
        if problems:
            self.add_error("keep_apart", " ".join(problems))
        return pairs


class BatchReviewForm(forms.Form):
    """The MDT's decision on a whole plan: as a review of one recommendation."""

    decision = forms.ChoiceField(choices=Review.Decision.choices)
    comment = forms.CharField(max_length=TEXT_MAX, required=False)


class BatchCrisisForm(forms.Form):
    """A group at night: every child referred now, the MDT reviewing after the fact."""

    required_css_class = "required"

    justification = forms.CharField(
        label=_("Why the children cannot wait for the MDT's review"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("A crisis override needs a justification.")},
    )


class BatchSplitForm(forms.Form):
    """Siblings no home takes together, placed apart by a recorded decision."""

    required_css_class = "required"

    group = forms.IntegerField(min_value=1, max_value=BATCH_MAX_CHILDREN, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why they may be placed apart tonight"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the siblings may be placed apart.")},
    )


class FollowUpForm(forms.Form):
    """A placement's 30- or 90-day outcome (the API's FollowUpRecordSerializer): the day
    comes from the button's row; no outcome is chosen for the worker."""

    day = forms.TypedChoiceField(
        choices=FollowUp.Day.choices,
        coerce=int,
        error_messages={"invalid_choice": _("Choose the 30- or 90-day follow-up.")},
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", _("Choose an outcome")), *FollowUp.RECORDABLE],
        error_messages={"required": _("Choose how the placement stands.")},
    )


class DutyCompleteForm(forms.Form):
    """A duty done: the reference number and when (the API's `duties/{id}/complete/`)."""

    reference = forms.CharField(
        max_length=NAME_MAX,
        required=False,
        label=_("Reference number"),
        help_text=_("The police, NCMEC or HHS case number you were given"),
    )
    completed_at = forms.DateTimeField(
        required=False,
        label=_("Done at"),
        help_text=_("Blank: now"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class MissingForm(forms.Form):
    """The child is missing from her placement (`placements/{id}/missing/`)."""

    missing_since = forms.DateTimeField(
        required=False,
        label=_("Found gone at"),
        help_text=_("Blank: now. The reports are due within 24 hours of it."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    confirm = forms.BooleanField(label=_("She is missing from this placement"))


class ReturnedForm(forms.Form):
    """The missing child is back (`placements/{id}/returned/`)."""

    found_at = forms.CharField(
        max_length=TEXT_MAX,
        label=_("Where she was found (encrypted)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    returned_at = forms.DateTimeField(
        required=False,
        label=_("Back at"),
        help_text=_("Blank: now"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
