//! The settings API.

use axum::extract::State;
use axum::http::Method;
use bulwark_core::{Access, Permission};

use super::{Settings, SettingsPatch};
use crate::access::Identity;
use crate::app::AppState;
use crate::platform::http::Routes;
use crate::platform::http::error::AppResult;
use crate::platform::http::json::Json;

/// The routes.
pub fn routes() -> Routes {
    let manage = Access::Requires(Permission::SettingsManage);
    Routes::default()
        .add(Method::GET, "/api/v1/settings", manage, get)
        .add(Method::PATCH, "/api/v1/settings", manage, patch)
}

/// The installation's settings.
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings", operation_id = "get_settings", responses((status = 200, body = Settings)))]
pub async fn get(State(app): State<AppState>) -> AppResult<axum::Json<Settings>> {
    Ok(axum::Json(super::load(&app.db).await?))
}

/// Change settings; fields left out stay as they are.
#[utoipa::path(patch, path = "/api/v1/settings", tag = "settings", operation_id = "update_settings", request_body = SettingsPatch,
    responses((status = 200, body = Settings), (status = 422, body = crate::platform::http::error::Problem)))]
pub async fn patch(
    State(app): State<AppState>,
    id: axum::Extension<Identity>,
    Json(p): Json<SettingsPatch>,
) -> AppResult<axum::Json<Settings>> {
    Ok(axum::Json(update_action(&app, &id, &p).await?))
}

/// Applies a settings change (API and pages).
pub async fn update_action(
    app: &AppState,
    id: &Identity,
    p: &SettingsPatch,
) -> AppResult<Settings> {
    let before = super::load(&app.db).await?;
    let mut tx = app.db.begin().await?;
    let now = app.clock.now();
    let after = super::update(&mut tx, now, &id.actor(), &before, p).await?;
    // The identity rules read these: links and findings follow at once.
    if after.username_templates != before.username_templates {
        crate::identity::imports::relink(&mut tx.h(), now, &after).await?;
    }
    if after.username_templates != before.username_templates
        || after.dormant_days != before.dormant_days
    {
        crate::identity::findings::refresh(&mut tx, now, &id.actor(), &after).await?;
    }
    tx.commit().await?;
    app.settings.invalidate();
    Ok(after)
}
