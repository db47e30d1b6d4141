"""Server-drawn SVG bar charts: well-formed, true to the numbers, accessible, CSP-clean."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from reports.charts import COLOURS, INK, MUTED, NO_DATA_TEXT, SMALL_TEXT, Series, bar_chart

SVG = "{http://www.w3.org/2000/svg}"
AGE_BANDS = ["10–12", "13–15", "16–17", "18+"]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def with_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in e.get("class", "").split()]


def texts(root: ET.Element, name: str) -> list[str]:
    """The words of each element of a class, its wrapped lines joined by spaces."""
    return [" ".join(t.strip() for t in e.itertext()) for e in with_class(root, name)]


def contrast(colour: str) -> float:
    """WCAG contrast ratio of a #rrggbb colour against white."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


def unmet_need(**overrides) -> str:
    arguments = {
        "title": "Children with no feasible home, by age band",
        "categories": AGE_BANDS,
        "series": [Series("Children", (120, None, 45, 0))],
        "chart_id": "unmet-age",
    }
    return bar_chart(**(arguments | overrides))


def test_it_draws_well_formed_svg_with_one_bar_per_shown_value():
    root = parse(
        unmet_need(
            series=[
                Series("Searches", (120, None, 45, 0)),
                Series("Children", (80, 31, None, None)),
            ]
        )
    )
    assert root.tag == f"{SVG}svg"
    bars = with_class(root, "chart-bar")
    assert len(bars) == 5
    assert [(b.get("data-series"), b.get("data-category"), b.get("data-value")) for b in bars] == [
        ("Searches", "10–12", "120"),
        ("Children", "10–12", "80"),
        ("Children", "13–15", "31"),
        ("Searches", "16–17", "45"),
        ("Searches", "18+", "0"),
    ]
    assert texts(root, "chart-value") == ["120", "80", "31", "45", "0"]


def test_bar_widths_are_proportional_to_the_values():
    values = (400, 100, 250, 12, 0, 37.5)
    root = parse(
        bar_chart(
            title="Median days from intake to placement",
            categories=["KS", "MO", "TX", "OK", "NE", "IA"],
            series=[Series("Median", values)],
            unit="days",
            chart_id="median-days",
        )
    )
    widths = [float(b.get("width")) for b in with_class(root, "chart-bar")]
    per_unit = widths[0] / values[0]
    assert per_unit > 0
    for width, value in zip(widths, values, strict=True):
        assert width == pytest.approx(value * per_unit, abs=0.01)
    assert texts(root, "chart-value") == [
        "400 days",
        "100 days",
        "250 days",
        "12 days",
        "0 days",
        "37.5 days",
    ]
    # The longest bar and its label stay inside the drawing.
    view_width = float(root.get("viewBox").split()[2])
    assert max(float(b.get("x")) + float(b.get("width")) for b in with_class(root, "chart-bar")) < (
        view_width * 0.8
    )


def test_it_draws_values_straight_from_the_database_as_decimals():
    from decimal import Decimal

    root = parse(unmet_need(series=[Series("Median", (Decimal("12.5"), None, Decimal(25), 0))]))
    widths = [float(b.get("width")) for b in with_class(root, "chart-bar")]
    assert widths[1] == pytest.approx(2 * widths[0])
    assert texts(root, "chart-value") == ["12.5", "25", "0"]


def test_a_value_not_shown_shows_words_and_no_bar():
    root = parse(unmet_need())
    suppressed = with_class(root, "chart-suppressed")
    assert [(e.text, e.get("data-category")) for e in suppressed] == [(SMALL_TEXT, "13–15")]
    assert "13–15" not in [b.get("data-category") for b in with_class(root, "chart-bar")]
    assert SMALL_TEXT == "not shown"


def test_a_chart_can_say_other_words_for_a_value_not_shown():
    root = parse(unmet_need(suppressed_text="withheld here"))
    assert texts(root, "chart-suppressed") == ["withheld here"]
    assert SMALL_TEXT not in ET.tostring(root, encoding="unicode")


def test_it_escapes_every_piece_of_text():
    hostile = '<script>alert("x")</script> & Co'
    svg = bar_chart(
        title=f"Title {hostile}",
        categories=[hostile, "Plain"],
        series=[Series(f"Series {hostile}", (20, 30)), Series("Other", (12, None))],
        unit="<b>",
        chart_id="hostile",
        description=f"Desc {hostile}",
    )
    root = parse(svg)  # would not parse if anything came through unescaped
    assert {e.tag.removeprefix(SVG) for e in root.iter()}.isdisjoint({"script", "b"})
    assert hostile in texts(root, "chart-category")
    assert f"Series {hostile}" in texts(root, "chart-legend")
    assert root.find(f"{SVG}title").text == f"Title {hostile}"
    assert root.find(f"{SVG}desc").text == f"Desc {hostile}"
    assert "20 <b>" in texts(root, "chart-value")
    assert {b.get("data-category") for b in with_class(root, "chart-bar")} == {hostile, "Plain"}


def test_it_names_itself_for_screen_readers_with_ids_from_the_chart_id():
    root = parse(unmet_need(description="Most children without a home are 10 to 12."))
    assert root.get("role") == "img"
    assert root.get("id") == "unmet-age"
    assert root.get("aria-labelledby") == "unmet-age-title unmet-age-desc"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert (title.get("id"), title.text) == (
        "unmet-age-title",
        "Children with no feasible home, by age band",
    )
    assert (desc.get("id"), desc.text) == (
        "unmet-age-desc",
        "Most children without a home are 10 to 12.",
    )


def test_without_a_description_it_reads_out_the_figures():
    desc = parse(unmet_need()).find(f"{SVG}desc").text
    assert "10–12: 120" in desc
    assert "13–15: not shown" in desc


def test_several_series_differ_by_colour_and_by_pattern_and_have_a_legend():
    names = [f"Reason {n}" for n in range(7)]
    root = parse(
        unmet_need(
            categories=["Home A"],
            series=[Series(name, (20 + n,)) for n, name in enumerate(names)],
        )
    )
    assert texts(root, "chart-legend") == names
    fills = [b.get("fill") for b in with_class(root, "chart-bar")]
    strokes = [b.get("stroke") for b in with_class(root, "chart-bar")]
    assert len(set(fills)) == 7
    # Six colours; the seventh series repeats a colour, never a colour-and-pattern pair.
    assert fills[6] != fills[0] and strokes[6] == strokes[0]
    assert sum(f.startswith("url(#") for f in fills) >= 5
    # Every pattern a bar points at exists in this chart, under an id of its own.
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    for fill in fills:
        if fill.startswith("url(#"):
            assert fill[5:-1] in ids and fill[5:-1].startswith("unmet-age-")
    legend_swatches = [s.get("fill") for s in with_class(root, "chart-swatch")]
    assert legend_swatches == fills


def test_one_series_has_no_legend():
    assert with_class(parse(unmet_need()), "chart-legend") == []


def test_its_colours_keep_their_contrast_against_white():
    assert all(contrast(c) >= 3 for c in COLOURS)
    assert contrast(INK) >= 4.5 and contrast(MUTED) >= 4.5
    root = parse(unmet_need(series=[Series(f"S{n}", (20, 30, None, 40)) for n in range(6)]))
    for element in root.iter():
        if element.tag == f"{SVG}text":
            assert contrast(element.get("fill")) >= 4.5
        stroke = element.get("stroke")
        if element.get("class") in ("chart-bar", "chart-swatch"):
            assert contrast(stroke) >= 3


def test_it_grows_taller_with_more_categories_and_with_long_names():
    def height(categories):
        series = [Series("Children", tuple(20 for _ in categories))]
        return float(parse(unmet_need(categories=categories, series=series)).get("height"))

    assert height(["A", "B", "C", "D"]) > height(["A", "B"])
    long_name = "Our Lady of the Prairie Residential Treatment Centre for Young Women"
    assert height([long_name, "B"]) > height(["A", "B"])
    assert height(["A", "B"]) == float(
        parse(unmet_need(categories=["A", "B"], series=[Series("C", (1, 2))]))
        .get("viewBox")
        .split()[3]
    )


def test_a_chart_without_data_says_so():
    for categories, series in [
        ([], []),
        (AGE_BANDS, []),
        (AGE_BANDS, [Series("Children", (0, 0, 0, 0))]),
    ]:
        root = parse(unmet_need(categories=categories, series=series))
        assert texts(root, "chart-empty") == [NO_DATA_TEXT]
        assert with_class(root, "chart-bar") == []
        assert root.get("aria-labelledby") == "unmet-age-title unmet-age-desc"


def test_a_chart_of_only_values_not_shown_is_not_called_empty():
    root = parse(unmet_need(series=[Series("Children", (None, None, 0, 0))]))
    assert texts(root, "chart-empty") == []
    assert texts(root, "chart-suppressed") == [SMALL_TEXT, SMALL_TEXT]
    zeros = with_class(root, "chart-bar")
    assert [(b.get("data-category"), b.get("width")) for b in zeros] == [
        ("16–17", "0"),
        ("18+", "0"),
    ]


def test_it_has_no_inline_style_or_script_anywhere():
    svg = str(
        unmet_need(
            series=[Series(f"S{n}", (20, None, 12, 0)) for n in range(4)],
        )
    )
    assert not re.search(r"\sstyle\s*=", svg, re.IGNORECASE)  # as tests/config/test_headers.py
    assert "<style" not in svg.lower() and "<script" not in svg.lower()
    assert not re.search(r"\son[a-z]+\s*=", svg, re.IGNORECASE)
    assert "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"chart_id": "1bad id"}, "chart_id"),
        ({"series": [Series("Children", (1, 2))]}, "2 values for 4 categories"),
        ({"series": [Series("Children", (1, -2, 3, 4))]}, "not a count"),
        ({"series": [Series("Children", (1, float("nan"), 3, 4))]}, "not a count"),
    ],
)
def test_it_refuses_what_it_cannot_draw_truthfully(arguments, message):
    with pytest.raises(ValueError, match=message):
        unmet_need(**arguments)
