//! Mapping directory entries to account records: pure functions over an entry's attributes, so
//! both directory styles are tested without a server.

use std::collections::{HashMap, HashSet};

use bulwark_core::validate::Email;
use bulwark_core::{InputProblem, Problems};
use bulwark_identity::AccountRecord;

use super::LdapFetch;
use super::syntax::{dn_key, filetime, generalized_time, group_name_of_dn, parse_dn};

/// The configured group names, lower-cased for comparison.
#[derive(Debug)]
pub(super) struct GroupRules {
    privileged: HashSet<String>,
    mfa: HashSet<String>,
}

impl GroupRules {
    pub(super) fn new(privileged: &[String], mfa: &[String]) -> Self {
        let set = |names: &[String]| names.iter().map(|n| n.trim().to_lowercase()).collect();
        GroupRules {
            privileged: set(privileged),
            mfa: set(mfa),
        }
    }
}

/// An entry's attributes looked up by name in any letter case (servers answer in their own).
struct Attrs<'a>(HashMap<String, &'a [String]>);

impl<'a> Attrs<'a> {
    fn new(attrs: &'a HashMap<String, Vec<String>>) -> Self {
        Attrs(
            attrs
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.as_slice()))
                .collect(),
        )
    }

    /// Every non-empty value, trimmed.
    fn all(&self, name: &str) -> impl Iterator<Item = &'a str> + use<'a> {
        let values: &'a [String] = self
            .0
            .get(&name.to_ascii_lowercase())
            .copied()
            .unwrap_or_default();
        values.iter().map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// The first non-empty value.
    fn first(&self, name: &str) -> Option<&'a str> {
        self.all(name).next()
    }
}

/// Maps one user entry. `found_groups` are the names of groups found by searching that list
/// the entry as a member; `memberOf` adds the rest. Every problem of the entry is reported.
pub(super) fn map_entry(
    dn: &str,
    attrs: &HashMap<String, Vec<String>>,
    found_groups: &[String],
    rules: &GroupRules,
) -> Result<AccountRecord, Vec<InputProblem>> {
    let a = Attrs::new(attrs);
    let mut problems = Vec::new();
    let mut problem = |field: &str, message: String| {
        problems.push(InputProblem::in_record(dn, Some(field), message));
    };
    let active_directory = a.first("sAMAccountName").is_some();

    let username = a
        .first("sAMAccountName")
        .or_else(|| uid_of(dn, &a))
        .or_else(|| a.first("userPrincipalName"));
    if username.is_none() {
        problem(
            "uid",
            "has no login name: none of uid, sAMAccountName or userPrincipalName is set".into(),
        );
    }
    let email = a.first("mail").and_then(|m| match Email::parse("mail", m) {
        Ok(e) => Some(e.as_str().to_owned()),
        Err(_) => {
            problem("mail", format!("`{m}` is not an email address"));
            None
        }
    });

    let mut groups = Vec::new();
    for value in a.all("memberOf") {
        match group_name_of_dn(value) {
            Some(name) => groups.push(name),
            None => problem("memberOf", format!("`{value}` is not a DN")),
        }
    }
    groups.extend(found_groups.iter().cloned());
    let groups = sorted_unique(groups);
    let in_any = |set: &HashSet<String>| groups.iter().any(|g| set.contains(&g.to_lowercase()));
    let (privileged, mfa) = (in_any(&rules.privileged), in_any(&rules.mfa));

    let mut disabled = a.first("pwdAccountLockedTime").is_some();
    if let Some(lock) = a.first("nsAccountLock") {
        match lock.to_ascii_lowercase().as_str() {
            "true" => disabled = true,
            "false" => {}
            _ => problem("nsAccountLock", format!("`{lock}` must be true or false")),
        }
    }
    if let Some(uac) = a.first("userAccountControl") {
        match uac.parse::<i64>() {
            Ok(flags) => disabled |= flags & 0x2 != 0,
            Err(_) => problem("userAccountControl", format!("`{uac}` is not a number")),
        }
    }

    // AD keeps modifyTimestamp too, but there it would make accounts that never signed in
    // look recently used: only lastLogonTimestamp counts.
    let login_attrs: &[&str] = if active_directory {
        &["lastLogonTimestamp"]
    } else {
        &["authTimestamp", "pwdLastSuccess", "modifyTimestamp"]
    };
    let mut last_login = None;
    if let Some((field, value)) = login_attrs.iter().find_map(|f| a.first(f).map(|v| (*f, v))) {
        let parsed = if field == "lastLogonTimestamp" {
            filetime(value)
        } else {
            generalized_time(value).map(Some)
        };
        match parsed {
            Some(t) => last_login = t,
            None => problem(field, format!("`{value}` is not a valid time")),
        }
    }

    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(AccountRecord {
        username: username.unwrap_or_default().to_owned(),
        email,
        display_name: a
            .first("displayName")
            .or_else(|| a.first("cn"))
            .unwrap_or_default()
            .to_owned(),
        privileged,
        mfa,
        last_login,
        groups,
        enabled: !disabled,
        employee_id: a
            .first("employeeID")
            .or_else(|| a.first("employeeNumber"))
            .map(str::to_owned),
    })
}

/// The `uid` to use: the DN's own when its first RDN is a uid (entries may hold several).
fn uid_of<'a>(dn: &str, a: &Attrs<'a>) -> Option<&'a str> {
    let from_rdn = parse_dn(dn)
        .and_then(|rdns| rdns.into_iter().next())
        .and_then(|rdn| rdn.into_iter().find(|(t, _)| t == "uid"))
        .map(|(_, v)| v);
    match from_rdn {
        Some(v) => a
            .all("uid")
            .find(|u| u.eq_ignore_ascii_case(&v))
            .or_else(|| a.first("uid")),
        None => a.first("uid"),
    }
}

/// Group names without duplicates (in any letter case), in alphabetical order.
fn sorted_unique(mut names: Vec<String>) -> Vec<String> {
    names.sort_by_cached_key(|n| (n.to_lowercase(), n.clone()));
    names.dedup_by(|a, b| a.to_lowercase() == b.to_lowercase());
    names
}

/// Memberships found by searching the static groups, by member DN and by `memberUid`.
#[derive(Debug, Default)]
pub(super) struct GroupIndex {
    by_dn: HashMap<String, Vec<String>>,
    by_uid: HashMap<String, Vec<String>>,
}

impl GroupIndex {
    /// Adds one group entry (`groupOfNames`, `groupOfUniqueNames` or `posixGroup`).
    pub(super) fn add(&mut self, dn: &str, attrs: &HashMap<String, Vec<String>>) {
        let a = Attrs::new(attrs);
        let Some(name) = a
            .first("cn")
            .map(str::to_owned)
            .or_else(|| group_name_of_dn(dn))
        else {
            return;
        };
        let members = a.all("member").chain(a.all("uniqueMember").map(|m| {
            // uniqueMember may end with an optional unique id: `dn#'0101'B`.
            match m.rsplit_once("#'") {
                Some((dn, id)) if id.ends_with("'B") => dn,
                _ => m,
            }
        }));
        for member in members {
            if let Some(key) = dn_key(member) {
                self.by_dn.entry(key).or_default().push(name.clone());
            }
        }
        for uid in a.all("memberUid") {
            self.by_uid
                .entry(uid.to_lowercase())
                .or_default()
                .push(name.clone());
        }
    }

    /// The names of the groups listing the user entry `dn` (by DN, or by any of its `uid`s).
    pub(super) fn of(&self, dn: &str, attrs: &HashMap<String, Vec<String>>) -> Vec<String> {
        let a = Attrs::new(attrs);
        let by_dn = dn_key(dn).and_then(|k| self.by_dn.get(&k)).into_iter();
        let by_uid = a
            .all("uid")
            .filter_map(|u| self.by_uid.get(&u.to_lowercase()));
        by_dn.chain(by_uid).flatten().cloned().collect()
    }
}

/// Accounts and problems gathered over a whole directory.
#[derive(Debug, Default)]
pub(super) struct Collected {
    accounts: Vec<AccountRecord>,
    /// Lower-cased username → the DN that has it.
    owners: HashMap<String, String>,
    problems: Problems,
}

impl Collected {
    /// Adds one entry's outcome; a username already taken (in any letter case) is a problem.
    pub(super) fn push(&mut self, dn: &str, mapped: Result<AccountRecord, Vec<InputProblem>>) {
        match mapped {
            Ok(account) => match self.owners.get(&account.username.to_lowercase()) {
                Some(owner) => {
                    let message = format!(
                        "the username `{}` is already used by `{owner}`",
                        account.username
                    );
                    self.problems
                        .push(InputProblem::in_record(dn, Some("uid"), message));
                }
                None => {
                    self.owners
                        .insert(account.username.to_lowercase(), dn.to_owned());
                    self.accounts.push(account);
                }
            },
            Err(problems) => problems.into_iter().for_each(|p| self.problems.push(p)),
        }
    }

    pub(super) fn finish(mut self) -> LdapFetch {
        self.accounts
            .sort_by_cached_key(|a| (a.username.to_lowercase(), a.username.clone()));
        LdapFetch {
            accounts: self.accounts,
            problems: self.problems.into_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulwark_core::input::MAX_PROBLEMS;
    use chrono::{DateTime, NaiveDateTime, Utc};

    fn attrs(pairs: &[(&str, &[&str])]) -> HashMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    /// `YYYY-MM-DD HH:MM:SS` in UTC.
    fn utc(s: &str) -> DateTime<Utc> {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc()
    }

    fn default_rules() -> GroupRules {
        let privileged = super::super::DEFAULT_PRIVILEGED_GROUPS.map(String::from);
        GroupRules::new(&privileged, &["MFA Users".to_owned()])
    }

    #[test]
    fn active_directory_user_is_mapped() {
        let dn = "CN=Smith\\, Anna,OU=Staff,DC=corp,DC=example";
        let entry = attrs(&[
            ("sAMAccountName", &["asmith"]),
            ("userPrincipalName", &["asmith@corp.example"]),
            ("mail", &["Anna.Smith@Corp.Example"]),
            ("displayName", &["Smith, Anna"]),
            ("cn", &["Smith, Anna"]),
            ("employeeID", &["4711"]),
            (
                "memberOf",
                &[
                    "CN=Domain Admins,CN=Users,DC=corp,DC=example",
                    "CN=MFA Users,OU=Groups,DC=corp,DC=example",
                    "CN=R\\2BD Team,OU=Groups,DC=corp,DC=example",
                ],
            ),
            ("userAccountControl", &["512"]),
            // 2025-06-01T12:00:00Z
            ("lastLogonTimestamp", &["133932528000000000"]),
            ("modifyTimestamp", &["20250701000000.0Z"]),
        ]);
        let a = map_entry(dn, &entry, &[], &default_rules()).unwrap();
        assert_eq!(a.username, "asmith");
        assert_eq!(a.email.as_deref(), Some("anna.smith@corp.example"));
        assert_eq!(a.display_name, "Smith, Anna");
        assert_eq!(a.employee_id.as_deref(), Some("4711"));
        assert_eq!(a.groups, ["Domain Admins", "MFA Users", "R+D Team"]);
        assert!(a.privileged && a.mfa && a.enabled);
        assert_eq!(a.last_login, Some(utc("2025-06-01 12:00:00")));
    }

    #[test]
    fn active_directory_disabled_flag_and_never_logged_on() {
        let base = [
            ("sAMAccountName", &["old"][..]),
            ("userAccountControl", &["514"][..]),
        ];
        let a = map_entry("CN=old,DC=c", &attrs(&base), &[], &default_rules()).unwrap();
        assert!(!a.enabled, "0x2 in 514 means disabled");
        assert_eq!(
            a.last_login, None,
            "no lastLogonTimestamp: never; modifyTimestamp not used"
        );
        let mut never = attrs(&base);
        never.insert("lastLogonTimestamp".into(), vec!["0".into()]);
        never.insert("modifyTimestamp".into(), vec!["20250101000000Z".into()]);
        let a = map_entry("CN=old,DC=c", &never, &[], &default_rules()).unwrap();
        assert_eq!(a.last_login, None);
        assert!(!a.privileged && !a.mfa);
        let enabled = attrs(&[
            ("sAMAccountName", &["x"]),
            ("userAccountControl", &["66048"]),
        ]);
        assert!(
            map_entry("CN=x,DC=c", &enabled, &[], &default_rules())
                .unwrap()
                .enabled
        );
    }

    #[test]
    fn openldap_user_is_mapped_with_found_groups_and_fallbacks() {
        let dn = "uid=jdoe,ou=people,dc=example,dc=com";
        let entry = attrs(&[
            ("objectClass", &["inetOrgPerson", "posixAccount"]),
            ("uid", &["john", "jdoe"]),
            ("cn", &["John Doe"]),
            ("employeeNumber", &["E7"]),
            ("modifyTimestamp", &["20250102030405Z"]),
        ]);
        let found = ["developers".to_owned(), "admins".to_owned()];
        let a = map_entry(dn, &entry, &found, &default_rules()).unwrap();
        assert_eq!(a.username, "jdoe", "the RDN's uid wins");
        assert_eq!(a.email, None);
        assert_eq!(a.display_name, "John Doe");
        assert_eq!(a.employee_id.as_deref(), Some("E7"));
        assert_eq!(a.groups, ["admins", "developers"]);
        assert!(a.privileged && !a.mfa && a.enabled);
        assert_eq!(
            a.last_login,
            Some(utc("2025-01-02 03:04:05")),
            "modifyTimestamp fallback"
        );

        let mut e = entry.clone();
        e.insert("authTimestamp".into(), vec!["20250601080000Z".into()]);
        e.insert("pwdLastSuccess".into(), vec!["20250501080000Z".into()]);
        let a = map_entry(dn, &e, &[], &default_rules()).unwrap();
        assert_eq!(
            a.last_login,
            Some(utc("2025-06-01 08:00:00")),
            "authTimestamp first"
        );
        e.remove("authTimestamp");
        let a = map_entry(dn, &e, &[], &default_rules()).unwrap();
        assert_eq!(
            a.last_login,
            Some(utc("2025-05-01 08:00:00")),
            "then pwdLastSuccess"
        );
    }

    #[test]
    fn openldap_locks_disable() {
        let dn = "uid=a,dc=x";
        for lock in [
            ("pwdAccountLockedTime", "000001010000Z"),
            ("nsAccountLock", "TRUE"),
        ] {
            let e = attrs(&[("uid", &["a"]), (lock.0, &[lock.1])]);
            assert!(
                !map_entry(dn, &e, &[], &default_rules()).unwrap().enabled,
                "{lock:?}"
            );
        }
        let e = attrs(&[("uid", &["a"]), ("nsAccountLock", &["false"])]);
        assert!(map_entry(dn, &e, &[], &default_rules()).unwrap().enabled);
    }

    #[test]
    fn attribute_names_match_in_any_case() {
        let e = attrs(&[("SAMACCOUNTNAME", &["bob"]), ("MAIL", &["bob@x.org"])]);
        let a = map_entry("CN=bob,DC=x", &e, &[], &default_rules()).unwrap();
        assert_eq!(
            (a.username.as_str(), a.email.as_deref()),
            ("bob", Some("bob@x.org"))
        );
    }

    #[test]
    fn every_problem_of_an_entry_is_reported() {
        let e = attrs(&[
            ("cn", &["Reception"]),
            ("mail", &["not-an-address"]),
            ("userAccountControl", &["lots"]),
            ("nsAccountLock", &["maybe"]),
            ("memberOf", &["no dn here"]),
            ("modifyTimestamp", &["yesterday"]),
        ]);
        let problems = map_entry("cn=Reception,dc=x", &e, &[], &default_rules()).unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field.clone().unwrap()).collect();
        assert_eq!(
            fields,
            [
                "uid",
                "mail",
                "memberOf",
                "nsAccountLock",
                "userAccountControl",
                "modifyTimestamp"
            ]
        );
        assert!(
            problems
                .iter()
                .all(|p| p.record.as_deref() == Some("cn=Reception,dc=x"))
        );
        assert_eq!(
            problems[0].to_string(),
            "cn=Reception,dc=x, field `uid`: has no login name: none of uid, sAMAccountName or \
             userPrincipalName is set"
        );
    }

    #[test]
    fn group_index_inverts_member_unique_member_and_member_uid() {
        let mut index = GroupIndex::default();
        index.add(
            "cn=admins,ou=groups,dc=x",
            &attrs(&[
                ("cn", &["admins"]),
                ("member", &["UID=Ann, OU=People,DC=x"]),
            ]),
        );
        index.add(
            "cn=auditors,ou=groups,dc=x",
            &attrs(&[("uniqueMember", &["uid=ann,ou=people,dc=x#'0101'B"])]),
        );
        index.add(
            "cn=devs,ou=groups,dc=x",
            &attrs(&[("cn", &["devs"]), ("memberUid", &["ANN", "bob"])]),
        );
        let ann = attrs(&[("uid", &["ann"])]);
        let mut groups = index.of("uid=ann,ou=people,dc=x", &ann);
        groups.sort();
        assert_eq!(groups, ["admins", "auditors", "devs"]);
        assert_eq!(
            index.of("uid=bob,ou=people,dc=x", &attrs(&[("uid", &["bob"])])),
            ["devs"]
        );
        assert!(
            index
                .of("uid=eve,dc=x", &attrs(&[("uid", &["eve"])]))
                .is_empty()
        );
    }

    #[test]
    fn member_of_and_found_groups_merge_without_duplicates() {
        let e = attrs(&[
            ("uid", &["ann"]),
            (
                "memberOf",
                &["cn=Admins,ou=groups,dc=x", "cn=vpn,ou=groups,dc=x"],
            ),
        ]);
        let found = ["admins".to_owned(), "developers".to_owned()];
        let a = map_entry("uid=ann,dc=x", &e, &found, &default_rules()).unwrap();
        assert_eq!(a.groups, ["Admins", "developers", "vpn"]);
    }

    #[test]
    fn duplicate_usernames_and_the_problem_cap() {
        let account = |name: &str| AccountRecord {
            username: name.into(),
            email: None,
            display_name: String::new(),
            privileged: false,
            mfa: false,
            last_login: None,
            groups: vec![],
            enabled: true,
            employee_id: None,
        };
        let mut c = Collected::default();
        c.push("uid=b,dc=x", Ok(account("b")));
        c.push("uid=a,dc=x", Ok(account("a")));
        c.push("uid=A,ou=other,dc=x", Ok(account("A")));
        for i in 0..1500 {
            c.push(
                &format!("cn={i},dc=x"),
                Err(vec![InputProblem::whole("bad")]),
            );
        }
        let fetch = c.finish();
        let names: Vec<_> = fetch.accounts.iter().map(|a| a.username.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(
            fetch.problems[0].to_string(),
            "uid=A,ou=other,dc=x, field `uid`: the username `A` is already used by `uid=a,dc=x`"
        );
        assert_eq!(fetch.problems.len(), MAX_PROBLEMS);
        assert_eq!(
            fetch.problems[MAX_PROBLEMS - 1].message,
            "… and 502 more problems"
        );
    }
}
