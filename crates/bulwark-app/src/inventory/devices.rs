//! The device check: mobile, IoT/OT and end-user devices that are out of support, unencrypted
//! or silent for too long.

use bulwark_core::Timestamp;
use serde::{Deserialize, Serialize};

use super::assets::Asset;
use crate::platform::db::{Db, DbError};

/// Kinds of asset the check looks at.
pub const DEVICE_KINDS: [&str; 4] = ["mobile_device", "iot_device", "laptop", "workstation"];

/// Days without a check-in after which a device counts as silent, unless the caller says otherwise.
pub const DEFAULT_SILENT_DAYS: i64 = 30;

/// What is wrong with a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceIssue {
    /// The vendor no longer ships security updates.
    OutOfSupport,
    /// Storage is not encrypted.
    Unencrypted,
    /// Not enrolled in device management.
    Unmanaged,
    /// No check-in for longer than the limit (or never).
    Silent,
}

/// A device with what is wrong with it, explained.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeviceFinding {
    pub asset: Asset,
    pub issues: Vec<DeviceIssue>,
    /// One plain sentence per issue.
    pub explanations: Vec<String>,
}

/// Judges one device on `today` (a date `YYYY-MM-DD`) and `now`.
pub fn judge(a: &Asset, now: Timestamp, silent_days: i64) -> Vec<(DeviceIssue, String)> {
    let mut out = Vec::new();
    let today = now.to_db()[..10].to_string();
    if let Some(until) = &a.supported_until
        && until.as_str() < today.as_str()
    {
        out.push((
            DeviceIssue::OutOfSupport,
            format!(
                "{} {} has had no security updates since {until}: replace or upgrade it.",
                a.os_name.as_deref().unwrap_or("Its system"),
                a.os_version.as_deref().unwrap_or("")
            )
            .replace("  ", " "),
        ));
    }
    if a.encrypted == Some(false) {
        out.push((
            DeviceIssue::Unencrypted,
            "Its storage is not encrypted: a lost or stolen device exposes its data. Turn on disk encryption."
                .into(),
        ));
    }
    if a.kind == "mobile_device" && a.mdm_enrolled == Some(false) {
        out.push((
            DeviceIssue::Unmanaged,
            "It is not enrolled in device management, so it cannot be locked or wiped remotely."
                .into(),
        ));
    }
    let limit = now.plus_seconds(-silent_days * 86_400).to_db();
    match &a.last_check_in {
        Some(t) if *t < limit => out.push((
            DeviceIssue::Silent,
            format!(
                "It has not checked in since {}: find out whether it is lost, broken or retired.",
                &t[..10]
            ),
        )),
        None if a.mdm_enrolled == Some(true) => out.push((
            DeviceIssue::Silent,
            "It is enrolled but has never checked in.".into(),
        )),
        _ => {}
    }
    out
}

/// Every active device with at least one issue, most critical first.
pub async fn check(
    db: &Db,
    now: Timestamp,
    silent_days: i64,
) -> Result<Vec<DeviceFinding>, DbError> {
    let mut out = Vec::new();
    let mut after = None;
    // Page through the devices so memory stays small on large estates.
    loop {
        let f = super::assets::AssetFilter {
            lifecycle: Some("active".into()),
            kinds: DEVICE_KINDS.map(String::from).to_vec(),
            ..Default::default()
        };
        let page =
            super::assets::list(db, &f, super::assets::AssetSort::Name, after.clone(), 500).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.name.clone(), last.id.clone()));
        for a in page {
            let found = judge(&a, now, silent_days);
            if !found.is_empty() {
                let (issues, explanations) = found.into_iter().unzip();
                out.push(DeviceFinding {
                    asset: a,
                    issues,
                    explanations,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        b.asset
            .criticality
            .cmp(&a.asset.criticality)
            .then_with(|| a.asset.name.cmp(&b.asset.name))
    });
    Ok(out)
}
