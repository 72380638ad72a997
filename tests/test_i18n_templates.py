"""Every Japanese text in a template is marked for translation.

A template may contain Japanese only inside ``{% translate %}``, inside
``{% blocktranslate %}…{% endblocktranslate %}`` or inside a comment
(``{# … #}``, ``{% comment %}…{% endcomment %}``). Anything else is a string a
user reads that gettext never sees.
"""

import re
from pathlib import Path

import pytest
from django.template.loader import get_template

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIRS = sorted(p for p in (ROOT / "sasaeai").rglob("templates") if p.is_dir())
# Pages and the text templates of e-mails (subject and body).
TEMPLATES = sorted(
    (d, p.relative_to(d).as_posix()) for d in TEMPLATE_DIRS for p in d.rglob("*") if p.suffix in (".html", ".txt")
)

# Hiragana, katakana (with phonetic extensions and the half-width forms), CJK ideographs
# (with extension A and compatibility ideographs), CJK symbols and punctuation (「」、。〒〜【】
# and the ideographic space) and full-width forms (（）：＞／).
JAPANESE = re.compile(
    "[\u3000-\u303f\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+"
)

# Parts of a template allowed to hold Japanese. Django's ``{# #}`` comment cannot span lines.
ALLOWED = re.compile(
    r"\{#[^\n]*?#\}"
    r"|\{%\s*comment\b.*?%\}.*?\{%\s*endcomment\s*%\}"
    r"|\{%\s*blocktrans(?:late)?\b.*?%\}.*?\{%\s*endblocktrans(?:late)?\s*%\}"
    r"|\{%\s*trans(?:late)?\s.*?%\}",
    re.S,
)


def _blank(match):
    """Replace a match by spaces, keeping newlines so that line numbers still fit."""
    return re.sub(r"[^\n]", " ", match.group(0))


def unmarked_japanese(source):
    """(line number, text) of every Japanese run outside the allowed parts of ``source``."""
    stripped = ALLOWED.sub(_blank, source)
    found = []
    for lineno, line in enumerate(stripped.splitlines(), start=1):
        for m in JAPANESE.finditer(line):
            found.append((lineno, m.group(0)))
    return found


def test_template_folders_are_found():
    names = {(d.relative_to(ROOT).as_posix(), name) for d, name in TEMPLATES}
    assert ("sasaeai/templates", "base.html") in names
    assert ("sasaeai/plans/templates", "plans/overview.html") in names
    assert ("sasaeai/progress/templates", "progress/email/reminder_body.txt") in names


@pytest.mark.parametrize(
    "source, expected",
    [
        ('<h1>{% translate "体系図" %}</h1>', []),
        ("<nav aria-label=\"{% translate '現在の場所' %}\"></nav>", []),
        ("{% blocktranslate with t=plan.title %}「{{ t }}」を削除します。{% endblocktranslate %}", []),
        (
            "{% blocktranslate trimmed count n=x|length %}\n  {{ n }} 件\n"
            "{% plural %}{{ n }} 件\n{% endblocktranslate %}",
            [],
        ),
        ("{# 「削除」 removes a row #}\n{% comment %}\n説明\n{% endcomment %}", []),
        ("<h1>体系図</h1>", [(1, "体系図")]),
        ('<p>\n{% translate "概要" %}（{{ n }}）</p>', [(2, "（"), (2, "）")]),
        ('<p>{{ name|default:"目標" }}</p>', [(1, "目標")]),
        ('<span aria-label="直接対応">●</span>', [(1, "直接対応")]),
        ("〒{{ code }}", [(1, "〒")]),
        # ``{# #}`` cannot span lines: Django renders such text, so it is not a comment.
        ("{# 始まり\n終わり #}", [(1, "始まり"), (2, "終わり")]),
    ],
)
def test_scanner(source, expected):
    assert unmarked_japanese(source) == expected


@pytest.mark.parametrize("template_dir, name", TEMPLATES, ids=[name for _, name in TEMPLATES])
def test_japanese_in_templates_is_marked_for_translation(template_dir, name):
    source = (template_dir / name).read_text(encoding="utf-8")
    problems = [f"{name}:{lineno}: {text}" for lineno, text in unmarked_japanese(source)]
    assert not problems, "Japanese text not marked for translation:\n" + "\n".join(problems)


@pytest.mark.parametrize("template_dir, name", TEMPLATES, ids=[name for _, name in TEMPLATES])
def test_templates_compile(template_dir, name):
    get_template(name)
