"""The goal and measure page builders (layouts/_detail.py): pure functions of a MeasureDetail."""
from __future__ import annotations

import dataclasses
from datetime import date

from layouts._detail import corrections_block, events_list, status_rule, values_table
from layouts.html_block import HtmlBlock
from models.queries import AnnotationNote, Correction
from tests.unit.test_figures import make_detail, monthly


def text_of(component) -> str:
    """All text inside a Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(text_of(c) for c in component)
    return text_of(getattr(component, "children", None))


def rows_of(table_div) -> list[list[str]]:
    """The body rows' cell texts of a table: Dash components (Div > Table > [Caption, Thead, Tbody]) or one HTML
    component (Div > HtmlBlock holding the table)."""
    from html.parser import HTMLParser

    if not isinstance(table_div.children, HtmlBlock):
        body = table_div.children.children[2]
        return [[text_of(cell) for cell in row.children] for row in body.children]

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows: list[list[str]] = []
            self.in_body = False

        def handle_starttag(self, tag, attrs):
            if tag == "tbody":
                self.in_body = True
            elif self.in_body and tag == "tr":
                self.rows.append([])
            elif self.in_body and tag in ("td", "th"):
                self.rows[-1].append("")

        def handle_endtag(self, tag):
            if tag == "tbody":
                self.in_body = False

        def handle_data(self, data):
            if self.in_body and self.rows and self.rows[-1]:
                self.rows[-1][-1] += data

    parser = Rows()
    parser.feed(table_div.children.html)
    return parser.rows


def test_values_table_lists_every_month_newest_first_with_the_plan():
    detail = make_detail(values=monthly(date(2024, 1, 1), [0, 5, 9]) + [(date(2024, 4, 1), 12.0, "submitted")])
    assert rows_of(values_table(detail)) == [
        ["April 2024", "12", "6"], ["March 2024", "9", "4"], ["February 2024", "5", "2"], ["January 2024", "0", "0"]]
    assert rows_of(values_table(detail, staff=True))[0] == ["April 2024", "12", "6", "Awaiting approval"]
    assert [r[0] for r in rows_of(values_table(detail, last=2))] == ["April 2024", "March 2024"]
    assert "No figures" in text_of(values_table(make_detail()))


def test_status_rule_speaks_of_the_measure_own_plan_and_margins():
    linear = make_detail(on_track_tolerance=0.1)
    assert "straight line from the baseline of 0 in January 2024 to the target of 100 by December 2027" in \
        status_rule(linear)
    assert "on track at 90% of it or more, at risk from 85%" in status_rule(linear)
    constant = make_detail(unit="days", direction="decrease", trajectory="constant", baseline=45.0, target=30.0)
    assert status_rule(constant).startswith("The target is at most 30 days every month.")
    milestones = make_detail(trajectory="milestones", milestones=((date(2025, 1, 1), 40.0),), direction="increase")
    assert "through the interim milestones" in status_rule(milestones)


def test_events_before_the_chart_are_listed_and_said_to_be_off_it():
    notes = [AnnotationNote(date(2016, 8, 12), "The flood begins.", "GIS"),
             AnnotationNote(date(2024, 3, 1), "Program opens.", "illustrative")]
    items = events_list(make_detail(values=monthly(date(2024, 1, 1), [0, 1]), annotations=notes)).children[1].children
    assert "The flood begins." in text_of(items[0]) and "before the chart begins" in text_of(items[0])
    assert "Program opens." in text_of(items[1]) and "before the chart begins" not in text_of(items[1])
    assert "Source: GIS." in text_of(items[0])
    assert events_list(make_detail()) is None


def test_corrections_block_shows_old_new_date_and_reason():
    detail = dataclasses.replace(make_detail(), corrections=(
        Correction(date(2026, 9, 1), 100.0, 120.0, date(2026, 11, 3), "Late reports added."),))
    table = corrections_block(detail)
    assert rows_of(table) == [["September 2026", "100", "120", "03 November 2026", "Late reports added."]]
    assert "has been corrected" in text_of(corrections_block(make_detail()))


def test_revision_table_is_one_component_with_every_change_and_staff_text_escaped():
    """The revision history is one HTML component (not a component per cell), newest first as given, and a reason
    or a name typed by staff is shown as text, never as markup."""
    from datetime import datetime

    from layouts._stat import revision_table
    from models.stat import RevisionEntry

    entries = [
        RevisionEntry(date(2024, 3, 1), "correct", 10.0, 12.0, "approved", "submitted",
                      '<img src=x onerror="alert(1)"> typo\n\nin the **count**', "A & B <staff>",
                      datetime(2024, 4, 2, 9, 30)),
        RevisionEntry(date(2024, 3, 1), "enter", None, 10.0, None, "submitted", None, "Ann", datetime(2024, 4, 1, 8)),
    ]
    table = revision_table(entries, "homes", 0)
    assert isinstance(table.children, HtmlBlock)
    markup = table.children.html
    assert "<img" not in markup and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in markup
    assert "A &amp; B &lt;staff&gt;" in markup
    rows = rows_of(table)
    assert [row[1] for row in rows] == ["A & B <staff>", "Ann"]
    assert rows[0][2] == rows[1][2] == "March 2024"
    assert rows[0][6].startswith('<img src=x onerror="alert(1)"> typo in the **count**')
    assert rows[1][5] == "– → submitted"
