"""`{% fragment name value ... %}…{% endfragment %}`: a part of a template rendered once
per process for each set of the values it depends on, then kept.

The header's menu is the same on every page for every user of a role, in a language,
with an unread count: a dozen links (each a URL reversed), translated words and a
plural, about a third of a search page's rendering (issue 30). Django's `{% cache %}`
does this through a cache backend, a round trip to Redis here and a pickle each way;
this keeps the HTML in the process, as fixed as the URL configuration and the
catalogue it comes from. The template stays the one source of the markup.

The key is the values named, the active language and the script prefix the URLs are
reversed under; the part must depend on nothing else (no request, no CSRF token, no
name typed by a user). The kept parts are bounded: the oldest half is dropped past
FRAGMENTS_MAX.
"""

from __future__ import annotations

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

FRAGMENTS_MAX = 2048
_KEPT: dict[tuple[object, ...], SafeString] = {}


class FragmentNode(template.Node):
    def __init__(self, name: str, values: list[FilterExpression], nodelist: NodeList) -> None:
        self.name = name
        self.values = values
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        key = (
            self.name,
            get_language(),
            get_script_prefix(),
            *(value.resolve(context) for value in self.values),
        )
        html = _KEPT.get(key)
        if html is None:
            html = mark_safe(self.nodelist.render(context))
            if len(_KEPT) >= FRAGMENTS_MAX:
                for old in list(_KEPT)[: FRAGMENTS_MAX // 2]:
                    _KEPT.pop(old, None)
            _KEPT[key] = html
        return html


@register.tag
def fragment(parser: Parser, token: Token) -> FragmentNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("'fragment' takes a name, then the values it reads")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(bits[1], [parser.compile_filter(bit) for bit in bits[2:]], nodelist)
