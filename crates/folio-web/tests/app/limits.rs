//! Text fields at and around their limits (pad and note names, category names, item titles and
//! summaries), in letters of 1 to 4 bytes, combining marks and emoji, plus random Unicode from
//! proptest: each answer is a saved value or the field's own error, never a 500, and a value
//! over the limit in characters (the unit the columns count in) is always refused. The public
//! forms (contact, subscribe) allow 5 posts an hour per client and are not in this sweep.

use folio_testkit::{TestApp, Visitor, backend_tests};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

backend_tests!(every_text_field_at_its_limit_is_saved_or_a_field_error);

/// One unit of text per alphabet: ASCII, 2-byte, 3-byte, 4-byte (emoji), and a letter with a
/// combining mark (two characters that look like one).
const UNITS: [&str; 5] = ["a", "é", "日", "😀", "e\u{301}"];

/// Values of `limit - 1`, `limit` and `limit + 1` characters in every alphabet, then random
/// Unicode strings of lengths around the limit.
fn values_around(limit: usize, runner: &mut TestRunner) -> Vec<String> {
    let mut values = Vec::new();
    for unit in UNITS {
        for chars in [limit.saturating_sub(1), limit, limit + 1] {
            let unit_chars = unit.chars().count();
            let mut value = unit.repeat(chars / unit_chars);
            value.push_str(&"b".repeat(chars % unit_chars));
            values.push(value);
        }
    }
    let random =
        proptest::string::string_regex(&format!("[\\PC&&[^\\s]]{{{},{}}}", limit - 2, limit + 2)).unwrap();
    for _ in 0..8 {
        values.push(random.new_tree(runner).unwrap().current());
    }
    values
}

/// What a form did with a value: saved (3xx) or refused with a field error (422). A value over
/// the limit, counted in characters, is always refused.
fn outcome(form: &str, value: &str, limit: usize, status: u16, body: &str) -> bool {
    let chars = value.chars().count();
    assert!(
        status < 500,
        "{form}: {status} for a value of {chars} characters: {body:.300}"
    );
    assert!(status == 303 || status == 422, "{form}: unexpected {status}");
    if chars > limit {
        assert_eq!(
            status, 422,
            "{form}: {chars} characters accepted, the limit is {limit}"
        );
        assert!(body.contains(&format!("it has {chars})")), "{form}: {body:.300}");
    }
    status == 303
}

async fn every_text_field_at_its_limit_is_saved_or_a_field_error(app: TestApp) {
    let mut runner = TestRunner::deterministic();
    let staff: Visitor = app.staff_visitor("editor@example.org").await;
    let category = app.create_category(&staff, "News").await.to_string();
    let mut cases = 0;
    let mut saved = 0;
    let mut n = 0;

    // Notes app: pad names, note names.
    for value in values_around(100, &mut runner) {
        let page = staff.submit("/pads/create/", &[("name", &value)]).await;
        saved += usize::from(outcome("pad name", &value, 100, page.status.as_u16(), &page.body));
        let page = staff
            .submit(
                "/notes/create/",
                &[("name", &value), ("text", "Text."), ("pad", "")],
            )
            .await;
        saved += usize::from(outcome(
            "note name",
            &value,
            100,
            page.status.as_u16(),
            &page.body,
        ));
        cases += 2;
    }
    // Admin: category names (with their derived slugs), item titles (with theirs), summaries.
    for value in values_around(200, &mut runner) {
        n += 1;
        let unique = format!("{n}{value}");
        let unique = unique.chars().take(value.chars().count()).collect::<String>();
        let fields = [
            ("name", unique.as_str()),
            ("slug", ""),
            ("summary", "About."),
            ("position", "0"),
        ];
        let page = staff.submit("/admin/categories/add/", &fields).await;
        saved += usize::from(outcome(
            "category name",
            &unique,
            200,
            page.status.as_u16(),
            &page.body,
        ));
        for (field, other) in [("title", "summary"), ("summary", "title")] {
            let title_or_summary = format!("Item {n}");
            let fields = [
                (field, unique.as_str()),
                (other, title_or_summary.as_str()),
                ("slug", ""),
                ("category", category.as_str()),
                ("body", "Body."),
                ("status", "draft"),
            ];
            let page = staff.submit("/admin/items/add/", &fields).await;
            saved += usize::from(outcome(field, &unique, 200, page.status.as_u16(), &page.body));
            // A saved item saves again unchanged (its slug field now filled in).
            if page.status.as_u16() == 303 {
                let edit = page.location().unwrap_or_default().to_owned();
                let form = staff.get(&edit).await;
                let slug = form
                    .body
                    .split("name=\"slug\" value=\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .unwrap_or("");
                let mut again = fields.to_vec();
                again[2] = ("slug", slug);
                let page = staff.submit(&edit, &again).await;
                assert_eq!(
                    page.status.as_u16(),
                    303,
                    "{field} saved again: {:.300}",
                    page.body
                );
            }
            cases += 1;
        }
        cases += 1;
    }
    eprintln!(
        "limits ({:?}): {cases} form submissions around the limits, {saved} saved, {} refused with a field error, 0 errors",
        app.backend(),
        cases - saved
    );
    app.finish().await;
}
