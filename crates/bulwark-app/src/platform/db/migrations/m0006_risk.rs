//! Risk management: matrices, the threat catalogue, controls (shared with compliance later), the
//! risk register with its links, assessments (every score kept), action plans, acceptances,
//! appetite per category, quantitative models and simulation runs.
//!
//! The three built-in matrices and the threat catalogue are inserted here, with fixed ids.

use crate::platform::db::Backend;
use crate::platform::db::schema::{
    boolean, cascade, id, index, int, int_null, render, set_null, table, text, text_null,
};
use crate::risk::catalogue::{THREATS, builtin_id};
use sea_query::{Alias, InsertStatement, PostgresQueryBuilder, Query, SqliteQueryBuilder};

/// When the built-in rows were written (they carry no real creation time).
const SEEDED_AT: &str = "2026-11-23T00:00:00.000000Z";

pub fn up(backend: Backend) -> Vec<String> {
    let tables = [
        table("risk_matrices")
            .col(id())
            .col(text("name"))
            .col(text("definition"))
            .col(boolean("builtin"))
            .col(text("created_at"))
            .col(text("updated_at"))
            .to_owned(),
        table("threats")
            .col(id())
            .col(text("code"))
            .col(text("name"))
            .col(text("category"))
            .col(text("tactics"))
            .col(text("description"))
            .col(boolean("builtin"))
            .col(text("created_at"))
            .col(text("updated_at"))
            .to_owned(),
        table("controls")
            .col(id())
            .col(text("code"))
            .col(text("name"))
            .col(text("description"))
            .col(text("kind"))
            .col(text("status"))
            .col(text_null("owner_person_id"))
            .col(int("one_off_cost"))
            .col(int("yearly_cost"))
            .col(text("created_at"))
            .col(text("updated_at"))
            .foreign_key(&mut set_null("controls", "owner_person_id", "people"))
            .to_owned(),
        table("control_dependencies")
            .col(id())
            .col(text("control_id"))
            .col(text("requires_id"))
            .foreign_key(&mut cascade(
                "control_dependencies",
                "control_id",
                "controls",
            ))
            .foreign_key(&mut cascade(
                "control_dependencies",
                "requires_id",
                "controls",
            ))
            .to_owned(),
        table("risks")
            .col(id())
            .col(text("code"))
            .col(text("title"))
            .col(text("description"))
            .col(text("category"))
            .col(text_null("owner_person_id"))
            .col(text("status"))
            .col(text("treatment"))
            .col(text("treatment_plan"))
            .col(text_null("review_date"))
            .col(text_null("matrix_id"))
            .col(text("weaknesses"))
            .col(text("created_at"))
            .col(text("updated_at"))
            .foreign_key(&mut set_null("risks", "owner_person_id", "people"))
            .foreign_key(&mut set_null("risks", "matrix_id", "risk_matrices"))
            .to_owned(),
        link("risk_assets", "asset_id", "assets"),
        link("risk_threats", "threat_id", "threats"),
        table("risk_controls")
            .col(id())
            .col(text("risk_id"))
            .col(text("control_id"))
            .col(text_null("effect"))
            .foreign_key(&mut cascade("risk_controls", "risk_id", "risks"))
            .foreign_key(&mut cascade("risk_controls", "control_id", "controls"))
            .to_owned(),
        table("risk_assessments")
            .col(id())
            .col(text("risk_id"))
            .col(text("kind"))
            .col(text_null("matrix_id"))
            .col(text("matrix_name"))
            .col(int("matrix_levels"))
            .col(int("likelihood"))
            .col(int("impact"))
            .col(text("likelihood_label"))
            .col(text("impact_label"))
            .col(int("level"))
            .col(text("level_name"))
            .col(text("colour"))
            .col(text("rationale"))
            .col(text("assessed_by"))
            .col(text("assessed_at"))
            .foreign_key(&mut cascade("risk_assessments", "risk_id", "risks"))
            .foreign_key(&mut set_null(
                "risk_assessments",
                "matrix_id",
                "risk_matrices",
            ))
            .to_owned(),
        table("risk_actions")
            .col(id())
            .col(text("risk_id"))
            .col(text("title"))
            .col(text_null("owner_person_id"))
            .col(text_null("due_date"))
            .col(text("status"))
            .col(text_null("done_at"))
            .col(text("created_at"))
            .col(text("updated_at"))
            .foreign_key(&mut cascade("risk_actions", "risk_id", "risks"))
            .foreign_key(&mut set_null("risk_actions", "owner_person_id", "people"))
            .to_owned(),
        table("risk_acceptances")
            .col(id())
            .col(text("risk_id"))
            .col(text("justification"))
            .col(text("expires"))
            .col(text("approver"))
            .col(text_null("approver_id"))
            .col(text("approver_role"))
            .col(text("status"))
            .col(text("created_at"))
            .col(text_null("ended_at"))
            .col(text_null("ended_by"))
            .foreign_key(&mut cascade("risk_acceptances", "risk_id", "risks"))
            .foreign_key(&mut set_null("risk_acceptances", "approver_id", "users"))
            .to_owned(),
        table("risk_appetite")
            .col(id())
            .col(text("category"))
            .col(int("max_level"))
            .col(int("levels"))
            .col(text("level_name"))
            .col(text("updated_at"))
            .to_owned(),
        table("risk_quantifications")
            .col(id())
            .col(text("risk_id"))
            .col(text("model"))
            .col(text("updated_by"))
            .col(text("updated_at"))
            .foreign_key(&mut cascade("risk_quantifications", "risk_id", "risks"))
            .to_owned(),
        table("risk_simulations")
            .col(id())
            .col(text("scope"))
            .col(text_null("risk_id"))
            .col(int("trials"))
            .col(int("seed"))
            .col(text("status"))
            .col(int("done"))
            .col(int("total"))
            .col(text_null("result"))
            .col(text_null("error"))
            .col(text("requested_by"))
            .col(text("created_at"))
            .col(text_null("started_at"))
            .col(text_null("finished_at"))
            .col(int_null("elapsed_ms"))
            .foreign_key(&mut set_null("risk_simulations", "risk_id", "risks"))
            .to_owned(),
    ];
    let indexes = [
        index("threats", &["code"], true),
        index("controls", &["code"], true),
        index("control_dependencies", &["control_id", "requires_id"], true),
        index("control_dependencies", &["requires_id"], false),
        index("risks", &["code"], true),
        index("risks", &["status", "code"], false),
        index("risk_assets", &["risk_id", "asset_id"], true),
        index("risk_assets", &["asset_id"], false),
        index("risk_threats", &["risk_id", "threat_id"], true),
        index("risk_threats", &["threat_id"], false),
        index("risk_controls", &["risk_id", "control_id"], true),
        index("risk_controls", &["control_id"], false),
        index(
            "risk_assessments",
            &["risk_id", "kind", "assessed_at"],
            false,
        ),
        index("risk_actions", &["risk_id"], false),
        index("risk_actions", &["status", "due_date"], false),
        index("risk_acceptances", &["risk_id"], false),
        index("risk_acceptances", &["status", "expires"], false),
        index("risk_appetite", &["category"], true),
        index("risk_quantifications", &["risk_id"], true),
        index("risk_simulations", &["created_at"], false),
    ];
    let mut out = render(backend, &tables, &indexes);
    out.extend(seed().iter().map(|q| match backend {
        Backend::Sqlite => q.to_string(SqliteQueryBuilder),
        Backend::Postgres => q.to_string(PostgresQueryBuilder),
    }));
    out
}

/// A many-to-many link from a risk to `parent`.
fn link(name: &str, column: &str, parent: &str) -> sea_query::TableCreateStatement {
    table(name)
        .col(id())
        .col(text("risk_id"))
        .col(text(column))
        .foreign_key(&mut cascade(name, "risk_id", "risks"))
        .foreign_key(&mut cascade(name, column, parent))
        .to_owned()
}

/// The insert statements of the built-in matrices and threats.
fn seed() -> Vec<InsertStatement> {
    let mut matrices = Query::insert()
        .into_table(Alias::new("risk_matrices"))
        .columns(
            [
                "id",
                "name",
                "definition",
                "builtin",
                "created_at",
                "updated_at",
            ]
            .map(Alias::new),
        )
        .to_owned();
    for (n, (_, name, m)) in bulwark_risk::Matrix::defaults().into_iter().enumerate() {
        let definition = serde_json::to_string(&m).expect("a matrix serialises");
        matrices.values_panic([
            builtin_id(1, n + 1).into(),
            name.into(),
            definition.into(),
            true.into(),
            SEEDED_AT.into(),
            SEEDED_AT.into(),
        ]);
    }
    let mut threats = Query::insert()
        .into_table(Alias::new("threats"))
        .columns(
            [
                "id",
                "code",
                "name",
                "category",
                "tactics",
                "description",
                "builtin",
                "created_at",
                "updated_at",
            ]
            .map(Alias::new),
        )
        .to_owned();
    for (n, (code, name, category, tactics, description)) in THREATS.iter().enumerate() {
        let tactics = serde_json::to_string(tactics).expect("strings serialise");
        threats.values_panic([
            builtin_id(2, n + 1).into(),
            (*code).into(),
            (*name).into(),
            (*category).into(),
            tactics.into(),
            (*description).into(),
            true.into(),
            SEEDED_AT.into(),
            SEEDED_AT.into(),
        ]);
    }
    vec![matrices, threats]
}
