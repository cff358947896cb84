//! Text fields at and around their limits, in letters of 1 to 4 bytes, combining marks and
//! emoji, plus random Unicode from proptest: each answer is a saved value or the field's own
//! error, never a 500, and a value over the limit in characters (the unit the columns count
//! in) is always refused. Two sweeps: the notes app and the admin's names, titles and
//! summaries; then every other form (contact, subscribe, sign-up, settings, password reset,
//! category summaries, note texts, item bodies). The public forms allow 5 posts an hour per
//! client, so each of their submissions comes from its own client address.

use folio_testkit::{PASSWORD, TestApp, Visitor, backend_tests};
use folio_web::domain::INVALID_EMAIL;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

backend_tests!(
    every_text_field_at_its_limit_is_saved_or_a_field_error,
    every_other_form_at_its_limits_is_saved_or_a_field_error,
);

/// One unit of text per alphabet: ASCII, 2-byte, 3-byte, 4-byte (emoji), and a letter with a
/// combining mark (two characters that look like one).
const UNITS: [&str; 6] = ["a", "é", "日", "😀", "e\u{301}", "İ"];

/// `chars` characters of `unit` (padded with "b" when a unit is two characters).
fn text_of(unit: &str, chars: usize) -> String {
    let unit_chars = unit.chars().count();
    let mut value = unit.repeat(chars / unit_chars);
    value.push_str(&"b".repeat(chars % unit_chars));
    value
}

/// Values of `limit - 1`, `limit` and `limit + 1` characters in every alphabet, then `random`
/// random Unicode strings of lengths around the limit.
fn some_values_around(limit: usize, random: usize, runner: &mut TestRunner) -> Vec<String> {
    let mut values = Vec::new();
    for unit in UNITS {
        for chars in [limit.saturating_sub(1), limit, limit + 1] {
            values.push(text_of(unit, chars));
        }
    }
    let strategy =
        proptest::string::string_regex(&format!("[\\PC&&[^\\s]]{{{},{}}}", limit - 2, limit + 2)).unwrap();
    for _ in 0..random {
        values.push(strategy.new_tree(runner).unwrap().current());
    }
    values
}

fn values_around(limit: usize, runner: &mut TestRunner) -> Vec<String> {
    some_values_around(limit, 8, runner)
}

/// What a form did with a value: saved (3xx) or refused with a field error (422). A value over
/// the limit, counted in characters, is always refused, with its count in the message.
fn outcome(form: &str, value: &str, limit: usize, status: u16, body: &str) -> bool {
    let count = format!("it has {})", value.chars().count());
    outcome_with(form, value, limit, (status, body), &count)
}

/// [`outcome`] for fields whose over-limit message is `over_limit_error`.
fn outcome_with(
    form: &str,
    value: &str,
    limit: usize,
    (status, body): (u16, &str),
    over_limit_error: &str,
) -> bool {
    let chars = value.chars().count();
    assert!(
        status < 500,
        "{form}: {status} for a value of {chars} characters: {body:.300}"
    );
    assert!(
        status == 303 || status == 422,
        "{form}: unexpected {status}: {body:.300}"
    );
    if chars > limit {
        assert_eq!(
            status, 422,
            "{form}: {chars} characters accepted, the limit is {limit}"
        );
        let shown = html_escape(over_limit_error);
        assert!(body.contains(&shown), "{form}: no {shown:?} in {body:.300}");
    }
    status == 303
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('\'', "&#39;")
        .replace('"', "&quot;")
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

/// Email addresses of `limit - 1`, `limit` and `limit + 1` characters whose domain is written
/// in each alphabet (some of which are not valid in a domain), then random ones.
fn emails_around(limit: usize, runner: &mut TestRunner) -> Vec<String> {
    let local = "reader";
    let mut values = Vec::new();
    for unit in UNITS {
        for chars in [limit - 1, limit, limit + 1] {
            let label = chars - local.len() - 1 - ".org".len();
            values.push(format!("{local}@{}.org", text_of(unit, label)));
        }
    }
    let label = limit - 16;
    let strategy = proptest::string::string_regex(&format!(
        "[a-z0-9._+-]{{1,10}}@[\\p{{L}}\\p{{N}}-]{{{},{}}}\\.org",
        label - 2,
        label + 2
    ))
    .unwrap();
    for _ in 0..8 {
        values.push(strategy.new_tree(runner).unwrap().current());
    }
    values
}

/// Submissions and saves, counted for the summary line.
#[derive(Default)]
struct Tally {
    cases: usize,
    saved: usize,
}

impl Tally {
    fn add(&mut self, saved: bool) {
        self.cases += 1;
        self.saved += usize::from(saved);
    }
}

/// Each public-form submission from its own client, so the hourly limit never answers first.
struct Clients {
    app: TestApp,
    next: u32,
}

impl Clients {
    fn next(&mut self) -> Visitor {
        self.next += 1;
        let ip = std::net::Ipv4Addr::from(0x0a00_0000 + self.next);
        self.app.visitor_from(ip.into())
    }
}

const CONTACT_FIELDS: &[(&str, &str)] = &[
    ("name", "Ada"),
    ("email", "ada@example.org"),
    ("subject", "Hello"),
    ("message", "A message."),
];

/// `fields` with `name` set to `value`.
fn with<'a>(fields: &[(&'a str, &'a str)], name: &'a str, value: &'a str) -> Vec<(&'a str, &'a str)> {
    fields
        .iter()
        .map(|&(field, default)| (field, if field == name { value } else { default }))
        .collect()
}

async fn public_forms(clients: &mut Clients, runner: &mut TestRunner, tally: &mut Tally) {
    for (field, limit) in [("name", 100), ("subject", 200), ("message", 2048)] {
        for value in values_around(limit, runner) {
            let page = clients
                .next()
                .submit("/site/contact/", &with(CONTACT_FIELDS, field, &value))
                .await;
            tally.add(outcome(
                &format!("contact {field}"),
                &value,
                limit,
                page.status.as_u16(),
                &page.body,
            ));
        }
    }
    for email in emails_around(254, runner) {
        let page = clients
            .next()
            .submit("/site/contact/", &with(CONTACT_FIELDS, "email", &email))
            .await;
        let seen = (page.status.as_u16(), page.body.as_str());
        tally.add(outcome_with("contact email", &email, 254, seen, INVALID_EMAIL));
        let page = clients
            .next()
            .submit("/site/subscribe/", &[("email", &email)])
            .await;
        let seen = (page.status.as_u16(), page.body.as_str());
        tally.add(outcome_with("subscribe email", &email, 254, seen, INVALID_EMAIL));
    }
}

async fn account_forms(app: &TestApp, runner: &mut TestRunner, tally: &mut Tally) {
    for email in emails_around(254, runner) {
        let page = app.visitor().sign_up(&email, PASSWORD).await;
        let seen = (page.status.as_u16(), page.body.as_str());
        tally.add(outcome_with("sign-up email", &email, 254, seen, INVALID_EMAIL));
        let page = app
            .visitor()
            .submit("/forgot-password/", &[("email", &email)])
            .await;
        let seen = (page.status.as_u16(), page.body.as_str());
        tally.add(outcome_with(
            "forgotten-password email",
            &email,
            254,
            seen,
            INVALID_EMAIL,
        ));
    }
    let too_long = "It must contain at most 1024 characters.";
    let owner = app.visitor();
    owner.register("owner@example.org").await;
    let mut current = PASSWORD.to_owned();
    for password in some_values_around(1024, 4, runner) {
        let page = app
            .visitor()
            .sign_up(&format!("p{}@example.org", tally.cases), &password)
            .await;
        let seen = (page.status.as_u16(), page.body.as_str());
        tally.add(outcome_with("sign-up password", &password, 1024, seen, too_long));
        let fields = [
            ("old_password", current.as_str()),
            ("new_password1", password.as_str()),
            ("new_password2", password.as_str()),
        ];
        let page = owner.submit("/settings/", &fields).await;
        let seen = (page.status.as_u16(), page.body.as_str());
        let saved = outcome_with("settings password", &password, 1024, seen, too_long);
        if saved {
            current = password;
        }
        tally.add(saved);
    }
}

async fn long_texts(app: &TestApp, runner: &mut TestRunner, tally: &mut Tally) {
    let staff = app.staff_visitor("writer@example.org").await;
    for (n, summary) in some_values_around(2000, 4, runner).into_iter().enumerate() {
        let name = format!("Summarised {n}");
        let fields = [
            ("name", name.as_str()),
            ("slug", ""),
            ("summary", &summary),
            ("position", "0"),
        ];
        let page = staff.submit("/admin/categories/add/", &fields).await;
        tally.add(outcome(
            "category summary",
            &summary,
            2000,
            page.status.as_u16(),
            &page.body,
        ));
    }
    let category = app.create_category(&staff, "Long reads").await.to_string();
    for (n, body) in some_values_around(200_000, 1, runner).into_iter().enumerate() {
        let title = format!("Long read {n}");
        let fields = [
            ("title", title.as_str()),
            ("slug", ""),
            ("category", &category),
            ("summary", "Long."),
            ("body", &body),
            ("status", "draft"),
        ];
        let page = staff.submit("/admin/items/add/", &fields).await;
        tally.add(outcome(
            "item body",
            &body,
            200_000,
            page.status.as_u16(),
            &page.body,
        ));
    }
    for text in some_values_around(262_144, 1, runner) {
        let page = staff
            .submit(
                "/notes/create/",
                &[("name", "Long note"), ("text", &text), ("pad", "")],
            )
            .await;
        tally.add(outcome(
            "note text",
            &text,
            262_144,
            page.status.as_u16(),
            &page.body,
        ));
    }
}

async fn every_other_form_at_its_limits_is_saved_or_a_field_error(app: TestApp) {
    let app = TestApp::spawn_with(app.backend(), |config| config.trusted_proxy_hops = 1)
        .await
        .unwrap();
    let mut runner = TestRunner::deterministic();
    let mut tally = Tally::default();
    let mut clients = Clients {
        app: app.clone(),
        next: 0,
    };
    public_forms(&mut clients, &mut runner, &mut tally).await;
    account_forms(&app, &mut runner, &mut tally).await;
    long_texts(&app, &mut runner, &mut tally).await;
    eprintln!(
        "limits ({:?}): {} more form submissions around the limits, {} saved, {} refused with a field error, 0 errors",
        app.backend(),
        tally.cases,
        tally.saved,
        tally.cases - tally.saved
    );
    app.finish().await;
}
