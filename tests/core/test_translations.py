"""Nothing a user reads is left in English only.

1. Every template is parsed with Django's own template parser; its text — what lies
   outside `{% translate %}` / `{% blocktranslate %}` and outside template tags and
   variables — is read as HTML, and any text with a letter in it (or a `title`, `alt`,
   `aria-label` or `placeholder` with one) fails the test, naming the file and the words.
   Literal strings given to `default`, `default_if_none`, `yesno` and `plural` count too
   (they are shown as they are written unless wrapped in `_("...")`).
2. `makemessages` is run into a scratch copy of the Spanish catalogue, so every string
   marked anywhere (templates, `gettext` and `gettext_lazy` in Python, the vocabulary's
   labels through core.labels) is there; one without its Spanish, or marked fuzzy,
   fails the test, naming it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.template import engines
from django.template.base import Node, TextNode, VariableNode
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.test import override_settings

ROOT = Path(settings.BASE_DIR)
TEMPLATES = ROOT / "templates"

# Words that are the same in every language: the product's name, file formats, and "mi"
# (miles: US distances, which Spanish-speaking staff in the US abbreviate the same way).
UNTRANSLATED_WORDS = {
    "Harbor",
    "API",
    "CSV",
    "XLSX",
    "HSDS",
    "JSON",
    "PDF",
    "ZIP",
    "TOTP",
    "IP",
    "mi",
}
# Attributes whose value a person reads (or a screen reader says).
READ_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder", "aria-description"}
# A tag or variable becomes a space: text stays apart, and an HTML tag stays well formed
# ("<details{% if open %} open{% endif %}>").
PLACEHOLDER = " "


class _Reader(HTMLParser):
    """Collects the text a person would read from a template with its tags blanked."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style")
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self._check(value)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self._check(value)

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._check(data)

    def _check(self, text: str) -> None:
        words = re.findall(r"[^\W\d_]+", text)
        if any(word not in UNTRANSLATED_WORDS for word in words):
            self.found.append(" ".join(text.split()))


def _children(node: Node) -> list[list[Node]]:
    if hasattr(node, "conditions_nodelists"):  # {% if %}: every branch, in order
        return [nodelist for _, nodelist in node.conditions_nodelists]
    return [getattr(node, name) for name in node.child_nodelists if getattr(node, name, None)]


# `{{ "Text" }}` or `|default:"Text"` (and default_if_none, yesno, plural) shows the text
# as written;
# `_("Text")` in their place is translated.
_LITERAL = re.compile(
    r"""(?:^|\|(?:default|default_if_none|yesno|plural):)(?P<q>["'])(?P<text>[^"']*)(?P=q)"""
)


def _literal_strings(node: VariableNode) -> list[str]:
    """The literal strings of a variable tag that are shown untranslated."""
    token = node.filter_expression.token
    return [m["text"] for m in _LITERAL.finditer(token) if re.search(r"[^\W\d_]", m["text"])]


def _skeleton(nodes: list[Node], literals: list[str]) -> str:
    """The template's text in order, every tag and variable a placeholder."""
    parts = []
    for node in nodes:
        if isinstance(node, TextNode):
            parts.append(node.s)
            continue
        parts.append(PLACEHOLDER)
        if isinstance(node, TranslateNode | BlockTranslateNode):
            continue
        if isinstance(node, VariableNode):
            literals.extend(_literal_strings(node))
            continue
        for nodelist in _children(node):
            parts.append(_skeleton(list(nodelist), literals))
            parts.append(PLACEHOLDER)
    return "".join(parts)


def untranslated_text(source: str) -> list[str]:
    """The strings of a template that would reach a reader untranslated."""
    engine = engines["django"].engine
    template = engine.from_string(source)
    literals: list[str] = []
    reader = _Reader()
    reader.feed(_skeleton(list(template.nodelist), literals))
    reader.close()
    return reader.found + [f'"{text}" (a literal string)' for text in literals]


# Every template, but those whose text is not marked yet (this list only shrinks).
NOT_YET: set[str] = set()
CHECKED = sorted(
    path for path in TEMPLATES.rglob("*.html") if str(path.relative_to(TEMPLATES)) not in NOT_YET
)


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_it_finds_no_template_text_outside_translation_tags(path):
    found = untranslated_text(path.read_text())

    assert not found, f"{path.relative_to(ROOT)} shows untranslated text: {found}"


def test_it_catches_text_outside_translation_tags():
    source = (
        "{% load i18n %}<h1>{% translate 'Beds' %}</h1><p>Free tonight</p>"
        '<a href="{% url \'dashboard\' %}" title="Open">{{ n }}</a>'
        "{% if x %}<span>Held</span>{% endif %}{{ y|default:'Unknown' }}"
        "{% blocktranslate %}{{ n }} beds{% endblocktranslate %}{{ z|default:_('None') }}"
    )

    assert untranslated_text(source) == [
        "Free tonight",
        "Open",
        "Held",
        '"Unknown" (a literal string)',
    ]


def _scratch_catalogue(tmp_path: Path) -> Path:
    """makemessages over the project into a copy of locale/es, never into the real one.

    makemessages writes a file's strings into the first of its locale paths whose parent
    holds the file, and adds `./locale` after LOCALE_PATHS: a scratch copy elsewhere
    (under /tmp) is never chosen and the real catalogue is. So the copy is made a direct
    child of the project (a hidden folder, which makemessages does not read), first in
    LOCALE_PATHS, then read back out to `tmp_path` and removed; the real catalogue is
    checked to be untouched."""
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext (xgettext, msgfmt) is needed: apt-get install gettext")
    real = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
    before = real.read_bytes()
    scratch = ROOT / f".locale-check-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(ROOT / "locale", scratch)
    try:
        with override_settings(LOCALE_PATHS=[scratch]):
            call_command(
                "makemessages",
                locale=["es"],
                ignore_patterns=["tests/*", "bench/*", "var/*", "staticfiles/*", "locale/*"],
                no_obsolete=True,
                no_location=True,
                verbosity=0,
            )
        made = tmp_path / "django.po"
        shutil.copyfile(scratch / "es" / "LC_MESSAGES" / "django.po", made)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if real.read_bytes() != before:
            real.write_bytes(before)
            pytest.fail("makemessages wrote into the real catalogue (restored)")
    return made


def _entries(po_path: Path, *flags: str) -> list[str]:
    """The msgids msgattrib picks with the given flags (e.g. --untranslated, --only-fuzzy)."""
    result = subprocess.run(
        ["msgattrib", *flags, "--no-wrap", "--no-location", str(po_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    ids = re.findall(r'^msgid "(.*)"$', result.stdout, re.MULTILINE)
    return [msgid for msgid in ids if msgid]


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    cwd = os.getcwd()
    os.chdir(ROOT)  # makemessages reads the tree it is started in
    try:
        return _scratch_catalogue(tmp_path_factory.mktemp("catalogue"))
    finally:
        os.chdir(cwd)


def test_it_has_spanish_for_every_marked_string(catalogue):
    missing = _entries(catalogue, "--untranslated")

    assert not missing, f"{len(missing)} strings have no Spanish in locale/es: {missing[:40]}"


def test_it_has_no_fuzzy_spanish(catalogue):
    fuzzy = _entries(catalogue, "--only-fuzzy")

    assert not fuzzy, f"{len(fuzzy)} Spanish entries are marked fuzzy: {fuzzy[:40]}"


def test_it_compiles_the_spanish_catalogue(tmp_path):
    subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"),
         str(ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po")],
        check=True,
    )  # fmt: skip


def test_it_marks_every_label_of_the_engine_for_translation():
    from core.labels import ENGINE_LABELS
    from engine import types
    from engine.spec import labels_of

    engine_labels = {
        *types.RULE_LABELS.values(),
        *types.NEED_LABELS.values(),
        *labels_of(types.HOME_SPEC).values(),
        *labels_of(types.NEEDS_SPEC).values(),
    }

    assert not engine_labels - set(ENGINE_LABELS), "add these to core/labels.py ENGINE_LABELS"


def test_it_shows_the_engines_labels_in_spanish():
    from django.utils import translation

    from core.vocab import RULE_LABELS, Service

    with translation.override("es"):
        assert str(RULE_LABELS["state_line"]) == "Límite estatal / ICPC"
        assert str(Service.LEGAL_ADVOCACY.label) == "Defensoría legal"
    assert str(RULE_LABELS["state_line"]) == "State line / ICPC"
