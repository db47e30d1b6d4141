from __future__ import annotations

import datetime
import html
from collections.abc import Callable

from django import template
from django.utils import dateformat, timezone
from django.utils.formats import get_format, localize
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_lazy

import engine.rules
from core import vocab
from core.inputs import NEEDS_FLAGS
from core.sentences import sentence
from core.vocab import COMMITMENT_RULE_LABELS, FIELD_LABELS, LANGUAGE_NAMES, HomeType

register = template.Library()


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key, key)


@register.filter
def needs_flags(record: object) -> str:
    """The labels of the child's flags that are set ("Needs detox, Pregnant"), from the
    engine's specification: a flag added there shows on the case page too."""
    return ", ".join(
        str(label) for name, label in NEEDS_FLAGS.items() if getattr(record, name, False)
    )


@register.filter
def home_type_label(value: str) -> str:
    try:
        return str(HomeType(value).label)
    except ValueError:
        return value


@register.filter
def rule_label(code: str) -> str:
    return COMMITMENT_RULE_LABELS.get(code, code)


@register.filter
def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace("_", " ").capitalize())


@register.filter
def shown(value) -> str:
    """A snapshot value as a person reads it: Yes/No, a dash for nothing, labels for
    codes, lists joined."""
    if value is True:
        return gettext("Yes")
    if value is False:
        return gettext("No")
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(_CODE_LABELS.get(str(v), v)) for v in value)
    return str(_CODE_LABELS.get(str(value), value))


def _code_labels() -> dict[str, object]:
    labels: dict[str, object] = {}
    for choices in (vocab.Service, vocab.SubstanceUse, vocab.MedicalLevel, vocab.Gender,
                    vocab.Guardianship, vocab.Urgency, vocab.Acuity, vocab.HomeType):  # fmt: skip
        # Lazy labels, read in the language of the page that shows them.
        labels.update(dict(choices.choices))
    return labels


_CODE_LABELS = _code_labels()
# Fields whose values are ISO 639-1 codes: shown by the language's name.
_LANGUAGE_FIELDS = frozenset({"primary_language", "languages", "language"})


@register.filter
def label(value) -> str:
    """A vocabulary code as a person reads it: `legal_advocacy` -> "Legal advocacy",
    "moderate" -> "Moderate"; a list is joined. Anything else is shown as it is."""
    if isinstance(value, list | tuple):
        return ", ".join(label(v) for v in value)
    if value is None or value == "":
        return "—"
    return str(_CODE_LABELS.get(str(value), value))


@register.filter
def language_name(value) -> str:
    """An ISO 639-1 code as its name ("es" -> "Spanish", "Español" in Spanish, from
    Django's own catalogue of language names where it has one); a list is joined."""
    if isinstance(value, list | tuple):
        return ", ".join(language_name(v) for v in value)
    if value is None or value == "":
        return "—"
    name = LANGUAGE_NAMES.get(str(value).lower())
    return gettext(name) if name else str(value)


@register.filter
def shown_as(value, field: str) -> str:
    """`shown`, knowing the field: a language field's codes become names."""
    if field in _LANGUAGE_FIELDS:
        return language_name(value)
    if isinstance(value, str) and (field.endswith("_date") or field.startswith("date_")):
        try:
            return day(datetime.date.fromisoformat(value))
        except ValueError:
            pass
    return shown(value)


# The score's factors (engine.scoring names them by code): their words on a page.
FACTOR_LABELS = {
    "specialisation": gettext_lazy("Specialisation"),
    "distance": gettext_lazy("Distance"),
    "freshness": gettext_lazy("Freshness"),
    "services": gettext_lazy("Services"),
    "language": gettext_lazy("Language"),
}


@register.filter
def factor_label(code: str) -> str:
    """A score factor's name in the page's language (its code, capitalised, if unknown)."""
    label = FACTOR_LABELS.get(str(code))
    return str(label) if label is not None else str(code).replace("_", " ").capitalize()


@register.filter
def factor_detail(detail: str) -> str:
    """A score factor's detail as a page shows it, in the page's language: a language code
    becomes its name ("Speaks Spanish", "Habla Español")."""
    return sentence(str(detail))


@register.filter
def reason(text: str) -> str:
    """A rule's reason or a relaxation's suggestion, in the page's language."""
    return sentence(str(text))


# A results page lists 20 homes with five score factors each and 20 near misses: through
# the template engine, row by row, that was over half the page's rendering (every
# variable a context lookup, every filter a call through its wrappers, every value
# through format_html). These two build the same HTML in one pass, every value escaped.


def number(value: float | int, decimal_separator: str) -> str:
    """A score's points as a template shows a number (localize): "21.2", "21,2" in Spanish."""
    if type(value) is int:
        return str(value)
    if type(value) is not float:
        return str(localize(value))
    text = str(value)
    if "e" in text or "n" in text:  # 1e-05, inf, nan: as Django writes them
        return str(localize(value))
    return text.replace(".", decimal_separator)


def _escape(value: object) -> str:
    """django.utils.html.escape without its lazy wrapper (as costly as the rest here)."""
    return html.escape(str(value))


@register.filter
def breakdown_rows(
    factors, label: Callable[[str], str] | None = None, say: Callable[[str], str] = sentence
) -> SafeString:
    """A score's factors as the rows of its "Why this score" table: factor, points of
    the most, and the detail in the page's language (numbers localised, as a template
    variable is). `label`: the factor's name (factor_label; a results page passes one
    that remembers the few names it has translated); `say`: the detail's words
    (`sentence`, or core.sentences.sentences() with the language looked up once)."""
    label = label or factor_label
    separator = str(get_format("DECIMAL_SEPARATOR"))
    rows = []
    for f in factors:
        # The engine's Factor, or the dict a recommendation's snapshot keeps of it.
        factor, points, most, detail = (
            (f["factor"], f["points"], f["max"], f["detail"])
            if isinstance(f, dict)
            else (f.factor, f.points, f.max, f.detail)
        )
        rows.append(
            f"<tr><td>{_escape(label(factor))}</td>"
            f"<td>{number(points, separator)} / {number(most, separator)}</td>"
            f"<td>{_escape(say(str(detail)))}</td></tr>"
        )
    return SafeString("".join(rows))


@register.filter
def failed_rules(
    failures,
    separator: str = "",
    label: Callable[[str], str] = rule_label,
    say: Callable[[str], str] = sentence,
) -> SafeString:
    """A home's failed rules: each rule's label, then why, in the page's language.
    `label` and `say` as breakdown_rows's: a results page passes ones that remember
    the words of its language."""
    return SafeString(
        _escape(separator).join(
            f'<span class="rule">{_escape(label(f.rule))}</span> {_escape(say(str(f.reason)))}'
            for f in failures
        )
    )


# "29 Nov 2026, 02:13 CST": the day first, so no one misreads 03/04, and the zone named.
WHEN_FORMAT = "j M Y, H:i T"
WHEN_SECONDS_FORMAT = "j M Y, H:i:s T"
DAY_FORMAT = "j M Y"


@register.filter(expects_localtime=False)
def when(value, precision: str = "") -> str:
    """A moment in the page's time zone (the user's agency's), with the zone named;
    `when:"seconds"` adds the seconds (the audit trail)."""
    if value is None or value == "":
        return "—"
    if not isinstance(value, datetime.datetime):
        return day(value)
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    fmt = WHEN_SECONDS_FORMAT if precision == "seconds" else WHEN_FORMAT
    return dateformat.format(value, fmt)


@register.filter(expects_localtime=False)
def day(value) -> str:
    """The calendar day of a date, or of a moment in the page's time zone."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if not isinstance(value, datetime.date):
        return str(value)
    return dateformat.format(value, DAY_FORMAT)


@register.filter
def minutes(value) -> int | str:
    """A timedelta in whole minutes (rounded up), or "" for none."""
    if not isinstance(value, datetime.timedelta):
        return ""
    return max(0, -(-int(value.total_seconds()) // 60))


@register.filter
def plural(count, words: str) -> str:
    """`{{ n|plural:"bed,beds" }}` -> "1 bed", "2 beds", "0 beds"."""
    singular, _, many = words.partition(",")
    return engine.rules.plural(count, singular, many)


@register.filter
def ago(moment, now=None) -> str:
    """'just now', '3 hours ago', or 'never' for a time that never was."""
    from django.utils.timesince import timesince

    if moment is None:
        return gettext("never")
    if ((now if now is not None else timezone.now()) - moment).total_seconds() < 60:
        return gettext("just now")
    return gettext("%(time)s ago") % {"time": timesince(moment, now)}
