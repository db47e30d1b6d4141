"""The engine's sentences (rule reasons, score details, what can change tonight), in the
language of the page or API answer that shows them.

The engine imports no Django and writes English. Each sentence it can write is listed
below once, as a msgid whose `%(name)s` stand where the engine puts a number, a state or a
name; `sentence()` matches the engine's English against them and answers the translation
with the same values. A sentence the engine joins with "; " is translated part by part.
Anything unmatched is shown as written (English), never dropped: tests/core/
test_sentences.py makes every sentence the engine can write match one of these.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from typing import NamedTuple

from django.utils.translation import get_language, gettext, gettext_noop, trans_real

from core.vocab import LANGUAGE_NAMES, Acuity, Gender, HomeType, MedicalLevel, Service

SENTENCES = (
    # matching.selectors.ZONE_REASON: all an MDT member is told of an exclusion zone.
    gettext_noop("Inside an exclusion zone"),
    # engine.rules: why a home fails a rule.
    gettext_noop("Needs %(needed)s beds (child + 1 dependent); %(free)s free"),
    gettext_noop("Needs %(needed)s beds (child + %(dependents)s dependents); %(free)s free"),
    gettext_noop("Needs 1 bed; %(free)s free"),
    gettext_noop("No staff on duty; 1 resident with this child"),
    gettext_noop("No staff on duty; %(residents)s residents with this child"),
    gettext_noop("No staff on duty; 1 resident with this child and 1 dependent"),
    gettext_noop("No staff on duty; %(residents)s residents with this child and 1 dependent"),
    gettext_noop(
        "No staff on duty; %(residents)s residents with this child and %(dependents)s dependents"
    ),
    gettext_noop("Staff on duty can cover 1 resident; %(residents)s with this child"),
    gettext_noop("Staff on duty can cover %(capacity)s residents; %(residents)s with this child"),
    gettext_noop(
        "Staff on duty can cover 1 resident; %(residents)s with this child and 1 dependent"
    ),
    gettext_noop(
        "Staff on duty can cover %(capacity)s residents; %(residents)s with this child "
        "and 1 dependent"
    ),
    gettext_noop(
        "Staff on duty can cover 1 resident; %(residents)s with this child and "
        "%(dependents)s dependents"
    ),
    gettext_noop(
        "Staff on duty can cover %(capacity)s residents; %(residents)s with this child and "
        "%(dependents)s dependents"
    ),
    gettext_noop("Serves age %(age)s only; child is %(child)s"),
    gettext_noop("Serves ages %(ages)s; child is %(child)s"),
    gettext_noop("Lists no genders served; child is %(gender)s"),
    gettext_noop("Serves %(genders)s youth; child is %(gender)s"),
    gettext_noop("Does not take youth with substance use"),
    gettext_noop("Takes youth in recovery, not active use"),
    gettext_noop("child is in recovery"),
    gettext_noop("child has active substance use"),
    gettext_noop("Child needs detox; none on site"),
    gettext_noop("Does not take parenting youth; child has 1 dependent"),
    gettext_noop("Does not take parenting youth; child has %(dependents)s dependents"),
    gettext_noop("Takes no dependents; child has %(dependents)s"),
    gettext_noop("Takes up to 1 dependent; child has %(dependents)s"),
    gettext_noop("Takes up to %(most)s dependents; child has %(dependents)s"),
    gettext_noop("Cannot meet medical needs"),
    gettext_noop("Meets routine medical needs only"),
    gettext_noop("child has routine medical needs"),
    gettext_noop("child has complex medical needs"),
    gettext_noop("Does not take pregnant youth"),
    gettext_noop("Does not take youth with juvenile justice involvement"),
    gettext_noop("Handles mental-health acuity up to %(level)s; child's is %(acuity)s"),
    gettext_noop("High runaway risk needs a staff-secure home; this one is not"),
    gettext_noop("Does not take state wards"),
    gettext_noop("Does not take placements by a parent"),
    gettext_noop("Does not take placements by a legal guardian"),
    gettext_noop(
        "Home does not take out-of-state placements (home in %(home)s, custody %(custody)s)"
    ),
    gettext_noop("State ward from %(custody)s: no ICPC approval for %(home)s"),
    gettext_noop("Within %(zones)s"),
    gettext_noop("No 24/7 intake for a crisis placement"),
    gettext_noop("License expired on %(day)s"),
    # engine.scoring: each factor's detail.
    gettext_noop("Crisis stabilization home for a crisis placement"),
    gettext_noop("Trafficking-specific (%(kind)s), not crisis stabilization"),
    gettext_noop("Trafficking-specific home (%(kind)s)"),
    gettext_noop("Generic home (%(kind)s), not trafficking-specific"),
    gettext_noop("%(miles)s mi away, beyond the %(preference)s mi preference"),
    gettext_noop("%(miles)s mi away, over %(reference)s mi"),
    gettext_noop("%(miles)s mi away"),
    gettext_noop("Stale: beds never updated"),
    gettext_noop("Stale: beds updated %(ago)s"),
    gettext_noop("Beds updated %(ago)s"),
    gettext_noop("just now"),
    gettext_noop("%(minutes)s min ago"),
    gettext_noop("%(hours)s h ago"),
    gettext_noop("%(days)s days ago"),
    gettext_noop("Offers the needed %(service)s"),
    gettext_noop("Offers all %(count)s needed services"),
    gettext_noop("Offers %(count)s of %(needed)s needed services; missing %(missing)s"),
    gettext_noop("No location"),
    gettext_noop("No services needed"),
    gettext_noop("No language given"),
    gettext_noop("Speaks %(language)s"),
    # Before "Does not list %(language)s", whose placeholder would take the rest.
    gettext_noop("Does not list %(language)s; the child needs an interpreter"),
    gettext_noop("Does not list %(language)s"),
    # engine.assign: what would open more homes (relaxations), and tonight.
    gettext_noop("Request ICPC approval for %(state)s: 1 more home"),
    gettext_noop("Request ICPC approval for %(state)s: %(count)s more homes"),
    gettext_noop("Request ICPC approval for %(states)s"),
    gettext_noop("1 home in another state takes no out-of-state placements"),
    gettext_noop("%(count)s homes in another state take no out-of-state placements"),
    gettext_noop("1 home is full; it would fit when a bed opens"),
    gettext_noop("%(count)s homes are full; they would fit when a bed opens"),
    gettext_noop("1 home lacks %(beds)s free beds; it would fit when beds open"),
    gettext_noop("%(count)s homes lack %(beds)s free beds; they would fit when beds open"),
    gettext_noop("A home that takes substance use in recovery would add %(count)s"),
    gettext_noop("A home that takes active substance use would add %(count)s"),
    gettext_noop("1 home needs more staff on duty; it would fit once more staff come on shift"),
    gettext_noop(
        "%(count)s homes need more staff on duty; they would fit once more staff come on shift"
    ),
    gettext_noop("1 home serves other ages; ask it about an age exception"),
    gettext_noop("%(count)s homes serve other ages; ask them about an age exception"),
    gettext_noop("1 home serves other genders; ask it about an exception"),
    gettext_noop("%(count)s homes serve other genders; ask them about an exception"),
    gettext_noop("1 home has no detox on site; detox elsewhere first would open it"),
    gettext_noop("%(count)s homes have no detox on site; detox elsewhere first would open them"),
    gettext_noop("1 home cannot take the child's %(dependents)s; ask it about an exception"),
    gettext_noop(
        "%(count)s homes cannot take the child's %(dependents)s; ask them about an exception"
    ),
    gettext_noop(
        "1 home cannot meet %(level)s medical needs; a care plan with an outside provider "
        "could open it"
    ),
    gettext_noop(
        "%(count)s homes cannot meet %(level)s medical needs; a care plan with an outside "
        "provider could open them"
    ),
    gettext_noop("1 home does not take pregnant youth; ask it about an exception"),
    gettext_noop("%(count)s homes do not take pregnant youth; ask them about an exception"),
    gettext_noop("1 home handles lower mental-health acuity; a stabilization plan could open it"),
    gettext_noop(
        "%(count)s homes handle lower mental-health acuity; a stabilization plan could open them"
    ),
    gettext_noop("1 home is not staff-secure; a safety plan for the runaway risk could open it"),
    gettext_noop(
        "%(count)s homes are not staff-secure; a safety plan for the runaway risk could open them"
    ),
    gettext_noop("1 home does not take %(placements)s; ask it about an exception"),
    gettext_noop("%(count)s homes do not take %(placements)s; ask them about an exception"),
    gettext_noop("1 home has no 24/7 intake; it could take the child at the next daytime intake"),
    gettext_noop(
        "%(count)s homes have no 24/7 intake; they could take the child at the next daytime intake"
    ),
    gettext_noop(
        "1 home does not take youth with juvenile justice involvement; ask it about an exception"
    ),
    gettext_noop(
        "%(count)s homes do not take youth with juvenile justice involvement; ask them about "
        "an exception"
    ),
    gettext_noop("1 home does not list %(language)s; ask it about an interpreter"),
    gettext_noop("%(count)s homes do not list %(language)s; ask them about an interpreter"),
    gettext_noop("1 home has an expired license; it would fit once renewed, which takes days"),
    gettext_noop(
        "%(count)s homes have an expired license; they would fit once renewed, which takes days"
    ),
    # A group plan (engine.plan and placement.services.batch_runs): why a child is left
    # unplaced, and the plan's progress notes while it is worked out.
    gettext_noop("no feasible home"),
    # placement.services.waitlist: the note of a case's move to the waitlist.
    gettext_noop("No feasible home"),
    gettext_noop("No feasible home."),
    gettext_noop("no home fits the whole group"),
    gettext_noop("%(children)s are kept both together and apart"),
    gettext_noop("pinned to home %(home)s, which is not feasible for it"),
    gettext_noop("pinned to home %(home)s, which is not feasible for the whole group"),
    gettext_noop("pinned to home %(home)s, which is full"),
    gettext_noop("the search stopped before placing it; a home with room remains"),
    gettext_noop("kept apart from %(children)s: its pinned home %(home)s holds %(held)s"),
    gettext_noop("kept apart from %(children)s: the only home with room for it holds %(held)s"),
    gettext_noop(
        "kept apart from %(children)s: the only home with room for the whole group holds %(held)s"
    ),
    gettext_noop("kept apart from %(children)s: every home with room for it holds one of %(held)s"),
    gettext_noop(
        "kept apart from %(children)s: every home with room for the whole group holds one of "
        "%(held)s"
    ),
    gettext_noop("every home that fits the whole group is full with other children of this batch"),
    gettext_noop("every home that fits is full with other children of this batch"),
    gettext_noop("kept together with %(children)s: %(reason)s"),
    gettext_noop("Placed since the batch was started."),
    # Why a batch failed (placement.services.batch_runs, stored on the batch).
    gettext_noop("The plan took longer than its time limit allows. Try again."),
    gettext_noop("The plan could not be worked out because of an internal error."),
    gettext_noop(
        "The planning job stopped before it finished: the server working it out stopped or "
        "restarted. Nothing was stored. Start a new batch."
    ),
    gettext_noop(
        "The planning job never started: no worker took it (the job queue or its workers "
        "were down). Start a new batch."
    ),
    gettext_noop("Every home that fits this child is excluded from this batch."),
    gettext_noop(
        "In an interim stay at an emergency shelter: no long-term home fits her now (the "
        "waitlist stays on)."
    ),
    gettext_noop("Pinned to %(home)s, which is not taking children now."),
    gettext_noop("Pinned to %(home)s, which does not fit this child: %(reasons)s."),
    gettext_noop("Pinned to a home that may never be offered to this child (a safety rule)."),
    gettext_noop("Waiting to start"),
    gettext_noop("Starting"),
    gettext_noop("Finding homes for child %(number)s of %(children)s"),
    gettext_noop("Preparing the plan"),
    gettext_noop("Searching for a plan"),
    gettext_noop("Best plan so far places %(placed)s of %(children)s children"),
    gettext_noop("Plan places %(placed)s of %(children)s children"),
    gettext_noop("Plan ready: %(placed)s of %(children)s children placed"),
    gettext_noop("Failed"),
    gettext_noop("Cancelled"),
)

# Words inside a sentence that are themselves the vocabulary's codes or English phrases.
_PHRASES = (
    gettext_noop("state wards"),
    gettext_noop("placements by a parent"),
    gettext_noop("placements by a legal guardian"),
    gettext_noop("1 dependent"),
    gettext_noop("none"),
    # How a group plan's reasons name a child (placement.services.common.case_of).
    gettext_noop("case %(number)s"),
)
# Codes the engine writes as they are ("female", "moderate"), lower-cased labels.
_CODE_LABELS = {
    str(value): label
    for choices in (Gender, Acuity, MedicalLevel)
    for value, label in choices.choices
}


# Codes the engine writes with spaces ("legal advocacy", "safe home"): their labels.
_SPACED_LABELS = {
    str(value).replace("_", " "): label
    for choices in (Service, HomeType)
    for value, label in choices.choices
}


_PLURAL_DEPENDENTS = re.compile(r"^(\d+) dependents$")


class _Msgid(NamedTuple):
    pattern: re.Pattern[str]
    msgid: str


class _Matcher(NamedTuple):
    """The msgids a text can match, found without trying each: `by_word`, the msgids
    beginning with fixed words, by their first word (a text that matches one begins with
    it); `leading`, those beginning with a value, each with the fixed text after that
    value (a text that matches one contains it). Positions in `msgids`, the listed order."""

    msgids: tuple[_Msgid, ...]
    by_word: dict[str, tuple[int, ...]]
    leading: tuple[tuple[int, str], ...]


@cache
def _matcher() -> _Matcher:
    msgids, by_word, leading = [], defaultdict[str, list[int]](list), []
    for number, msgid in enumerate((*SENTENCES, *_PHRASES)):
        parts = re.split(r"%\((\w+)\)s", msgid)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        msgids.append(_Msgid(re.compile(f"^{regex}$"), msgid))
        fixed = parts[0]
        if " " in fixed or len(parts) == 1:
            by_word[fixed.split(" ", 1)[0]].append(number)
        elif not fixed:
            leading.append((number, parts[2]))
        else:  # a first word running into a value: no word to find it by
            leading.append((number, fixed))
    return _Matcher(
        tuple(msgids), {w: tuple(found) for w, found in by_word.items()}, tuple(leading)
    )


# Values, msgids and their translations repeat from one sentence to the next ("female",
# "12.3", "Speaks %(language)s"): each is worked out once per language (Django's gettext
# alone costs microseconds a call). `language` is the active language, passed down.
@lru_cache(maxsize=4096)
def _value(language: str | None, text: str) -> str:
    """A value the engine put in a sentence, translated when it is a code or a phrase."""
    if text in _CODE_LABELS:
        return str(_CODE_LABELS[text]).lower()
    if text in LANGUAGE_NAMES:
        return gettext(LANGUAGE_NAMES[text])
    if text in _SPACED_LABELS:
        return str(_SPACED_LABELS[text]).lower()
    if ", " in text:  # a list of labels: "Legal advocacy, Education"
        return ", ".join(_value(language, part) for part in text.split(", "))
    match = _PLURAL_DEPENDENTS.match(text)
    if match:
        return gettext("%(n)s dependents") % {"n": match.group(1)}
    return _one(language, text) or text


@lru_cache(maxsize=1024)
def _translation(language: str | None, msgid: str) -> str:
    return gettext(msgid)


def _one(language: str | None, text: str) -> str | None:
    """The first listed msgid matching the whole text, translated with its values; only
    the few msgids the text's first word or fixed parts allow are tried (trying all 150
    in turn was most of a search's cold sentences: milliseconds)."""
    msgids, by_word, leading = _matcher()
    candidates: Iterable[int] = by_word.get(text.split(" ", 1)[0], ())
    also = [number for number, fixed in leading if fixed in text]
    if also:
        candidates = sorted((*candidates, *also))
    for number in candidates:
        pattern, msgid = msgids[number]
        match = pattern.match(text)
        if match:
            translated = _translation(language, msgid)
            if not pattern.groups:
                return translated
            return translated % {
                name: _value(language, value) for name, value in match.groupdict().items()
            }
    return None


def message(text: str) -> str:
    """A message Harbor stored in English (a service's refusal kept on a record, such as a
    group plan line's reason) in the active language: a catalogue message, its values
    taken back out of the English (a name or number stays as written), else the engine's
    sentence(s), else as written."""
    if not text:
        return text
    return _message(get_language(), text)


@lru_cache(maxsize=4096)
def _message(language: str | None, text: str) -> str:
    translated = gettext(text)
    if translated != text:
        return translated
    for chunks, pattern, msgid in _catalogue_patterns(language):
        if all(chunk in text for chunk in chunks):
            match = pattern.match(text)
            if match:
                values = {k: _sentence(language, v) for k, v in match.groupdict().items()}
                return gettext(msgid) % values
    return _sentence(language, text)


@lru_cache(maxsize=8)
def _catalogue_patterns(
    language: str | None,
) -> tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...]:
    """The active catalogue's messages with named values, as patterns matching their
    English; the most specific (longest fixed text) first."""
    catalog = getattr(trans_real.catalog(), "_catalog", None)
    if catalog is None:
        return ()
    compiled = []
    for msgid in catalog.keys():
        if not isinstance(msgid, str) or "%(" not in msgid:
            continue
        if re.search(r"%\(\w+\)[^s]", msgid):
            continue  # a count or a repr: not taken back out as text
        parts = re.split(r"%\((\w+)\)s", msgid)
        if len(set(parts[1::2])) != len(parts[1::2]):
            continue  # a value named twice
        chunks = tuple(part for part in parts[0::2] if part)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        compiled.append((sum(map(len, chunks)), chunks, re.compile(f"^{regex}$", re.S), msgid))
    compiled.sort(key=lambda item: -item[0])
    return tuple((chunks, pattern, msgid) for _length, chunks, pattern, msgid in compiled)


def sentence(text: str) -> str:
    """The engine's English `text` in the active language (as written when unknown)."""
    if not text:
        return text
    return _sentence(get_language(), text)


def sentences() -> Callable[[str], str]:
    """`sentence` with the active language looked up once, for an answer that says many
    (a search's response: a hundred of the engine's sentences)."""
    language = get_language()

    def say(text: str) -> str:
        return _sentence(language, text) if text else text

    return say


# A results page shows a few hundred of the engine's sentences, most of them the same
# few ("Speaks English", "3 of 4 beds free"), and matching one against the patterns
# costs tens of microseconds: the translations are kept per language and text, as
# fixed as the catalogue they come from (bounded: the texts carry numbers and names).
@lru_cache(maxsize=16384)
def _sentence(language: str | None, text: str) -> str:
    whole = _one(language, text)
    if whole is not None:
        return whole
    parts = text.split("; ")
    if len(parts) > 1:
        return "; ".join(_one(language, part) or part for part in parts)
    return text
