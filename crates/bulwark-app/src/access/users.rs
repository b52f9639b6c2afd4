//! User accounts: model, storage, and the changes people make to them (each audited).

use bulwark_core::validate::{self, Email, FieldError};
use bulwark_core::{Role, Timestamp};
use sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use serde::{Deserialize, Serialize};

use crate::audit_log::{Actor, Change, record};
use crate::platform::db::{Db, DbError, Handle, Tx};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::new_id;

/// An account as stored (with its secrets). Never serialised to clients or the audit trail.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub password_hash: String,
    pub status: String,
    pub must_change_password: bool,
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
    pub totp_last_step: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
    pub last_login_at: Option<String>,
}

/// An account as clients and the audit trail see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    /// One of administrator, security_officer, it_manager, auditor, leadership, staff.
    #[schema(value_type = String, example = "security_officer")]
    pub role: Role,
    /// `active` or `disabled`.
    pub status: String,
    /// Whether TOTP is enrolled.
    pub mfa_enabled: bool,
    /// The user must choose a new password at next sign-in.
    pub must_change_password: bool,
    pub created_at: String,
    pub updated_at: String,
    pub last_login_at: Option<String>,
}

impl UserRow {
    /// The public view.
    pub fn user(&self) -> User {
        User {
            id: self.id.clone(),
            email: self.email.clone(),
            name: self.name.clone(),
            role: Role::parse(&self.role).unwrap_or(Role::Staff),
            status: self.status.clone(),
            mfa_enabled: self.totp_enabled,
            must_change_password: self.must_change_password,
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            last_login_at: self.last_login_at.clone(),
        }
    }

    /// Whether the account may sign in.
    pub fn is_active(&self) -> bool {
        self.status == STATUS_ACTIVE
    }
}

/// The columns [`User`] is read from, in the order its `from_row` takes them: never the
/// password hash or the TOTP secret (lists read many accounts; each secret left unread is
/// one less to copy, and one less to leak).
const VIEW_COLUMNS: [&str; 10] = [
    "id",
    "email",
    "name",
    "role",
    "status",
    "must_change_password",
    "totp_enabled",
    "created_at",
    "updated_at",
    "last_login_at",
];

/// Reads a [`User`] from a row of [`VIEW_COLUMNS`], by position (a look-up by name costs a
/// hash per value, and lists read hundreds of values).
impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for User
where
    usize: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        #[allow(clippy::type_complexity)] // one element per column of VIEW_COLUMNS
        let (
            id,
            email,
            name,
            role,
            status,
            must_change_password,
            mfa_enabled,
            created_at,
            updated_at,
            last_login_at,
        ): (
            String,
            String,
            String,
            String,
            String,
            bool,
            bool,
            String,
            String,
            Option<String>,
        ) = sqlx::FromRow::from_row(row)?;
        Ok(User {
            id,
            email,
            name,
            role: Role::parse(&role).unwrap_or(Role::Staff),
            status,
            mfa_enabled,
            must_change_password,
            created_at,
            updated_at,
            last_login_at,
        })
    }
}

/// Account status values.
pub const STATUS_ACTIVE: &str = "active";
pub const STATUS_DISABLED: &str = "disabled";

/// The stored columns of `users`, in `UserRow` order.
pub(crate) const COLUMNS: [&str; 13] = [
    "id",
    "email",
    "name",
    "role",
    "password_hash",
    "status",
    "must_change_password",
    "totp_secret",
    "totp_enabled",
    "totp_last_step",
    "created_at",
    "updated_at",
    "last_login_at",
];

fn select() -> SelectStatement {
    Query::select()
        .columns(COLUMNS.map(Alias::new))
        .from(Alias::new("users"))
        .to_owned()
}

/// Finds an account by id.
pub async fn by_id(h: &mut Handle<'_>, id: &str) -> Result<Option<UserRow>, DbError> {
    h.fetch_optional(select().and_where(Expr::col(Alias::new("id")).eq(id)))
        .await
}

/// Finds an account by email (already normalised).
pub async fn by_email(h: &mut Handle<'_>, email: &str) -> Result<Option<UserRow>, DbError> {
    h.fetch_optional(select().and_where(Expr::col(Alias::new("email")).eq(email)))
        .await
}

/// Number of accounts.
pub async fn count(db: &Db) -> Result<i64, DbError> {
    #[derive(sqlx::FromRow)]
    struct N {
        n: i64,
    }
    let q = Query::select()
        .expr_as(Expr::col(Alias::new("id")).count(), Alias::new("n"))
        .from(Alias::new("users"))
        .to_owned();
    Ok(db.read().await?.h().fetch_one::<N>(&q).await?.n)
}

/// Sort orders for listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserSort {
    #[default]
    Email,
    Name,
    CreatedAt,
}

impl UserSort {
    fn column(self) -> &'static str {
        match self {
            UserSort::Email => "email",
            UserSort::Name => "name",
            UserSort::CreatedAt => "created_at",
        }
    }

    /// The sort key of a user, as text (for cursors).
    pub fn key(self, u: &User) -> String {
        match self {
            UserSort::Email => u.email.clone(),
            UserSort::Name => u.name.clone(),
            UserSort::CreatedAt => u.created_at.clone(),
        }
    }
}

/// Filters for listing accounts.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub status: Option<String>,
    /// Matches email or name, case-insensitively.
    pub q: Option<String>,
}

/// Lists accounts by `sort` ascending, after the cursor position `(key, id)`, up to `limit`.
pub async fn list(
    db: &Db,
    filter: &UserFilter,
    sort: UserSort,
    after: Option<(String, String)>,
    limit: u64,
) -> Result<Vec<User>, DbError> {
    let mut q = Query::select()
        .columns(VIEW_COLUMNS.map(Alias::new))
        .from(Alias::new("users"))
        .to_owned();
    if let Some(r) = filter.role {
        q.and_where(Expr::col(Alias::new("role")).eq(r.as_str()));
    }
    if let Some(s) = &filter.status {
        q.and_where(Expr::col(Alias::new("status")).eq(s.as_str()));
    }
    if let Some(text) = &filter.q {
        let pat = crate::platform::db::contains_pattern(text);
        q.and_where(
            Expr::col(Alias::new("email"))
                .like(pat.clone())
                .or(sea_query::Func::lower(Expr::col(Alias::new("name"))).like(pat)),
        );
    }
    let col = sort.column();
    if let Some((key, id)) = after {
        q.and_where(
            Expr::col(Alias::new(col))
                .gt(key.clone())
                .or(Expr::col(Alias::new(col))
                    .eq(key)
                    .and(Expr::col(Alias::new("id")).gt(id))),
        );
    }
    q.order_by(Alias::new(col), Order::Asc)
        .order_by(Alias::new("id"), Order::Asc)
        .limit(limit);
    db.fetch_all::<User>(&q).await
}

/// What is needed to create an account.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    /// One of administrator, security_officer, it_manager, auditor, leadership, staff.
    pub role: String,
    /// At least 12 characters. Leave out to generate a temporary password, returned once.
    pub password: Option<String>,
}

/// Checks every field of a new account and reports all problems at once.
pub fn validate_new(n: &NewUser) -> Result<(Email, String, Role), AppError> {
    let mut errs: Vec<FieldError> = Vec::new();
    let email = Email::parse("email", &n.email)
        .map_err(|e| errs.push(e))
        .ok();
    let name = validate::label("name", &n.name, 200)
        .map_err(|e| errs.push(e))
        .ok();
    let role = Role::parse(&n.role);
    if role.is_none() {
        errs.push(FieldError::new(
            "role",
            format!("must be one of {}", Role::ALL.map(Role::as_str).join(", ")),
        ));
    }
    if let Some(p) = &n.password
        && let Err(e) = validate::new_password("password", p, email.as_ref().map(Email::as_str))
    {
        errs.push(e);
    }
    match (email, name, role) {
        (Some(e), Some(n), Some(r)) if errs.is_empty() => Ok((e, n, r)),
        _ => Err(AppError::Invalid(errs)),
    }
}

/// Creates an account in `tx` and records it. `must_change` asks for a new password at sign-in.
#[allow(clippy::too_many_arguments)] // the account's fields, each validated by the caller
pub async fn create(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    email: &Email,
    name: &str,
    role: Role,
    password_hash: String,
    must_change: bool,
) -> AppResult<User> {
    if by_email(&mut tx.h(), email.as_str()).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "an account with the email {} already exists",
            email.as_str()
        )));
    }
    let row = UserRow {
        id: new_id(now),
        email: email.as_str().to_string(),
        name: name.to_string(),
        role: role.as_str().to_string(),
        password_hash,
        status: STATUS_ACTIVE.into(),
        must_change_password: must_change,
        totp_secret: None,
        totp_enabled: false,
        totp_last_step: None,
        created_at: now.to_db(),
        updated_at: now.to_db(),
        last_login_at: None,
    };
    let q = Query::insert()
        .into_table(Alias::new("users"))
        .columns(COLUMNS.map(Alias::new))
        .values_panic([
            row.id.clone().into(),
            row.email.clone().into(),
            row.name.clone().into(),
            row.role.clone().into(),
            row.password_hash.clone().into(),
            row.status.clone().into(),
            row.must_change_password.into(),
            row.totp_secret.clone().into(),
            row.totp_enabled.into(),
            row.totp_last_step.into(),
            row.created_at.clone().into(),
            row.updated_at.clone().into(),
            row.last_login_at.clone().into(),
        ])
        .to_owned();
    tx.h().execute(&q).await?;
    let user = row.user();
    record(
        tx,
        now,
        actor,
        Change::new("user.create", "user", Some(&user.id)).after(&user),
    )
    .await?;
    Ok(user)
}

/// A change to one or more stored columns of an account, recorded under `action`.
pub async fn update(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    id: &str,
    action: &str,
    set: Vec<(&str, sea_query::Value)>,
) -> AppResult<User> {
    let before = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    let mut q = Query::update();
    q.table(Alias::new("users"))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .value(Alias::new("updated_at"), now.to_db());
    for (col, v) in set {
        q.value(Alias::new(col), v);
    }
    tx.h().execute(&q).await?;
    let after = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new(action, "user", Some(id))
            .before(&before.user())
            .after(&after.user()),
    )
    .await?;
    Ok(after.user())
}

/// Changes to an account that an administrator can make.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub name: Option<String>,
    /// One of administrator, security_officer, it_manager, auditor, leadership, staff.
    pub role: Option<String>,
    /// `active` or `disabled`.
    pub status: Option<String>,
}

/// Validates a patch into the column changes it makes.
pub fn validate_patch(p: &UserPatch) -> Result<Vec<(&'static str, sea_query::Value)>, AppError> {
    let mut errs = Vec::new();
    let mut set = Vec::new();
    if let Some(n) = &p.name {
        match validate::label("name", n, 200) {
            Ok(n) => set.push(("name", n.into())),
            Err(e) => errs.push(e),
        }
    }
    if let Some(r) = &p.role {
        match Role::parse(r) {
            Some(r) => set.push(("role", r.as_str().into())),
            None => errs.push(FieldError::new(
                "role",
                format!("must be one of {}", Role::ALL.map(Role::as_str).join(", ")),
            )),
        }
    }
    if let Some(s) = &p.status {
        if s == STATUS_ACTIVE || s == STATUS_DISABLED {
            set.push(("status", s.clone().into()));
        } else {
            errs.push(FieldError::new("status", "must be active or disabled"));
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    if set.is_empty() {
        return Err(AppError::field(
            "body",
            "give at least one of name, role, status",
        ));
    }
    Ok(set)
}

/// Applies an administrator's patch. Refuses to leave the installation without an active administrator.
pub async fn patch(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    id: &str,
    p: &UserPatch,
) -> AppResult<User> {
    let set = validate_patch(p)?;
    let user = update(tx, now, actor, id, "user.update", set).await?;
    if active_admins(&mut tx.h()).await? == 0 {
        return Err(AppError::Conflict(
            "this change would leave no active administrator".into(),
        ));
    }
    if user.status == STATUS_DISABLED {
        crate::access::sessions::delete_for_user(&mut tx.h(), id).await?;
    }
    Ok(user)
}

async fn active_admins(h: &mut Handle<'_>) -> Result<usize, DbError> {
    let q = select()
        .and_where(Expr::col(Alias::new("role")).eq(Role::Administrator.as_str()))
        .and_where(Expr::col(Alias::new("status")).eq(STATUS_ACTIVE))
        .limit(1)
        .to_owned();
    Ok(h.fetch_all::<UserRow>(&q).await?.len())
}

/// Sets a new password hash. `must_change` marks it temporary. Ends the user's other sessions.
pub async fn set_password(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    id: &str,
    hash: String,
    must_change: bool,
    action: &str,
) -> AppResult<User> {
    let u = update(
        tx,
        now,
        actor,
        id,
        action,
        vec![
            ("password_hash", hash.into()),
            ("must_change_password", must_change.into()),
        ],
    )
    .await?;
    Ok(u)
}
