//! What the live database says its exported tables look like: columns in order, their storage
//! type, whether they take NULL, and the primary key that exports page through.

use anyhow::Context;

use crate::platform::db::{Tx, schema};

/// The three storage types Bulwark uses (see [`crate::platform::db::schema`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Text,
    Integer,
    Boolean,
}

impl ColType {
    /// The name the export format uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ColType::Text => "text",
            ColType::Integer => "integer",
            ColType::Boolean => "boolean",
        }
    }

    /// From a declared SQL type (SQLite's `PRAGMA table_info` or PostgreSQL's `data_type`).
    fn from_declared(declared: &str) -> Option<ColType> {
        let d = declared.to_ascii_lowercase();
        if d.contains("bool") {
            Some(ColType::Boolean)
        } else if d.contains("int") {
            Some(ColType::Integer)
        } else if d.contains("text") || d.contains("char") || d.contains("clob") {
            Some(ColType::Text)
        } else {
            None
        }
    }
}

/// One column of a live table.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub ty: ColType,
    pub nullable: bool,
    /// The declared type, lower case (PostgreSQL decodes `integer` and `bigint` differently).
    pub declared: String,
}

/// One exported table as the live database has it.
#[derive(Debug, Clone)]
pub struct TableInfo {
    pub name: &'static str,
    pub columns: Vec<Column>,
    /// Index in `columns` of the single-column primary key.
    pub key: usize,
}

impl TableInfo {
    pub fn column_names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    pub fn column_types(&self) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.ty.as_str()).collect()
    }
}

/// The tables an export carries, parents first.
pub fn exported() -> impl Iterator<Item = &'static str> {
    schema::TABLES
        .iter()
        .copied()
        .filter(|t| !schema::NOT_EXPORTED.contains(t))
}

#[derive(sqlx::FromRow)]
struct ColRow {
    name: String,
    #[sqlx(rename = "type")]
    ty: String,
    notnull: i64,
    pk: i64,
}

const SQLITE_COLUMNS: &str =
    r#"SELECT name, lower(type) AS "type", "notnull", pk FROM pragma_table_info(?1) ORDER BY cid"#;

const PG_COLUMNS: &str = r#"
SELECT c.column_name::text AS name,
       lower(c.data_type::text) AS "type",
       (CASE WHEN c.is_nullable = 'NO' THEN 1 ELSE 0 END)::int8 AS "notnull",
       COALESCE((
           SELECT k.ordinal_position::int8
           FROM information_schema.table_constraints tc
           JOIN information_schema.key_column_usage k
             ON k.constraint_name = tc.constraint_name
            AND k.constraint_schema = tc.constraint_schema
            AND k.table_name = tc.table_name
           WHERE tc.constraint_type = 'PRIMARY KEY'
             AND tc.table_schema = c.table_schema
             AND tc.table_name = c.table_name
             AND k.column_name = c.column_name
       ), 0) AS pk
FROM information_schema.columns c
WHERE c.table_schema = current_schema() AND c.table_name = $1
ORDER BY c.ordinal_position"#;

/// Reads the columns of every exported table, in `TABLES` order, inside `tx`.
pub async fn live(tx: &mut Tx) -> anyhow::Result<Vec<TableInfo>> {
    let mut out = Vec::new();
    for name in exported() {
        let rows: Vec<ColRow> = match tx {
            Tx::Sqlite(t) => {
                sqlx::query_as(SQLITE_COLUMNS)
                    .bind(name)
                    .fetch_all(&mut **t)
                    .await
            }
            Tx::Postgres(t) => {
                sqlx::query_as(PG_COLUMNS)
                    .bind(name)
                    .fetch_all(&mut **t)
                    .await
            }
        }
        .with_context(|| format!("reading the columns of the table {name}"))?;
        if rows.is_empty() {
            anyhow::bail!(
                "the database has no table {name}: it is not migrated to this program's schema"
            );
        }
        let keys: Vec<usize> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.pk > 0)
            .map(|(i, _)| i)
            .collect();
        let [key] = keys[..] else {
            anyhow::bail!(
                "the table {name} needs a single-column primary key to be exported (it has {})",
                keys.len()
            );
        };
        let mut columns = Vec::with_capacity(rows.len());
        for r in rows {
            let ty = ColType::from_declared(&r.ty).with_context(|| {
                format!(
                    "the column {name}.{} has the type {:?}, which exports do not carry",
                    r.name, r.ty
                )
            })?;
            columns.push(Column {
                name: r.name,
                ty,
                // SQLite lets a non-INTEGER primary key hold NULL unless declared NOT NULL;
                // Bulwark declares every key NOT NULL, and a key is never NULL on PostgreSQL.
                nullable: r.notnull == 0 && r.pk == 0,
                declared: r.ty,
            });
        }
        out.push(TableInfo { name, columns, key });
    }
    Ok(out)
}
