//! Markdown to safe HTML: pulldown-cmark renders, then ammonia keeps only an allow-list of tags,
//! attributes and URL schemes. Item bodies are rendered once, when staff save them (into
//! `items.body_html`), and the admin preview calls the same function, so what staff preview is
//! exactly what the public sees. Raw HTML in the Markdown is never trusted: it goes through the
//! same sanitiser as everything else.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{Options, Parser, html};

/// The sanitiser, built once. Ammonia's defaults already drop `<script>`, `<style>`, every
/// `on*` attribute and `style`; we narrow the URL schemes to the ones an article needs, so
/// `javascript:`, `data:` and `vbscript:` links and images are removed.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"));
    builder
});

/// Renders `markdown` to sanitised HTML.
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES;
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    SANITIZER.clean(&unsafe_html).to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn markdown_becomes_html() {
        let html = render("# Title\n\nSome *emphasis* and a [link](https://example.org/).");
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<em>emphasis</em>"), "{html}");
        assert!(
            html.contains(r#"<a href="https://example.org/" rel="noopener noreferrer nofollow">link</a>"#),
            "{html}"
        );
    }

    #[test]
    fn script_tags_never_survive() {
        for body in [
            "<script>alert(1)</script>",
            "Hello <script src=\"https://evil.example/x.js\"></script>",
            "<SCRIPT>alert(1)</SCRIPT>",
            "<scr<script>ipt>alert(1)</script>",
            "```\n</code><script>alert(1)</script>\n```",
        ] {
            let html = render(body);
            assert!(!html.to_lowercase().contains("<script"), "{body:?} gave {html}");
        }
    }

    #[test]
    fn event_handlers_never_survive() {
        for body in [
            "<img src=\"https://example.org/x.png\" onerror=\"alert(1)\">",
            "<a href=\"https://example.org/\" onclick=\"alert(1)\">x</a>",
            "<p onmouseover='alert(1)'>hover</p>",
            "<svg onload=alert(1)></svg>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
        ] {
            let html = render(body).to_lowercase();
            assert!(!html.contains("onerror"), "{body:?} gave {html}");
            assert!(!html.contains("onclick"), "{body:?} gave {html}");
            assert!(!html.contains("onmouseover"), "{body:?} gave {html}");
            assert!(!html.contains("onload"), "{body:?} gave {html}");
            assert!(!html.contains("style="), "{body:?} gave {html}");
            assert!(!html.contains("<svg"), "{body:?} gave {html}");
        }
    }

    #[test]
    fn javascript_and_data_urls_never_survive() {
        for body in [
            "[click](javascript:alert(1))",
            "[click](JavaScript:alert(1))",
            "[click](  javascript:alert(1))",
            "[click](java&#09;script:alert(1))",
            "<a href=\"javascript:alert(1)\">click</a>",
            "<a href=\"vbscript:msgbox(1)\">click</a>",
            "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
            "<img src=\"data:text/html,<script>alert(1)</script>\">",
            "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
            "<iframe src=\"https://evil.example/\"></iframe>",
        ] {
            let html = render(body).to_lowercase();
            assert!(!html.contains("javascript:"), "{body:?} gave {html}");
            assert!(!html.contains("vbscript:"), "{body:?} gave {html}");
            assert!(!html.contains("data:"), "{body:?} gave {html}");
            assert!(!html.contains("<iframe"), "{body:?} gave {html}");
        }
    }

    /// Each line of the item form's Markdown help (admin/templates/markdown_help.html) does
    /// what it says, so the help can't drift from the renderer's options.
    #[test]
    fn the_admin_cheat_sheet_is_true() {
        for (markdown, expected) in [
            ("## Heading", "<h2>Heading</h2>"),
            ("one\n\ntwo", "<p>one</p>\n<p>two</p>"),
            ("*italic*", "<em>italic</em>"),
            ("**bold**", "<strong>bold</strong>"),
            ("~~struck~~", "<del>struck</del>"),
            (
                "[text](https://example.org/)",
                r#"<a href="https://example.org/""#,
            ),
            (
                "[mail](mailto:me@example.org)",
                r#"<a href="mailto:me@example.org""#,
            ),
            (
                "![description](https://example.org/photo.jpg)",
                r#"<img src="https://example.org/photo.jpg" alt="description">"#,
            ),
            ("- item", "<ul>\n<li>item</li>"),
            ("1. item", "<ol>\n<li>item</li>"),
            ("> quoted text", "<blockquote>\n<p>quoted text</p>"),
            ("`code`", "<code>code</code>"),
            ("```\nlet x = 1;\n```", "<pre><code>let x = 1;\n</code></pre>"),
            ("| a | b |\n|---|---|\n| 1 | 2 |", "<td>1</td>"),
            ("text[^1]\n\n[^1]: the note", "text<sup><a href=\"#1\""),
            ("---", "<hr>"),
        ] {
            let html = render(markdown);
            assert!(html.contains(expected), "{markdown:?} gave {html}");
        }
        let html = render("text[^1]\n\n[^1]: the note");
        assert!(html.contains("the note"), "{html}");
    }

    #[test]
    fn safe_links_and_images_stay() {
        let html = render("![a cat](https://example.org/cat.png \"Cat\") and <mailto:me@example.org>");
        assert!(html.contains(r#"src="https://example.org/cat.png""#), "{html}");
        assert!(html.contains(r#"href="mailto:me@example.org""#), "{html}");
    }
}
