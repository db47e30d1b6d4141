"""The repeated blocks of a search's results (`matching/_results.html`): each ranked home
and each near miss, built in Python in one pass.

Through the template engine these forty blocks were most of the page's rendering (some
30 ms at 250,000 homes): every variable a context lookup that tries a dict before the
attribute, every filter and `{% include %}` a call through wrappers, a context pushed
per item. Built here, each value is escaped once (`escape`), each number localised as a
template variable would be, and every word a reader sees is a `gettext` msgid with its
Spanish in the catalogue, like the template's own `{% translate %}`s. The page around
them (headings, summary, the forms) stays a template.

Chosen over Jinja2 (a second engine, a second i18n extraction and another syntax for
one template) and over cached fragments (a block depends on the child's search: its
rank, score, distance and the ticked homes, so a cache would rarely hit).
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Callable, Iterable

from django import template
from django.utils.formats import get_format
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, ngettext

from core.sentences import sentences
from core.templatetags.harbor import (
    ago,
    breakdown_rows,
    factor_label,
    failed_rules,
    home_type_label,
    number,
    rule_label,
)
from engine import Miss, Ranked
from matching.selectors import INTERIM_LABEL, Contact

register = template.Library()


def escape(value: object) -> str:
    """As the template escapes a variable (django.utils.html.escape, without its lazy
    wrapper, which cost as much as the rest here)."""
    return html.escape(str(value))


class _Words:
    """The blocks' fixed words in one language, translated once a process (the catalogue
    does not change while it runs) rather than once a home: most of the page's rendering
    was gettext, a few hundred calls a page, each through the active language's lookup.
    The names of home types and score factors (a few each) are kept as first asked."""

    def __init__(self) -> None:
        self.home_types: dict[str, str] = {}
        self.factors: dict[str, str] = {}
        self.separator = str(get_format("DECIMAL_SEPARATOR"))
        self.rank = escape(gettext("Rank"))
        self.interim = escape(gettext(INTERIM_LABEL))
        self.outside_icwa = escape(gettext("Outside ICWA's preferences"))
        self.distance_unknown = escape(gettext("distance unknown"))
        self.stale = escape(gettext("Stale: beds not confirmed for over 72 h — call first"))
        self.intake_24_7 = escape(gettext("24/7 intake"))
        self.why = escape(gettext("Why this score"))
        # (gettext outside the f-strings: makemessages does not look inside them.)
        factor, points, detail = gettext("Factor"), gettext("Points"), gettext("Detail")
        self.head = (
            f'<thead><tr><th scope="col">{escape(factor)}</th>'
            f'<th scope="col">{escape(points)}</th>'
            f'<th scope="col">{escape(detail)}</th></tr></thead>'
        )
        self.go_to_propose = escape(gettext("Go to Propose"))
        # Sentences with a value: the translation once, the value put in per home.
        self.score = gettext("Score %(score)s out of 100")
        self.tier = gettext("ICWA preference %(tier)s")
        self.miles = gettext("%(miles)s mi")
        self.staff = gettext("%(staff)s staff on duty")
        self.confirmed = gettext("Beds confirmed %(ago)s")
        self.caption = gettext("Score breakdown for %(home)s")
        self.propose = gettext("Propose %(home)s")
        self.intake_phone = escape(gettext("Intake phone"))
        self.contact_only = gettext("Contact: %(name)s (no intake phone recorded)")
        self.no_phone = escape(gettext("No intake phone recorded"))
        self.rules: dict[str, str] = {}
        # "Beds confirmed 3 hours, 5 minutes ago" by whole minutes since, and the beds
        # sentence's plural form by licensed beds: a few hundred of each at most.
        self.confirmed_by_minutes: dict[int, str] = {}
        self.beds_by_total: dict[int, str] = {}

    def confirmed_ago(self, moment: datetime.datetime | None, now: object) -> str:
        """`Beds confirmed {{ moment|ago:now }}`, escaped. Under 72 hours (a fresher home
        is stale, and says so instead) the words depend only on the whole minutes since:
        timesince counts no months before 28 days, and every unit below is whole minutes.
        Other moments (none, in the future, another zone) go through `ago` itself."""
        if (
            moment is not None
            and type(now) is datetime.datetime
            and moment.tzinfo is datetime.UTC
            and now.tzinfo is datetime.UTC
        ):
            minutes = int((now - moment).total_seconds() // 60)
            if 0 <= minutes < 72 * 60:
                text = self.confirmed_by_minutes.get(minutes)
                if text is None:
                    text = self.confirmed_by_minutes[minutes] = self._confirmed(moment, now)
                return text
        return self._confirmed(moment, now)

    def _confirmed(self, moment: datetime.datetime | None, now: object) -> str:
        return escape(self.confirmed % {"ago": ago(moment, now)})

    def beds(self, free: int, total: int) -> str:
        """The catalogue's own markup (<strong>), the numbers put in as they are."""
        sentence = self.beds_by_total.get(total)
        if sentence is None:
            sentence = self.beds_by_total[total] = ngettext(
                "<strong>%(free)s</strong> of %(total)s bed free",
                "<strong>%(free)s</strong> of %(total)s beds free",
                total,
            )
        return sentence % {"free": free, "total": total}

    def rule(self, code: str) -> str:
        label = self.rules.get(code)
        if label is None:
            label = self.rules[code] = rule_label(code)
        return label

    def home_type(self, value: str) -> str:
        label = self.home_types.get(value)
        if label is None:
            label = self.home_types[value] = escape(home_type_label(value))
        return label

    def factor(self, code: str) -> str:
        label = self.factors.get(code)
        if label is None:
            label = self.factors[code] = factor_label(code)
        return label


_WORDS: dict[str | None, _Words] = {}


def _words() -> _Words:
    """The words in the active language (made at its first page)."""
    language = get_language()
    words = _WORDS.get(language)
    if words is None:
        words = _WORDS[language] = _Words()
    return words


def contact_html(contact: Contact, words: _Words | None = None) -> str:
    """Whom to call at a home: the intake phone as a link to dial, the contact's name."""
    words = words or _words()
    if contact.intake_phone:
        name = f" ({escape(contact.contact_name)})" if contact.contact_name else ""
        return (
            f'<span class="contact">{words.intake_phone} '
            f'<a href="{escape(contact.tel)}">{escape(contact.intake_phone)}</a>{name}</span>'
        )
    if contact.contact_name:
        text = words.contact_only % {"name": contact.contact_name}
        return f'<span class="contact">{escape(text)}</span>'
    return f'<span class="contact hint">{words.no_phone}</span>'


@register.simple_tag
def contact_line(contact: Contact) -> SafeString:
    return SafeString(contact_html(contact))


def _miles(distance: float, words: _Words) -> str:
    return escape(words.miles % {"miles": number(distance, words.separator)})


def _ranked_home(
    r: Ranked, contact: Contact, context: template.Context, words: _Words, say: Callable[[str], str]
) -> Iterable[str]:
    home = r.home
    name = escape(home.name)
    score = number(r.score, words.separator)
    yield f'<li class="home card" id="home-{home.id}">\n<div class="home-head">'
    yield f'<span class="rank" aria-label="{words.rank}">{r.rank}</span>'
    yield f"<h3>{name}</h3>"
    label = escape(words.score % {"score": score})
    yield f'<span class="score" aria-label="{label}">{score}<small>/100</small></span>\n</div>'
    yield '\n<p class="facts">\n'
    tonight = context.get("tonight")
    if tonight is not None and tonight.nothing_fits and home.home_type == "emergency_shelter":
        yield f'<span class="rule">{words.interim}</span>\n'
    if r.icwa_tier:
        tier = words.tier % {"tier": r.icwa_tier}
        yield f'<span class="rule">{escape(tier)}</span>\n'
    elif context.get("icwa"):
        yield f"<span>{words.outside_icwa}</span>\n"
    yield f"<span>{words.home_type(home.home_type)}</span>\n"
    yield f"<span>{escape(home.state)} {escape(home.zip_code)}</span>\n"
    distance = (
        _miles(r.distance_miles, words) if r.distance_miles is not None else words.distance_unknown
    )
    yield f"<span>{distance}</span>\n"
    yield f"<span>{words.beds(home.available_beds, home.licensed_beds)}</span>\n"
    staff = words.staff % {"staff": home.staff_on_duty}
    yield f"<span>{escape(staff)}</span>\n"
    if r.stale:
        call = ""
        if contact.intake_phone:
            who = f" ({escape(contact.contact_name)})" if contact.contact_name else ""
            call = f': <a href="{escape(contact.tel)}">{escape(contact.intake_phone)}</a>{who}'
        yield f'<span class="stale">{words.stale}{call}</span>\n'
    else:
        confirmed = words.confirmed_ago(home.availability_updated_at, context.get("now"))
        yield f'<span class="fresh">{confirmed}</span>\n'
    if home.intake_24_7:
        yield f"<span>{words.intake_24_7}</span>\n"
    yield "</p>\n"
    if not r.stale or not contact.intake_phone:
        yield f"<p>{contact_html(contact, words)}</p>\n"
    caption = escape(words.caption % {"home": home.name})
    yield (
        f"<details>\n<summary>{words.why}</summary>\n"
        f'<table class="breakdown">\n<caption class="visually-hidden">{caption}</caption>\n'
        f"{words.head}\n"
        f"<tbody>{breakdown_rows(r.breakdown, words.factor, say)}</tbody>\n</table>\n</details>\n"
    )
    if context.get("propose_url"):
        checked = " checked" if home.id in (context.get("ticked") or ()) else ""
        propose = escape(words.propose % {"home": home.name})
        yield (
            f'<p><label class="inline"><input type="checkbox" name="homes" value="{home.id}"'
            f' form="propose-form"{checked}> {propose}</label>'
            f' <a href="#propose-form" class="hint">{words.go_to_propose}</a></p>\n'
        )
    yield "</li>\n"


@register.simple_tag(takes_context=True)
def ranked_homes(context: template.Context) -> SafeString:
    """The `<li>` of each ranked home: its facts, whom to call, why its score, and the
    box to propose it when the page proposes."""
    words = _words()
    say = sentences()
    return SafeString(
        "".join(
            part
            for r, contact in context.get("ranked") or ()
            for part in _ranked_home(r, contact, context, words, say)
        )
    )


def _near_miss(m: Miss, contact: Contact, words: _Words, say: Callable[[str], str]) -> str:
    where = escape(m.home.state)
    if m.distance_miles is not None:
        where += f", {_miles(m.distance_miles, words)}"
    failed = failed_rules(m.failed, "", words.rule, say)
    return (
        f"<li><strong>{escape(m.home.name)}</strong> ({where}): {failed}"
        f"<br>{contact_html(contact, words)}</li>\n"
    )


@register.simple_tag(takes_context=True)
def near_miss_items(context: template.Context) -> SafeString:
    """The `<li>` of each near miss: the home, the one rule it fails and why, whom to call."""
    words = _words()
    say = sentences()
    return SafeString(
        "".join(
            _near_miss(m, contact, words, say) for m, contact in context.get("near_misses") or ()
        )
    )
