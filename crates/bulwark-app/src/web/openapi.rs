//! The OpenAPI 3.1 document, generated from the code, and a browsable page rendered from it.
//!
//! The handlers carry `#[utoipa::path]` attributes and their types derive `ToSchema` /
//! `IntoParams`; [`ApiDoc`] lists them. [`Conventions`] then adds what every operation shares
//! (problem documents for errors, 401/403, who may call it — taken from the route table, so the
//! document cannot disagree with the authorization check). `tests/openapi.rs` compares the
//! result with a committed snapshot, so every change of the API shape is deliberate.

use std::fmt::Write as _;
use std::sync::LazyLock;

use axum::http::{Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use bulwark_core::{Access, Role};
use serde_json::Value;
use utoipa::openapi::Required;
use utoipa::openapi::content::Content;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::Response as ApiResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, OpenApi};

use crate::platform::http::Routes;

/// The media type of error answers (RFC 9457).
const PROBLEM: &str = "application/problem+json";

/// The API's description: what it is, how to authenticate, how errors and pages look.
const DESCRIPTION: &str = "The REST API of Bulwark, the self-hosted security office.

Authenticate with a personal API token (`bwk_…`, created under *Profile → API tokens* or with \
`POST /api/v1/tokens`) in the header `Authorization: Bearer bwk_…`. A token acts with the role \
of the person who owns it.

Errors are RFC 9457 problem documents (`application/problem+json`) with `type`, `title`, \
`status` and `detail`; invalid input also lists every offending field in `errors`. Lists are \
paged with an opaque `cursor`: pass `next_cursor` from one page to get the next.";

/// The document's skeleton; see [`document`] for the finished one.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bulwark",
        version = env!("CARGO_PKG_VERSION"),
        description = DESCRIPTION,
    ),
    servers((url = "/", description = "This Bulwark server")),
    paths(
        crate::access::api::list_users,
        crate::access::api::create_user,
        crate::access::api::get_user,
        crate::access::api::patch_user,
        crate::access::api::reset_password,
        crate::access::api::me,
        crate::access::api::change_password,
        crate::access::api::mfa_start,
        crate::access::api::mfa_activate,
        crate::access::api::mfa_remove,
        crate::access::api::list_tokens,
        crate::access::api::create_token,
        crate::access::api::revoke_token,
        crate::audit_log::api::list,
        crate::audit_log::api::export,
        crate::audit_log::api::verification,
        crate::settings::api::get,
        crate::settings::api::patch,
        crate::inventory::api::list_assets,
        crate::inventory::api::create_asset,
        crate::inventory::api::get_asset,
        crate::inventory::api::update_asset,
        crate::inventory::api::delete_asset,
        crate::inventory::api::asset_dependencies,
        crate::inventory::api::dependency_graph,
        crate::inventory::api::add_dependency,
        crate::inventory::api::remove_dependency,
        crate::inventory::api::list_software,
        crate::inventory::api::software_history,
        crate::inventory::api::import_software,
        crate::inventory::api::device_check,
        crate::identity::api::people::list_people,
        crate::identity::api::people::create_person,
        crate::identity::api::people::get_person,
        crate::identity::api::people::replace_person,
        crate::identity::api::people::import_people,
        crate::identity::api::accounts::list_accounts,
        crate::identity::api::accounts::get_account,
        crate::identity::api::accounts::link_account,
        crate::identity::api::accounts::import_history,
        crate::identity::api::accounts::import_accounts_csv,
        crate::identity::api::accounts::import_accounts_ldap,
        crate::identity::api::findings::list_findings,
        crate::identity::api::findings::get_finding,
        crate::identity::api::findings::refresh_findings,
        crate::identity::api::findings::list_exemptions,
        crate::identity::api::findings::add_exemption,
        crate::identity::api::findings::remove_exemption,
        crate::identity::api::findings::list_sod_rules,
        crate::identity::api::findings::add_sod_rule,
        crate::identity::api::findings::replace_sod_rule,
        crate::identity::api::findings::remove_sod_rule,
        crate::identity::scim::tokens::list_scim_tokens,
        crate::identity::scim::tokens::issue_scim_token,
        crate::identity::scim::tokens::revoke_scim_token,
        crate::identity::reviews::api::list_campaigns,
        crate::identity::reviews::api::launch_campaign,
        crate::identity::reviews::api::get_campaign,
        crate::identity::reviews::api::close_campaign,
        crate::identity::reviews::api::list_items,
        crate::identity::reviews::api::get_progress,
        crate::identity::reviews::api::evidence_csv,
        crate::identity::reviews::api::evidence_pdf,
        crate::identity::reviews::api::list_tasks,
        crate::identity::reviews::api::task_done,
        crate::identity::reviews::api::decide_items,
        crate::identity::reviews::api::my_queue,
        crate::risk::api::list_risks,
        crate::risk::api::get_risk,
        crate::risk::api::create_risk,
        crate::risk::api::update_risk,
        crate::risk::api::delete_risk,
        crate::risk::api::list_assessments,
        crate::risk::api::assess,
        crate::risk::api::link_control,
        crate::risk::api::unlink_control,
        crate::risk::api::list_actions,
        crate::risk::api::add_action,
        crate::risk::api::update_action,
        crate::risk::api::delete_action,
        crate::risk::api::list_acceptances,
        crate::risk::api::accept_risk,
        crate::risk::api::withdraw_acceptance,
        crate::risk::api::list_matrices,
        crate::risk::api::get_matrix,
        crate::risk::api::create_matrix,
        crate::risk::api::update_matrix,
        crate::risk::api::delete_matrix,
        crate::risk::api::list_threats,
        crate::risk::api::get_threat,
        crate::risk::api::create_threat,
        crate::risk::api::update_threat,
        crate::risk::api::delete_threat,
        crate::risk::api::list_controls,
        crate::risk::api::get_control,
        crate::risk::api::create_control,
        crate::risk::api::update_control,
        crate::risk::api::delete_control,
        crate::risk::api::list_appetite,
        crate::risk::api::set_appetite,
        crate::risk::api::remove_appetite,
        crate::risk::api::heatmap,
        crate::risk::export::export,
        crate::risk::report::risk_pdf,
        crate::risk::quant::api::get_quantification,
        crate::risk::quant::api::put_quantification,
        crate::risk::quant::api::delete_quantification,
        crate::risk::quant::api::get_effect,
        crate::risk::quant::api::put_effect,
        crate::risk::quant::api::list_simulations,
        crate::risk::quant::api::request_simulation,
        crate::risk::quant::api::get_simulation,
        crate::risk::quant::api::cancel_simulation,
    ),
    components(schemas(
        crate::platform::http::error::Problem,
        crate::access::users::UserSort,
        crate::inventory::assets::AssetSort,
        crate::inventory::devices::DeviceIssue,
    )),
    tags(
        (name = "users", description = "User accounts: create, change, disable, reset passwords."),
        (name = "me", description = "The caller's own account: profile, password, two-factor authentication."),
        (name = "tokens", description = "The caller's personal API tokens."),
        (name = "audit trail", description = "The tamper-evident record of every change: browse, export, verify."),
        (name = "settings", description = "Installation-wide settings."),
        (name = "inventory", description = "Assets and services, their dependencies, the software on each, and the device check."),
        (name = "identity", description = "People (from the HR file or by hand), the accounts they hold on each system (CSV, LDAP, SCIM), identity findings, exemptions and segregation-of-duties rules."),
        (name = "access reviews", description = "Access-review campaigns: the frozen population, reviewers' decisions, progress, revocation tasks and the evidence pack."),
        (name = "risk", description = "The risk register: risks linked to assets, threats and controls; inherent, current and target scores on configurable matrices; action plans, acceptances that expire, appetite per category; matrices, the threat catalogue and controls. Quantitative risk: each risk's FAIR estimates, each control's effect on a risk, and simulations (one risk, the portfolio against the risk tolerance, the return of planned controls and what to fund within a budget) run in the background with progress."),
        (name = "reports", description = "Reports for leadership in plain language: the risk report as PDF."),
    ),
    security(("bearer" = [])),
    modifiers(&Conventions),
)]
pub struct ApiDoc;

/// Adds the security scheme and what every operation shares.
#[derive(Debug)]
pub struct Conventions;

impl Modify for Conventions {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("bwk_…")
                    .description(Some(
                        "A personal API token (`bwk_…`), sent as `Authorization: Bearer bwk_…`.",
                    ))
                    .build(),
            ),
        );
        let (_, specs) = crate::platform::http::routes().into_parts();
        for (path, item) in doc.paths.paths.iter_mut() {
            let ops = [
                (Method::GET, &mut item.get),
                (Method::POST, &mut item.post),
                (Method::PUT, &mut item.put),
                (Method::PATCH, &mut item.patch),
                (Method::DELETE, &mut item.delete),
            ];
            for (method, op) in ops {
                let Some(op) = op else { continue };
                let access = specs
                    .iter()
                    .find(|s| s.method == method && s.path == path)
                    .map(|s| s.access);
                conventions(op, path, access);
            }
        }
    }
}

/// Who may call an operation, in words.
fn access_label(access: Access) -> String {
    match access {
        Access::Public => "public".into(),
        Access::SignedIn => "signed in".into(),
        Access::Requires(p) => format!("permission {p:?}"),
        Access::Provisioning => "provisioning token".into(),
    }
}

/// Whether a schema admits `null` (the schema of an `Option`).
fn nullable(schema: Option<&RefOr<utoipa::openapi::Schema>>) -> bool {
    let v = serde_json::to_value(schema).unwrap_or(Value::Null);
    let null = Value::String("null".into());
    v["type"] == null
        || v["type"].as_array().is_some_and(|t| t.contains(&null))
        || v["oneOf"]
            .as_array()
            .is_some_and(|o| o.iter().any(|s| s["type"] == null))
}

fn conventions(op: &mut Operation, path: &str, access: Option<Access>) {
    // `IntoParams` types without `#[into_params(parameter_in = Query)]` come out as path
    // parameters; a parameter the path template does not name is a query parameter.
    for p in op.parameters.iter_mut().flatten() {
        if p.parameter_in == ParameterIn::Path && !path.contains(&format!("{{{}}}", p.name)) {
            p.parameter_in = ParameterIn::Query;
            p.required = if nullable(p.schema.as_ref()) {
                Required::False
            } else {
                Required::True
            };
        }
    }
    let r = &mut op.responses.responses;
    if op.request_body.is_some() {
        r.entry("400".into())
            .or_insert_with(|| ApiResponse::new("").into());
        r.entry("422".into())
            .or_insert_with(|| ApiResponse::new("").into());
    }
    if let Some(access) = access {
        if access != Access::Public {
            let mut unauthorized = ApiResponse::new("");
            let mut challenge = Header::default();
            challenge.description = Some("`Bearer`".into());
            unauthorized
                .headers
                .insert(header::WWW_AUTHENTICATE.to_string(), challenge);
            r.entry("401".into()).or_insert_with(|| unauthorized.into());
            r.entry("403".into())
                .or_insert_with(|| ApiResponse::new("").into());
        }
        let roles: Vec<Value> = Role::ALL
            .into_iter()
            .filter(|role| access.allows(Some(*role)))
            .map(|role| Value::String(role.as_str().into()))
            .collect();
        let ext = op.extensions.get_or_insert_with(Default::default);
        ext.insert("x-bulwark-access".into(), access_label(access).into());
        ext.insert("x-bulwark-roles".into(), Value::Array(roles));
        if access == Access::Public {
            op.security = Some(vec![Default::default()]);
        }
    }
    for (status, resp) in r.iter_mut() {
        let RefOr::T(resp) = resp else { continue };
        let code = status.parse::<u16>().ok();
        if resp.description.is_empty() {
            resp.description = code
                .and_then(|c| StatusCode::from_u16(c).ok())
                .and_then(|c| c.canonical_reason())
                .unwrap_or("Answer")
                .to_string();
        }
        if code.is_some_and(|c| c >= 400) {
            let schema = resp
                .content
                .shift_remove("application/json")
                .and_then(|c| c.schema)
                .unwrap_or_else(|| Ref::from_schema_name("Problem").into());
            resp.content.clear();
            resp.content
                .insert(PROBLEM.into(), Content::new(Some(schema)));
        }
    }
}

/// The finished document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

static JSON: LazyLock<String> = LazyLock::new(|| {
    document()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
});

static DOCS: LazyLock<String> = LazyLock::new(|| {
    let doc = serde_json::to_value(document()).unwrap_or(Value::Null);
    render(&doc, &super::assets::url("bulwark.css"))
});

/// `/api/openapi.json` and `/api/docs`.
pub fn routes() -> Routes {
    Routes::default()
        .add(
            Method::GET,
            "/api/openapi.json",
            Access::Public,
            openapi_json,
        )
        .add(Method::GET, "/api/docs", Access::Public, docs)
}

/// The OpenAPI document.
async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], JSON.as_str()).into_response()
}

/// The API reference as a page.
async fn docs() -> Html<&'static str> {
    Html(DOCS.as_str())
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Prose from doc comments as HTML: escaped, with `code spans` marked up.
pub fn prose(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in escape(s).split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// An anchor identifier: lowercase letters, digits and dashes.
fn slug(parts: &[&str]) -> String {
    let mut out = String::new();
    for c in parts.join("-").chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

fn schema_anchor(name: &str) -> String {
    slug(&["schema", name])
}

fn op_anchor(method: &str, path: &str) -> String {
    slug(&["op", method, path])
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A schema, in words, as HTML (references become links).
fn type_html(s: &Value) -> String {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!(
            "<a href=\"#{}\"><code>{}</code></a>",
            schema_anchor(name),
            escape(name)
        );
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = s.get(key).and_then(Value::as_array) {
            let sep = if key == "allOf" { " and " } else { " or " };
            return list.iter().map(type_html).collect::<Vec<_>>().join(sep);
        }
    }
    let types: Vec<&str> = match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let mut parts = Vec::new();
    for t in &types {
        let part = match *t {
            "array" => format!(
                "array of {}",
                s.get("items").map_or_else(|| "any".into(), type_html)
            ),
            "null" => continue,
            other => {
                let mut p = format!("<code>{}</code>", escape(other));
                if let Some(f) = s.get("format").and_then(Value::as_str) {
                    let _ = write!(p, " ({})", escape(f));
                }
                p
            }
        };
        parts.push(part);
    }
    let mut out = if parts.is_empty() {
        "any".to_string()
    } else {
        parts.join(" or ")
    };
    if let Some(values) = s.get("enum").and_then(Value::as_array) {
        let vs: Vec<String> = values
            .iter()
            .map(|v| format!("<code>{}</code>", escape(&v.to_string())))
            .collect();
        let _ = write!(out, ", one of {}", vs.join(", "));
    }
    if types.contains(&"null") {
        out.push_str(", or null");
    }
    out
}

/// The HTML page for a document (as JSON), styled by the stylesheet at `css`.
pub fn render(doc: &Value, css: &str) -> String {
    let info = &doc["info"];
    let title = format!("{} API {}", str_of(info, "title"), str_of(info, "version"));
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{t}</title>\n<link rel=\"stylesheet\" href=\"{css}\">\n</head>\n\
         <body class=\"api-docs\">\n<header><p><a href=\"/\">Bulwark</a></p></header>\n<main>\n\
         <h1>{t}</h1>\n",
        t = escape(&title),
        css = escape(css),
    );
    for para in str_of(info, "description").split("\n\n") {
        let _ = writeln!(h, "<p>{}</p>", prose(para));
    }
    let _ = writeln!(
        h,
        "<p>Machine-readable: <a href=\"/api/openapi.json\"><code>/api/openapi.json</code></a> \
         (OpenAPI {}).</p>",
        escape(str_of(doc, "openapi"))
    );

    // Operations grouped by tag, in the document's tag order.
    let mut tags: Vec<(String, String)> = doc["tags"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .map(|t| {
                    (
                        str_of(t, "name").to_string(),
                        str_of(t, "description").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut ops: Vec<(String, String, String, &Value)> = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                if let Some(op) = item.get(method) {
                    let tag = op["tags"][0].as_str().unwrap_or("other").to_string();
                    if !tags.iter().any(|(n, _)| *n == tag) {
                        tags.push((tag.clone(), String::new()));
                    }
                    ops.push((tag, method.to_string(), path.clone(), op));
                }
            }
        }
    }
    let schemas = doc["components"]["schemas"].as_object();

    // Table of contents.
    h.push_str("<nav aria-label=\"Contents\">\n<h2>Contents</h2>\n<ol>\n");
    for (tag, _) in &tags {
        let _ = write!(
            h,
            "<li><a href=\"#{}\">{}</a>\n<ul>\n",
            slug(&["tag", tag]),
            escape(tag)
        );
        for (_, method, path, op) in ops.iter().filter(|o| o.0 == *tag) {
            let _ = writeln!(
                h,
                "<li><a href=\"#{}\"><code>{} {}</code></a> {}</li>",
                op_anchor(method, path),
                escape(&method.to_uppercase()),
                escape(path),
                prose(str_of(op, "summary"))
            );
        }
        h.push_str("</ul></li>\n");
    }
    if let Some(schemas) = schemas {
        h.push_str("<li><a href=\"#schemas\">Schemas</a>\n<ul>\n");
        for name in schemas.keys() {
            let _ = writeln!(
                h,
                "<li><a href=\"#{}\"><code>{}</code></a></li>",
                schema_anchor(name),
                escape(name)
            );
        }
        h.push_str("</ul></li>\n");
    }
    h.push_str("</ol>\n</nav>\n");

    // Operations.
    for (tag, tag_desc) in &tags {
        let _ = writeln!(
            h,
            "<section id=\"{}\">\n<h2>{}</h2>",
            slug(&["tag", tag]),
            escape(tag)
        );
        if !tag_desc.is_empty() {
            let _ = writeln!(h, "<p>{}</p>", prose(tag_desc));
        }
        for (_, method, path, op) in ops.iter().filter(|o| o.0 == *tag) {
            render_operation(&mut h, method, path, op);
        }
        h.push_str("</section>\n");
    }

    // Schemas.
    if let Some(schemas) = schemas {
        h.push_str("<section id=\"schemas\">\n<h2>Schemas</h2>\n");
        for (name, s) in schemas {
            render_schema(&mut h, name, s);
        }
        h.push_str("</section>\n");
    }
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

fn render_operation(h: &mut String, method: &str, path: &str, op: &Value) {
    let _ = writeln!(
        h,
        "<article id=\"{}\">\n<h3><code>{} {}</code></h3>",
        op_anchor(method, path),
        escape(&method.to_uppercase()),
        escape(path)
    );
    let summary = str_of(op, "summary");
    if !summary.is_empty() {
        let _ = writeln!(h, "<p><strong>{}</strong></p>", prose(summary));
    }
    let description = str_of(op, "description");
    if !description.is_empty() && description != summary {
        for para in description.split("\n\n") {
            let _ = writeln!(h, "<p>{}</p>", prose(para));
        }
    }
    if let Some(roles) = op["x-bulwark-roles"].as_array() {
        let names: Vec<String> = roles
            .iter()
            .filter_map(Value::as_str)
            .map(|r| format!("<code>{}</code>", escape(r)))
            .collect();
        let _ = writeln!(
            h,
            "<p>Access: {} — roles: {}.</p>",
            escape(str_of(op, "x-bulwark-access")),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        );
    }
    if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        h.push_str(
            "<h4>Parameters</h4>\n<table>\n<thead><tr><th>Name</th><th>In</th><th>Type</th>\
             <th>Required</th><th>Description</th></tr></thead>\n<tbody>\n",
        );
        for p in params {
            let _ = writeln!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(str_of(p, "name")),
                escape(str_of(p, "in")),
                p.get("schema").map_or_else(|| "any".into(), type_html),
                if p["required"].as_bool() == Some(true) {
                    "yes"
                } else {
                    "no"
                },
                prose(str_of(p, "description"))
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }
    if let Some(content) = op["requestBody"]["content"].as_object() {
        h.push_str("<h4>Request body</h4>\n<ul>\n");
        for (media, c) in content {
            let _ = writeln!(
                h,
                "<li><code>{}</code>: {}</li>",
                escape(media),
                c.get("schema").map_or_else(|| "any".into(), type_html)
            );
        }
        h.push_str("</ul>\n");
    }
    if let Some(responses) = op["responses"].as_object() {
        h.push_str(
            "<h4>Responses</h4>\n<table>\n<thead><tr><th>Status</th><th>Description</th>\
             <th>Body</th></tr></thead>\n<tbody>\n",
        );
        for (status, r) in responses {
            let body = r["content"]
                .as_object()
                .map(|c| {
                    c.iter()
                        .map(|(media, c)| {
                            format!(
                                "<code>{}</code>: {}",
                                escape(media),
                                c.get("schema").map_or_else(|| "any".into(), type_html)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("<br>")
                })
                .unwrap_or_default();
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(status),
                prose(str_of(r, "description")),
                body
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }
    h.push_str("</article>\n");
}

fn render_schema(h: &mut String, name: &str, s: &Value) {
    let _ = writeln!(
        h,
        "<article id=\"{}\">\n<h3><code>{}</code></h3>",
        schema_anchor(name),
        escape(name)
    );
    let description = str_of(s, "description");
    if !description.is_empty() {
        let _ = writeln!(h, "<p>{}</p>", prose(description));
    }
    // Flattened structs are `allOf` of a reference and an object: show both.
    let mut parts: Vec<&Value> = vec![s];
    if let Some(all) = s["allOf"].as_array() {
        for part in all {
            if part.get("$ref").is_some() {
                let _ = writeln!(h, "<p>Has every property of {}.</p>", type_html(part));
            } else {
                parts.push(part);
            }
        }
    }
    let mut any = false;
    for part in parts {
        let Some(props) = part["properties"].as_object() else {
            continue;
        };
        if !any {
            h.push_str(
                "<table>\n<thead><tr><th>Property</th><th>Type</th><th>Required</th>\
                 <th>Description</th></tr></thead>\n<tbody>\n",
            );
            any = true;
        }
        let required: Vec<&str> = part["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (prop, ps) in props {
            let _ = writeln!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(prop),
                type_html(ps),
                if required.contains(&prop.as_str()) {
                    "yes"
                } else {
                    "no"
                },
                prose(str_of(ps, "description"))
            );
        }
    }
    if any {
        h.push_str("</tbody>\n</table>\n");
    } else if s["allOf"].is_null() {
        let _ = writeln!(h, "<p>{}</p>", type_html(s));
    }
    h.push_str("</article>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn prose_marks_code_and_escapes() {
        assert_eq!(
            prose("use `a<b>` & <i>"),
            "use <code>a&lt;b&gt;</code> &amp; &lt;i&gt;"
        );
    }

    #[test]
    fn anchors_are_plain() {
        assert_eq!(
            op_anchor("get", "/api/v1/users/{id}"),
            "op-get-api-v1-users-id"
        );
        assert_eq!(slug(&["tag", "audit trail"]), "tag-audit-trail");
    }

    #[test]
    fn document_is_openapi_3_1_with_a_page() {
        let doc = serde_json::to_value(document()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let page = render(&doc, "/assets/bulwark.css");
        assert!(page.contains("id=\"op-get-api-v1-users\""));
        assert!(page.contains("href=\"#schema-user\""));
        assert!(!page.contains("<script"));
        assert!(!page.contains("style="));
    }

    #[test]
    fn text_in_the_document_is_escaped() {
        let doc = serde_json::json!({
            "openapi": "3.1.0",
            "info": {"title": "<b>x</b>", "version": "1", "description": "a & b"},
            "paths": {"/api/v1/<x>": {"get": {"summary": "<script>", "tags": ["t\"q"],
                "responses": {"200": {"description": "<ok>"}}}}},
        });
        let page = render(&doc, "/assets/bulwark.css");
        assert!(!page.contains("<b>x"));
        assert!(!page.contains("<script>"));
        assert!(!page.contains("<ok>"));
        assert!(page.contains("&lt;script&gt;"));
    }
}
