from __future__ import annotations

from flask import render_template_string
from markupsafe import Markup

from kakehashi.core.markdown import render_markdown


def test_normal_markdown_renders() -> None:
    html = render_markdown("# Title\n\nSome **bold** and *italic* text.\n\n- one\n- two\n\n~~old~~")

    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert "<em>italic</em>" in html
    assert "<li>one</li>" in html
    assert "<s>old</s>" in html


def test_tables_render_with_bootstrap_classes() -> None:
    html = render_markdown("| Fee | Amount |\n|---|---|\n| Registration tax | ¥150,000 |")

    assert '<table class="table table-sm">' in html
    assert "<td>Registration tax</td>" in html


def test_result_is_markup_and_empty_text_renders_nothing() -> None:
    assert isinstance(render_markdown("text"), Markup)
    assert render_markdown(None) == ""
    assert render_markdown("   ") == ""


def test_script_tags_and_raw_html_are_escaped() -> None:
    html = render_markdown('Hello <script>alert("x")</script> <img src=x onerror=alert(1)> <b onclick="x">b</b>')

    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert "<img" not in html
    assert "<b " not in html


def test_javascript_and_other_schemes_are_not_made_into_links() -> None:
    for url in (
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "&#106;avascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
        "/relative/path",
    ):
        html = render_markdown(f"[click]({url}) and <{url}>")
        assert "<a" not in html, url
        assert "href" not in html, url


def test_http_https_and_mailto_links_open_safely() -> None:
    html = render_markdown("[JETRO](https://www.jetro.go.jp/en/) <http://example.org> [mail](mailto:desk@example.org)")

    assert '<a href="https://www.jetro.go.jp/en/" rel="noopener noreferrer">JETRO</a>' in html
    assert '<a href="http://example.org" rel="noopener noreferrer">http://example.org</a>' in html
    assert '<a href="mailto:desk@example.org" rel="noopener noreferrer">mail</a>' in html


def test_images_are_not_embedded() -> None:
    html = render_markdown("![tracker](https://example.org/pixel.png)")

    assert "<img" not in html


def test_the_markdown_filter_works_after_localized() -> None:
    html = render_template_string(
        "{{ body|localized|markdown }}", body={"en": "Go to the **ward office**.", "ja": "**区役所**へ行きます。"}
    )

    assert "<strong>" in html
    assert "&lt;strong&gt;" not in html
