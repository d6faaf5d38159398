//! Every answer the API tests receive is checked against the served OpenAPI
//! document: its status must be declared for the operation, and its body must
//! match the declared schema — closed objects included (a field the document does
//! not list is an error), so the document cannot fall behind the code.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde_json::Value;

static DOCUMENT: OnceLock<Value> = OnceLock::new();

/// The document, fetched once per test run (it is the same for every app).
pub fn document_or_init(fetch: impl FnOnce() -> Value) -> &'static Value {
    DOCUMENT.get_or_init(fetch)
}

pub fn loaded() -> bool {
    DOCUMENT.get().is_some()
}

/// Panics, naming the operation, if `status` / `body` is not what the document
/// declares for `method path`.
pub fn check(method: &str, path: &str, status: u16, body: &Value) {
    let Some(document) = DOCUMENT.get() else {
        return;
    };
    let path = path.split('?').next().unwrap_or(path);
    if !path.starts_with("/api/v1/") || path == "/api/v1/openapi.json" {
        return;
    }
    let Some((template, operation)) = operation(document, method, path) else {
        // Not an operation of the API: only "no such route" may answer.
        assert_eq!(
            status, 404,
            "{method} {path} is no route, yet answered {status}"
        );
        return;
    };
    let responses = &operation["responses"];
    let declared = responses
        .get(status.to_string())
        .or_else(|| responses.get("default"))
        .unwrap_or_else(|| {
            panic!("{method} {template} answered {status}, which the document does not declare")
        });
    let declared = resolve(document, declared);
    if let Some(schema) = declared.pointer("/content/application~1json/schema")
        && let Err(error) = validate(document, schema, body, "$")
    {
        panic!(
            "{method} {template} {status}: the body does not match the document: {error}\n{body}"
        );
    }
}

fn operation<'d>(document: &'d Value, method: &str, path: &str) -> Option<(&'d str, &'d Value)> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    document["paths"]
        .as_object()?
        .iter()
        .find_map(|(template, item)| {
            let parts: Vec<&str> = template.split('/').collect();
            let fits = parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(p, s)| p.starts_with('{') || p == s);
            let operation = item.get(method.to_ascii_lowercase())?;
            fits.then_some((template.as_str(), operation))
        })
}

fn resolve<'d>(document: &'d Value, value: &'d Value) -> &'d Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            resolve(
                document,
                document
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling reference {reference}")),
            )
        }
        None => value,
    }
}

fn types_of(schema: &Value) -> Vec<&str> {
    match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn type_fits(kind: &str, value: &Value) -> bool {
    match kind {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

/// The properties a schema (with its allOf branches) declares; `None` when it
/// leaves objects open.
fn declared_properties(document: &Value, schema: &Value) -> Option<BTreeSet<String>> {
    let schema = resolve(document, schema);
    let mut names = BTreeSet::new();
    let mut closed = false;
    if let Some(properties) = schema["properties"].as_object() {
        names.extend(properties.keys().cloned());
        closed = true;
    }
    if schema
        .get("additionalProperties")
        .is_some_and(|a| a != &Value::Bool(false))
    {
        return None;
    }
    for branch in schema["allOf"].as_array().into_iter().flatten() {
        names.extend(declared_properties(document, branch)?);
        closed = true;
    }
    closed.then_some(names)
}

pub fn validate(document: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(document, schema);
    if let Some(branches) = schema["allOf"].as_array() {
        for branch in branches {
            validate_open(document, branch, value, at)?;
        }
        if let (Some(object), Some(names)) =
            (value.as_object(), declared_properties(document, schema))
            && let Some(extra) = object.keys().find(|k| !names.contains(*k))
        {
            return Err(format!("{at}.{extra} is not in the document"));
        }
    }
    for (keyword, exactly_one) in [("oneOf", true), ("anyOf", false)] {
        if let Some(branches) = schema[keyword].as_array() {
            let fitting = branches
                .iter()
                .filter(|b| validate(document, b, value, at).is_ok())
                .count();
            let ok = if exactly_one {
                fitting == 1
            } else {
                fitting >= 1
            };
            if !ok {
                let reasons: Vec<String> = branches
                    .iter()
                    .filter_map(|b| validate(document, b, value, at).err())
                    .collect();
                return Err(format!(
                    "{at}: {fitting} of {keyword} fit ({})",
                    reasons.join("; ")
                ));
            }
        }
    }
    let types = types_of(schema);
    if !types.is_empty() && !types.iter().any(|t| type_fits(t, value)) {
        return Err(format!("{at}: {value} is not {}", types.join(" or ")));
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let (Some(text), Some(pattern)) = (value.as_str(), schema["pattern"].as_str()) {
        let regex = regex::Regex::new(pattern)
            .map_err(|e| format!("{at}: the pattern {pattern} does not compile: {e}"))?;
        if !regex.is_match(text) {
            return Err(format!("{at}: {text:?} does not match {pattern}"));
        }
    }
    let outside = |n: f64, low: &str, high: &str| {
        schema[low].as_f64().is_some_and(|min| n < min)
            || schema[high].as_f64().is_some_and(|max| n > max)
    };
    if let Some(text) = value.as_str()
        && outside(text.chars().count() as f64, "minLength", "maxLength")
    {
        return Err(format!("{at}: {text:?} has the wrong length"));
    }
    if let Some(number) = value.as_f64()
        && outside(number, "minimum", "maximum")
    {
        return Err(format!("{at}: {number} is out of range"));
    }
    if let Some(items) = value.as_array()
        && outside(items.len() as f64, "minItems", "maxItems")
    {
        return Err(format!("{at}: {} items is out of range", items.len()));
    }
    if let (Some(text), Some("date-time")) = (value.as_str(), schema["format"].as_str()) {
        chrono::DateTime::parse_from_rfc3339(text)
            .map_err(|_| format!("{at}: {text} is not an RFC 3339 time"))?;
    }
    if let Some(items) = schema.get("items") {
        for (i, item) in value.as_array().into_iter().flatten().enumerate() {
            validate(document, items, item, &format!("{at}[{i}]"))?;
        }
    }
    if let Some(object) = value.as_object() {
        validate_object(document, schema, object, at, schema.get("allOf").is_none())?;
    }
    Ok(())
}

/// An allOf branch: its own properties only, other keys left to the whole.
fn validate_open(document: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(document, schema);
    match value.as_object() {
        Some(object) if schema.get("properties").is_some() => {
            validate_object(document, schema, object, at, false)
        }
        _ => validate(document, schema, value, at),
    }
}

fn validate_object(
    document: &Value,
    schema: &Value,
    object: &serde_json::Map<String, Value>,
    at: &str,
    closed: bool,
) -> Result<(), String> {
    let properties = schema["properties"].as_object();
    for name in schema["required"].as_array().into_iter().flatten() {
        let name = name.as_str().unwrap_or_default();
        if !object.contains_key(name) {
            return Err(format!("{at}.{name} is required"));
        }
    }
    for (key, item) in object {
        match properties.and_then(|p| p.get(key)) {
            Some(property) => validate(document, property, item, &format!("{at}.{key}"))?,
            None => match schema.get("additionalProperties") {
                Some(Value::Bool(true)) => {}
                Some(additional) if additional.is_object() => {
                    validate(document, additional, item, &format!("{at}.{key}"))?
                }
                _ if closed && properties.is_some() => {
                    return Err(format!("{at}.{key} is not in the document"));
                }
                _ => {}
            },
        }
    }
    Ok(())
}
