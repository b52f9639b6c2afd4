//! Accounts on one system, read from CSV.
//!
//! Header `username,email,display_name,privileged,mfa,last_login,groups,status`, in any order and
//! letter case; every one of these columns must be there, other columns are allowed and reported.
//! Every row is checked and every problem is reported with its line and column:
//!
//! * `username`: required, unique in the file regardless of letter case;
//! * `email`: a valid address when present; `display_name`: free text, may be empty;
//! * `privileged`, `mfa`: exactly `true` or `false`, in any letter case;
//! * `last_login`: empty (never or unknown), `YYYY-MM-DD` (taken as midnight UTC) or RFC 3339;
//! * `groups`: names separated by `;`, trimmed; empty names and repeats (in any letter case) are
//!   dropped;
//! * `status`: `enabled` or `disabled`; the words other systems export are accepted too:
//!   `active` means enabled, `inactive`, `locked` and `suspended` mean disabled.

use std::collections::HashMap;
use std::io::Read;

use bulwark_core::validate::{Email, FieldError};
use bulwark_core::{InputProblem, Problems};

use crate::records::AccountRecord;
use crate::table::{Table, field_problem};
use crate::values::{add_group, boolean, instant, keep, optional};

const COLUMNS: &[&str] = &[
    "username",
    "email",
    "display_name",
    "privileged",
    "mfa",
    "last_login",
    "groups",
    "status",
];

/// What a successful account import read besides the accounts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountsSummary {
    /// Data rows read, good or not (the header and empty rows not counted).
    pub rows: u64,
    /// Columns that are not part of the format, by name, in file order (they are ignored).
    pub extra_columns: Vec<String>,
}

/// Reads one system's account file, handing each valid account to `sink` as it is read.
///
/// The whole file is checked; if anything is wrong the result lists every problem (at most 1,000)
/// and the caller must discard what `sink` received (the sink is no longer called once a problem
/// has been found, since the import will be refused).
pub fn read_accounts<R: Read>(
    input: R,
    mut sink: impl FnMut(AccountRecord),
) -> Result<AccountsSummary, Vec<InputProblem>> {
    let mut problems = Problems::default();
    let Some((mut table, extra_columns)) = Table::open(input, COLUMNS, &mut problems) else {
        return problems.finish(AccountsSummary::default());
    };
    // First line of each lower-cased username, to name the earlier line on a repeat.
    let mut usernames: HashMap<String, u64> = HashMap::new();
    while table.advance(&mut problems) {
        let line = table.line();
        let mut errors = Vec::new();
        let account = check(&table, &mut errors);
        // Repeats are checked on the raw column, so that a row wrong elsewhere still counts.
        let username = table.get("username").trim();
        if !username.is_empty() {
            let key = username.to_lowercase();
            if let Some(first) = usernames.get(&key) {
                errors.push(FieldError::new(
                    "username",
                    format!("`{username}` is already used on line {first}"),
                ));
            } else {
                usernames.insert(key, line);
            }
        }
        match account {
            Some(a) if errors.is_empty() && problems.is_empty() => sink(a),
            _ => errors
                .into_iter()
                .for_each(|e| field_problem(&mut problems, line, e)),
        }
    }
    problems.finish(AccountsSummary {
        rows: table.rows(),
        extra_columns,
    })
}

/// Maps the `status` column to "can sign in".
fn enabled(s: &str) -> Result<bool, FieldError> {
    match s.to_ascii_lowercase().as_str() {
        "enabled" | "active" => Ok(true),
        "disabled" | "inactive" | "locked" | "suspended" => Ok(false),
        _ => Err(FieldError::new(
            "status",
            format!("`{s}` must be enabled or disabled (or active, inactive, locked, suspended)"),
        )),
    }
}

/// The row as an account; `None` (with `errors` filled) when a value is wrong.
fn check<R: Read>(t: &Table<R>, errors: &mut Vec<FieldError>) -> Option<AccountRecord> {
    let username = optional(t.get("username"))
        .map(str::to_owned)
        .ok_or_else(|| FieldError::new("username", "must not be empty"));
    let username = keep(errors, username);
    let email = optional(t.get("email")).map(|e| {
        keep(
            errors,
            Email::parse("email", e).map(|e| e.as_str().to_owned()),
        )
    });
    let privileged = keep(errors, boolean("privileged", t.get("privileged")));
    let mfa = keep(errors, boolean("mfa", t.get("mfa")));
    let last_login = optional(t.get("last_login")).map(|s| keep(errors, instant("last_login", s)));
    let enabled = keep(errors, enabled(t.get("status")));
    let mut groups = Vec::new();
    t.get("groups")
        .split(';')
        .for_each(|g| add_group(&mut groups, g));
    Some(AccountRecord {
        username: username?,
        email: email.map_or(Some(None), |e| e.map(Some))?,
        display_name: t.get("display_name").to_string(),
        privileged: privileged?,
        mfa: mfa?,
        last_login: last_login.map_or(Some(None), |t| t.map(Some))?,
        groups,
        enabled: enabled?,
        employee_id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "username,email,display_name,privileged,mfa,last_login,groups,status";

    fn read(
        body: &str,
    ) -> (
        Vec<AccountRecord>,
        Result<AccountsSummary, Vec<InputProblem>>,
    ) {
        let mut accounts = Vec::new();
        let r = read_accounts(format!("{HEADER}\n{body}").as_bytes(), |a| accounts.push(a));
        (accounts, r)
    }

    #[test]
    fn reads_accounts() {
        let (a, r) = read(
            "alice.smith,Alice@Example.org,Alice Smith,TRUE,false,2026-11-01T08:30:00+01:00, Finance ; ;AP-Clerk;finance,Active\n\
             svc-backup,,,false,false,,,LOCKED\n\
             bob,,,false,true,2026-10-02,,enabled\n",
        );
        assert_eq!(r.unwrap().rows, 3);
        assert_eq!(a[0].email.as_deref(), Some("alice@example.org"));
        assert!(a[0].privileged && !a[0].mfa && a[0].enabled);
        assert_eq!(a[0].groups, ["Finance", "AP-Clerk"]);
        assert_eq!(
            a[0].last_login.unwrap().to_rfc3339(),
            "2026-11-01T07:30:00+00:00"
        );
        assert_eq!(
            (a[1].email.as_ref(), a[1].last_login, a[1].enabled),
            (None, None, false)
        );
        assert!(a[1].groups.is_empty());
        assert_eq!(
            a[2].last_login.unwrap().to_rfc3339(),
            "2026-10-02T00:00:00+00:00"
        );
    }

    #[test]
    fn status_words() {
        for (word, want) in [
            ("enabled", true),
            ("ACTIVE", true),
            ("disabled", false),
            ("inactive", false),
            ("Locked", false),
            ("suspended", false),
        ] {
            assert_eq!(enabled(word).unwrap(), want, "{word}");
        }
        assert!(enabled("deleted").is_err());
    }

    #[test]
    fn every_row_problem_names_line_and_column() {
        let cases: &[(&str, &[(u64, &str)])] = &[
            (",,,false,false,,,enabled", &[(2, "username")]),
            ("a,not-an-email,,false,false,,,enabled", &[(2, "email")]),
            ("a,,,yes,false,,,enabled", &[(2, "privileged")]),
            ("a,,,false,1,,,enabled", &[(2, "mfa")]),
            ("a,,,false,false,yesterday,,enabled", &[(2, "last_login")]),
            ("a,,,false,false,,,gone", &[(2, "status")]),
            (
                "Alice,,,false,false,,,enabled\nALICE,,,false,false,,,enabled",
                &[(3, "username")],
            ),
            (
                "a,x,,maybe,false,,,enabled",
                &[(2, "email"), (2, "privileged")],
            ),
        ];
        for (body, want) in cases {
            let (_, r) = read(body);
            let got: Vec<_> = r
                .unwrap_err()
                .into_iter()
                .map(|p| (p.line.unwrap(), p.field.unwrap()))
                .collect();
            let want: Vec<_> = want.iter().map(|(l, f)| (*l, f.to_string())).collect();
            assert_eq!(got, want, "{body}");
        }
    }

    #[test]
    fn a_missing_column_is_named() {
        let r = read_accounts("username,email\nalice,\n".as_bytes(), |_| {});
        let p = r.unwrap_err();
        assert_eq!(p.len(), 6);
        assert_eq!(p[0].field.as_deref(), Some("display_name"));
    }
}
