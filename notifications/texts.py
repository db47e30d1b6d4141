"""A notification's words as a message id and its values, read in the reader's language.

A notice is written once and read by several people, each in their own language (the
inbox in the page's, the email in the recipient's), and read again days later: so it is
stored as what to say, not as English. A text is JSON:

- a `str` is shown as it is: a name, a case number, a person's comment;
- `{"m": msgid, "p": {name: text}}` is gettext(msgid) with its values, each a text;
- `{"n": count, "c": noun}` is a count of a noun in COUNTS ("3 beds", "3 camas");
- `{"at": ISO moment, "tz": zone}` a time as the pages write it, in that zone, named;
- `{"day": ISO date}` a calendar day;
- `{"e": sentence}` one of the engine's sentences (core.sentences), a rule's reason;
- `{"j": [text, ...], "s": separator}` the texts joined.

`msg()` and the others build these; `render()` reads one in the active language. A msgid
is passed through `gettext_noop` at the call (`msg(gettext_noop("..."), ...)`) so that
makemessages finds it; an unknown one is shown in English, never dropped.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.utils import dateformat, timezone, translation
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext_lazy

# The pages' formats (the `when` and `day` filters): month names in the reader's language.
from core.templatetags.harbor import DAY_FORMAT, WHEN_FORMAT

Text = Any  # str | int | float | dict | list: JSON, as stored in Notification.text


# The nouns a notice counts, each with its plural forms (Spanish has the same two).
COUNTS = {
    "bed": ngettext_lazy("%(n)s bed", "%(n)s beds", "n"),
    "day": ngettext_lazy("%(n)s day", "%(n)s days", "n"),
    "hour": ngettext_lazy("%(n)s hour", "%(n)s hours", "n"),
    "child": ngettext_lazy("%(n)s child", "%(n)s children", "n"),
    "dependent": ngettext_lazy("%(n)s dependent", "%(n)s dependents", "n"),
    "referral": ngettext_lazy("%(n)s referral", "%(n)s referrals", "n"),
    "approval": ngettext_lazy("%(n)s more approval", "%(n)s more approvals", "n"),
}


def msg(msgid: str, **params: Text) -> dict[str, Any]:
    """gettext(msgid) % params, when read. Wrap msgid in gettext_noop at the call."""
    text: dict[str, Any] = {"m": str(msgid)}
    if params:
        text["p"] = {name: _plain(value) for name, value in params.items()}
    return text


def count(n: int, noun: str) -> dict[str, Any]:
    """`n` of a noun of COUNTS, in the reader's plural form."""
    if noun not in COUNTS:
        raise KeyError(f"{noun!r} is not one of notifications.texts.COUNTS")
    return {"n": int(n), "c": noun}


def moment(value: datetime.datetime | None, zone: str | None = None) -> dict[str, Any]:
    """A time as the pages write it ("7 Dec 2026, 14:05 CST"), in `zone` (an IANA name;
    the server's when None). None is now."""
    value = value or timezone.now()
    return {"at": value.isoformat(), "tz": zone or ""}


def day(value: datetime.date) -> dict[str, Any]:
    return {"day": value.isoformat()}


def choice(label: Any, *, lower: bool = False) -> dict[str, Any]:
    """A vocabulary label (a TextChoices label, a lazy gettext): its English is the msgid;
    `lower` writes it in lower case, inside a sentence."""
    with translation.override("en"):
        text: dict[str, Any] = {"m": str(label)}
    if lower:
        text["l"] = 1
    return text


def sentence(text: str) -> dict[str, Any]:
    """One of the engine's English sentences, translated by core.sentences when read."""
    return {"e": str(text)}


def joined(texts: Iterable[Text], separator: str = " ") -> dict[str, Any]:
    return {"j": [_plain(text) for text in texts], "s": separator}


def _plain(value: Text) -> Text:
    if isinstance(value, Promise):  # a lazy label: keep its msgid, not today's language
        return choice(value)
    if isinstance(value, bool | None):
        return "" if value is None else str(value)
    if isinstance(value, int | float | str | dict | list):
        return value
    return str(value)


def render(text: Text) -> str:
    """The text in the active language."""
    if isinstance(text, str):
        return text
    if isinstance(text, bool):
        return str(text)
    if isinstance(text, int | float):
        return number_format(text)
    if isinstance(text, list):
        return " ".join(render(part) for part in text)
    if not isinstance(text, dict):
        return ""
    if "m" in text:
        said = gettext(text["m"])
        if text.get("l"):
            said = said.lower()
        params = text.get("p")
        if not params:
            return said
        values = {name: render(value) for name, value in params.items()}
        try:
            return said % values
        except (KeyError, TypeError, ValueError):
            # A translation that lost a placeholder must not lose the notice.
            return text["m"] % values
    if "c" in text:
        return str(COUNTS[text["c"]] % {"n": int(text["n"])})
    if "at" in text:
        moment_ = datetime.datetime.fromisoformat(text["at"])
        try:
            zone = zoneinfo.ZoneInfo(text["tz"]) if text.get("tz") else None
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = None
        return dateformat.format(timezone.localtime(moment_, zone), WHEN_FORMAT)
    if "day" in text:
        return dateformat.format(datetime.date.fromisoformat(text["day"]), DAY_FORMAT)
    if "e" in text:
        from core.sentences import sentence as engine_sentence

        return engine_sentence(text["e"])
    if "j" in text:
        return str(text.get("s", " ")).join(render(part) for part in text["j"])
    return ""


def in_language(text: Text, language: str) -> str:
    """The text in `language` (a code of settings.LANGUAGES)."""
    with translation.override(language):
        return render(text)
