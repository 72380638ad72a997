"""Template tags of the public site: ``{% rb text %}`` prints text with ふりがな when the reader asked for it.

(The ruby rendering is filled in by the ふりがな work; until then the text is printed escaped.)
"""

from django import template
from django.utils.html import conditional_escape

register = template.Library()


@register.simple_tag(takes_context=True)
def rb(context, text):
    """``text`` escaped; as ``<ruby>`` with readings when ``ruby_on`` and the page's ``readings`` have them."""
    return conditional_escape(text or "")
