"""`HtmlBlock`: server-built HTML drawn by the browser as one element (its script: `assets/html-block.js`)."""
from __future__ import annotations

from typing import Any

from dash.development.base_component import Component


class HtmlBlock(Component):
    """HTML built and escaped on the server (a grid of measure cards, a long table), drawn as one element.

    Why not a Dash component per element: the browser's time to draw a page grows with the square of its Dash
    components, and a measure's history or a page of cards is hundreds of them. Why not `dcc.Markdown`: it parses
    the HTML as JSX in the browser and first fetches its Markdown and highlighter code, about half a second of a
    resident's first view of the public page.

    Every text inside must be escaped (`layouts._components.html_text`). A link with `data-page-link` opens its page
    as Dash's own `dcc.Link` does: in place, without reloading the app.
    """

    _children_props: list[str] = []
    _base_nodes: list[str] = []
    _namespace = "recoverystat"
    _type = "HtmlBlock"

    def __init__(self, html: str = "", id: str | dict | None = None, className: str | None = None,
                 **kwargs: Any) -> None:
        self._prop_names = ["html", "id", "className"]
        self._valid_wildcard_attributes: list[str] = []
        self.available_properties = ["html", "id", "className"]
        self.available_wildcard_properties: list[str] = []
        given = {"html": html, "id": id, "className": className}
        super().__init__(**{name: value for name, value in given.items() if value is not None}, **kwargs)
