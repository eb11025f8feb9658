"""Staff-authored Markdown rendered safely: no raw HTML, links only to http(s) and mailto, no images.

Raw HTML in the source is shown as text (escaped). A link to any other scheme (``javascript:``,
``data:``, ``file:``, relative paths) is not made into a link: its text stays as written. Every link
leaves the site, so each gets ``rel="noopener noreferrer"``.
"""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_SCHEMES = ("http:", "https:", "mailto:")


class _SafeMarkdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # noqa: N802 (markdown-it's name)
        return url.strip().lower().startswith(ALLOWED_SCHEMES)


def _link_open(renderer: Any, tokens: list[Any], idx: int, options: Any, env: Any) -> str:
    tokens[idx].attrSet("rel", "noopener noreferrer")
    return renderer.renderToken(tokens, idx, options, env)


def _table_open(renderer: Any, tokens: list[Any], idx: int, options: Any, env: Any) -> str:
    tokens[idx].attrSet("class", "table table-sm")
    return renderer.renderToken(tokens, idx, options, env)


def _make() -> MarkdownIt:
    md = _SafeMarkdown("commonmark", {"html": False}).enable(["table", "strikethrough"]).disable("image")
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("table_open", _table_open)
    return md


_md = _make()


def render_markdown(text: str | None) -> Markup:
    """Markdown → safe HTML (``Markup``); empty for ``None`` or blank text."""
    if not text or not str(text).strip():
        return Markup("")
    # Safe: raw HTML is off, so markdown-it escapes every character of the source it does not turn into markup.
    html = _md.render(str(text))
    return Markup(html)  # noqa: S704  # nosec B704  # raw HTML off: markdown-it escaped the source
