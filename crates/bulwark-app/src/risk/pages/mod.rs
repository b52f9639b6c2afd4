//! Pages of risk management: the register with its heat maps, a risk's page (scores and their
//! history, treatment, action plan, acceptance), the risk form, and the shared records (controls,
//! the threat catalogue, matrices, appetite). Every form posts to the same store functions as
//! the API.

mod catalogue;
mod register;

use axum::http::Method;
use bulwark_core::{Access, Area, Permission};

use crate::access::Identity;
use crate::platform::http::Routes;
use crate::web::{html, route_allows};

/// The page routes.
pub fn routes() -> Routes {
    use Method as M;
    let read = Access::Requires(Permission::Read(Area::Risk));
    let write = Access::Requires(Permission::Write(Area::Risk));
    let accept = Access::Requires(Permission::AcceptRisk);
    Routes::default()
        .add(M::GET, "/risk", read, html(register::list))
        .add(M::GET, "/risk/risks/new", write, html(register::new_form))
        .add(M::POST, "/risk/risks", write, html(register::create))
        .add(M::GET, "/risk/risks/{id}", read, html(register::page))
        .add(
            M::GET,
            "/risk/risks/{id}/edit",
            write,
            html(register::edit_form),
        )
        .add(M::POST, "/risk/risks/{id}", write, html(register::save))
        .add(
            M::POST,
            "/risk/risks/{id}/delete",
            write,
            html(register::delete),
        )
        .add(
            M::POST,
            "/risk/risks/{id}/assessments",
            write,
            html(register::assess),
        )
        .add(
            M::POST,
            "/risk/risks/{id}/actions",
            write,
            html(register::add_action),
        )
        .add(
            M::POST,
            "/risk/actions/{id}/status",
            write,
            html(register::action_status),
        )
        .add(
            M::POST,
            "/risk/risks/{id}/acceptances",
            accept,
            html(register::accept),
        )
        .add(
            M::POST,
            "/risk/risks/{id}/acceptances/withdrawal",
            accept,
            html(register::withdraw),
        )
        .add(M::GET, "/risk/controls", read, html(catalogue::controls))
        .add(
            M::POST,
            "/risk/controls",
            write,
            html(catalogue::create_control),
        )
        .add(
            M::GET,
            "/risk/controls/{id}",
            read,
            html(catalogue::control),
        )
        .add(
            M::POST,
            "/risk/controls/{id}",
            write,
            html(catalogue::save_control),
        )
        .add(M::GET, "/risk/threats", read, html(catalogue::threats))
        .add(
            M::POST,
            "/risk/threats",
            write,
            html(catalogue::create_threat),
        )
        .add(M::GET, "/risk/matrices", read, html(catalogue::matrices))
        .add(
            M::POST,
            "/risk/matrices",
            write,
            html(catalogue::create_matrix),
        )
        .add(M::GET, "/risk/appetite", read, html(catalogue::appetite))
        .add(
            M::POST,
            "/risk/appetite",
            write,
            html(catalogue::save_appetite),
        )
}

/// Whether the caller may change the register (forms are shown only then).
fn can_write(id: &Identity) -> bool {
    route_allows(Some(id.role()), &Method::POST, "/risk/risks")
}

/// Whether the caller may approve acceptances.
fn can_accept(id: &Identity) -> bool {
    route_allows(
        Some(id.role()),
        &Method::POST,
        "/risk/risks/{id}/acceptances",
    )
}

/// A level as shown: its name and colour (drawn as a swatch beside the name).
#[derive(Debug, Clone, Default)]
pub struct LevelView {
    pub name: String,
    pub colour: String,
    /// `L × I` in words.
    pub cell: String,
}

impl LevelView {
    fn of(a: Option<&crate::risk::assessments::Assessment>) -> Option<LevelView> {
        a.map(|a| LevelView {
            name: a.level_name.clone(),
            colour: a.colour.clone(),
            cell: format!("{} × {}", a.likelihood_label, a.impact_label),
        })
    }
}
