"""Callbacks of the public pages: the progress overview, a goal's page and a measure's page."""
from __future__ import annotations

import re
from datetime import date

import dash
from dash import Input, Output

from extensions import cached_earliest_period, cached_goal_detail, cached_measure_detail, cached_overview
from layouts import ids
from layouts._components import month_options, overview_sections
from layouts._detail import goal_page, measure_page, not_found_body
from models import clock


def parse_month(value: object) -> date | None:
    """The month a picker sent ("2026-10-01"), or None for anything else (latest month)."""
    try:
        return date.fromisoformat(str(value)).replace(day=1) if value else None
    except ValueError:
        return None


def update_pub_month_options(_trigger: object) -> list[dict[str, str]]:
    """Every month from the first published figure to the last complete month."""
    return month_options(clock.today(), cached_earliest_period(public=True))


# Measure cards the public page draws at most (each carries a chart): goals are shown in full while their cards fit,
# then in brief with a link to their page. The seed's 23 cards fit; a state-wide program's thousand do not.
PUBLIC_CARD_BUDGET = 24


def update_pub_overview(month: str | None) -> list:
    """Published goals with approved figures as of the chosen month."""
    return overview_sections(cached_overview(public=True, as_of=parse_month(month)), card_budget=PUBLIC_CARD_BUDGET)


# What a slug can look like (the catalog's slugs are at most 64 lower-case letters, digits and hyphens): anything
# else is answered "not found" without a database read, so made-up addresses cannot fill the cache.
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def plausible_slug(slug: object) -> str | None:
    """The slug if it could name a goal or measure, else None."""
    return slug if isinstance(slug, str) and SLUG.fullmatch(slug) else None


def update_pub_measure_page(slug: str | None):
    """A published measure's page, or the not-found message (unknown and unpublished look the same)."""
    slug = plausible_slug(slug)
    detail = cached_measure_detail(slug, public=True) if slug else None
    return measure_page(detail) if detail is not None else not_found_body()


def update_pub_goal_page(slug: str | None):
    """A published goal's page, or the not-found message (unknown and unpublished look the same)."""
    slug = plausible_slug(slug)
    goal = cached_goal_detail(slug, public=True) if slug else None
    return goal_page(goal) if goal is not None else not_found_body()


def public_page_exists(path_template: str, variables: dict[str, str]) -> bool:
    """Whether a public page with a slug has something published behind it (else the server answers 404)."""
    slug = plausible_slug(variables.get("slug"))
    if slug is None:
        return False
    if path_template == "/measures/<slug>":
        return cached_measure_detail(slug, public=True) is not None
    if path_template == "/goals/<slug>":
        return cached_goal_detail(slug, public=True) is not None
    return True


def register(app: dash.Dash) -> None:
    """Wire the public pages' callbacks and tell the guard which slugs exist."""
    from callbacks import guard

    app.callback(Output(ids.PUB_OVERVIEW, "children"), Input(ids.PUB_MONTH, "value"))(update_pub_overview)
    app.callback(Output(ids.PUB_MONTH, "options"), Input(ids.PUB_MONTH, "id"))(update_pub_month_options)
    app.callback(Output(ids.PUB_MEASURE_PAGE, "children"), Input(ids.PUB_MEASURE_SLUG, "data"))(
        update_pub_measure_page)
    app.callback(Output(ids.PUB_GOAL_PAGE, "children"), Input(ids.PUB_GOAL_SLUG, "data"))(update_pub_goal_page)
    guard.PAGE_EXISTS["/measures/<slug>"] = public_page_exists
    guard.PAGE_EXISTS["/goals/<slug>"] = public_page_exists
