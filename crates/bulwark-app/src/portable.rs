//! Export and import of the whole database in a portable, versioned format; backups.

use std::path::Path;

use crate::platform::db::Db;

/// Writes a consistent backup.
pub async fn backup(_db: &Db, _out: &Path) -> anyhow::Result<u64> {
    anyhow::bail!("backup is not built yet")
}

/// Restores a backup into an empty database.
pub async fn restore(_db: &Db, _file: &Path) -> anyhow::Result<u64> {
    anyhow::bail!("restore is not built yet")
}

/// Exports the whole database.
pub async fn export_file(_db: &Db, _out: &Path) -> anyhow::Result<u64> {
    anyhow::bail!("export is not built yet")
}

/// Imports a whole-database export into an empty database.
pub async fn import_file(_db: &Db, _file: &Path) -> anyhow::Result<u64> {
    anyhow::bail!("import is not built yet")
}
