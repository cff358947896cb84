//! `/api/docs`: the OpenAPI document as a page, rendered once from the same document
//! `/api/openapi.json` serves: no script, no CDN, nothing to drift.

use askama::Template;
use serde_json::Value;

/// One operation as the page lists it.
#[derive(Debug)]
pub struct OperationView {
    pub anchor: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub parameters: Vec<ParameterView>,
    /// The body's schema and its media type.
    pub body: Option<(String, String)>,
    pub responses: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct ParameterView {
    pub name: String,
    pub location: String,
    pub required: bool,
    pub schema: String,
    pub description: String,
}

#[derive(Template)]
#[template(path = "features/api/templates/docs.html")]
pub struct DocsPage {
    pub title: String,
    pub version: String,
    pub description: String,
    pub css_url: String,
    pub operations: Vec<OperationView>,
    /// Each schema's name and its JSON Schema, pretty-printed.
    pub schemas: Vec<(String, String)>,
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// `#/components/schemas/Note` → `Note`; an inline schema → its JSON.
fn schema_name(schema: &Value) -> String {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference.rsplit('/').next().unwrap_or(reference).to_owned(),
        None => serde_json::to_string(schema).unwrap_or_default(),
    }
}

fn parameter(value: &Value) -> ParameterView {
    ParameterView {
        name: text(value, "name"),
        location: text(value, "in"),
        required: value.get("required").and_then(Value::as_bool).unwrap_or(false),
        schema: value.get("schema").map(schema_name).unwrap_or_default(),
        description: text(value, "description"),
    }
}

fn operation(path: &str, method: &str, op: &Value) -> OperationView {
    let parameters = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|list| list.iter().map(parameter).collect())
        .unwrap_or_default();
    let body = op
        .pointer("/requestBody/content")
        .and_then(Value::as_object)
        .and_then(|content| content.iter().next())
        .and_then(|(media_type, media)| Some((schema_name(media.get("schema")?), media_type.clone())));
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .map(|all| {
            all.iter()
                .map(|(status, response)| (status.clone(), text(response, "description")))
                .collect()
        })
        .unwrap_or_default();
    OperationView {
        anchor: format!(
            "{method}-{}",
            path.trim_matches('/').replace(['/', '{', '}'], "-")
        ),
        method: method.to_uppercase(),
        path: path.to_owned(),
        summary: text(op, "summary"),
        description: text(op, "description"),
        parameters,
        body,
        responses,
    }
}

/// The page for an OpenAPI document (as JSON).
pub fn page(spec: &Value) -> DocsPage {
    let mut operations = Vec::new();
    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    operations.push(operation(path, method, op));
                }
            }
        }
    }
    let schemas = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|all| {
            all.iter()
                .map(|(name, schema)| {
                    (
                        name.clone(),
                        serde_json::to_string_pretty(schema).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    DocsPage {
        title: spec
            .pointer("/info/title")
            .and_then(Value::as_str)
            .unwrap_or("API")
            .to_owned(),
        version: spec
            .pointer("/info/version")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        description: spec
            .pointer("/info/description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        css_url: crate::layout::CSS_URL.clone(),
        operations,
        schemas,
    }
}
