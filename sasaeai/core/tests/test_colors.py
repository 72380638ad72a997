from sasaeai.core.colors import DEFAULT_COLOR, color_chip, safe_color


def test_chip_draws_the_colour_as_an_svg_fill_without_a_style_attribute():
    html = color_chip("#1a7f37", "順調")
    assert 'fill="#1a7f37"' in html
    assert 'class="status-badge colored"' in html
    assert '<span class="chip-text">順調</span>' in html
    assert "style" not in html


def test_chip_escapes_text_and_refuses_anything_but_a_hex_colour():
    html = color_chip('red" onload="alert(1)', "<b>A</b>", "grade")
    assert f'fill="{DEFAULT_COLOR}"' in html
    assert "&lt;b&gt;A&lt;/b&gt;" in html and "onload" not in html
    assert safe_color("#abc") == "#abc"
    assert safe_color(None) == safe_color("#12345") == safe_color("url(x)") == DEFAULT_COLOR


def test_a_swatch_has_no_text():
    assert "chip-text" not in color_chip("#0969da", "", "dash-swatch")
