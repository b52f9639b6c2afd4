//! Linking accounts to the people who hold them.
//!
//! The rules are tried in this order, and the first one that finds anybody decides:
//!
//! 1. **email**: the account's email (or, when it has none, a username that is an email address,
//!    such as an Entra ID user principal name) equals a person's email, ignoring letter case;
//! 2. **employee ID**: the account's `employee_id` equals a person's;
//! 3. **username templates**, in the configured order: the account's username equals the
//!    person's name put into a template such as `{first}.{last}` (see [`LinkRules::parse`]).
//!
//! If the deciding rule finds two or more people, the account is not linked: the outcome is
//! [`LinkOutcome::Ambiguous`] with the candidates, and weaker rules are not asked to break the tie.
//!
//! Names and usernames are compared in a folded form: lower-case ASCII, diacritics stripped
//! (`José Müller` → `jose`, `muller`; `ß` → `ss`, `ø` → `o`…), and for names only letters, digits
//! and hyphens kept (`O'Brien` → `obrien`). A username loses a Windows domain prefix
//! (`CORP\asmith`) and an `@domain` suffix before templates are compared. First name is the
//! first word of the name, last name the last word (`Smith, Alice` is read as Alice Smith); a
//! one-word name has no last name, so templates using `{last}` or `{l}` never match it.

use std::collections::HashMap;

use bulwark_core::validate::{Email, FieldError};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::records::AccountRecord;

/// A person as the linker sees them; `id` is whatever the caller identifies people by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonKey<'a, P> {
    /// The caller's id for the person.
    pub id: P,
    /// The HR employee id (may be empty).
    pub employee_id: &'a str,
    /// Full name.
    pub name: &'a str,
    /// Work email.
    pub email: &'a str,
}

/// Why an account was linked (or which rule found several people).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LinkReason {
    /// The email addresses are the same.
    Email,
    /// The employee ids are the same.
    EmployeeId,
    /// The username follows this template (as configured).
    Username(String),
}

impl std::fmt::Display for LinkReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkReason::Email => f.write_str("the email address is the same"),
            LinkReason::EmployeeId => f.write_str("the employee ID is the same"),
            LinkReason::Username(t) => write!(f, "the username follows the pattern {t}"),
        }
    }
}

/// What linking found for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkOutcome<P> {
    /// Exactly one person, found by `reason`.
    Linked {
        /// The person.
        person: P,
        /// The rule that found them.
        reason: LinkReason,
    },
    /// Several people fit the deciding rule, so the account is left unlinked for a person to decide.
    Ambiguous {
        /// Everyone the rule found, in the order the people were given.
        candidates: Vec<P>,
        /// The rule that found them.
        reason: LinkReason,
    },
    /// Nobody fits any rule.
    Unmatched,
}

/// One piece of a username template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    First,
    Last,
    FirstInitial,
    LastInitial,
    EmployeeId,
    EmailLocal,
}

const PLACEHOLDERS: [(&str, Part); 6] = [
    ("first", Part::First),
    ("last", Part::Last),
    ("f", Part::FirstInitial),
    ("l", Part::LastInitial),
    ("employee_id", Part::EmployeeId),
    ("email_local", Part::EmailLocal),
];

/// A validated username template such as `{f}{last}`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Template {
    source: String,
    parts: Vec<Part>,
}

/// The configured username templates (the email and employee-id rules always apply).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkRules {
    templates: Vec<Template>,
}

impl LinkRules {
    /// Parses username templates, tried in the order given. A template is made of placeholders
    /// `{first}`, `{last}`, `{f}` (first initial), `{l}` (last initial), `{employee_id}`,
    /// `{email_local}` (the part of the email before `@`) and literal letters, digits, `.`, `_`
    /// and `-`; it needs at least one placeholder. Literal letters are compared lower-cased.
    pub fn parse(templates: &[&str]) -> Result<LinkRules, FieldError> {
        let mut out: Vec<Template> = Vec::with_capacity(templates.len());
        for (i, t) in templates.iter().enumerate() {
            let field = format!("username_templates[{i}]");
            let template = parse_template(t.trim()).map_err(|m| FieldError::new(&field, m))?;
            if let Some(j) = out.iter().position(|o| o.parts == template.parts) {
                return Err(FieldError::new(field, format!("repeats template {j}")));
            }
            out.push(template);
        }
        Ok(LinkRules { templates: out })
    }
}

fn parse_template(t: &str) -> Result<Template, String> {
    let mut parts = Vec::new();
    let mut rest = t;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('{') {
            let close = after.find('}').ok_or("has a `{` without its `}`")?;
            let name = &after[..close];
            let part = PLACEHOLDERS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, p)| p.clone())
                .ok_or_else(|| {
                    format!("`{{{name}}}` is not a placeholder; use {{first}}, {{last}}, {{f}}, {{l}}, {{employee_id}} or {{email_local}}")
                })?;
            parts.push(part);
            rest = &after[close + 1..];
        } else {
            let end = rest.find('{').unwrap_or(rest.len());
            let text = &rest[..end];
            if let Some(c) = text
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
            {
                return Err(format!(
                    "`{c}` is not allowed; between placeholders use letters, digits, `.`, `_` or `-`"
                ));
            }
            parts.push(Part::Text(text.to_ascii_lowercase()));
            rest = &rest[end..];
        }
    }
    if !parts.iter().any(|p| !matches!(p, Part::Text(_))) {
        return Err("needs at least one placeholder such as {first}".to_string());
    }
    Ok(Template {
        source: t.to_string(),
        parts,
    })
}

/// The folded name parts and keys of one person.
struct Folded {
    first: Option<String>,
    last: Option<String>,
    employee_id: String,
    email_local: String,
}

impl Folded {
    fn of<P>(p: &PersonKey<'_, P>) -> Folded {
        let (first, last) = first_last(p.name);
        let email = p.email.trim().to_lowercase();
        Folded {
            first,
            last,
            employee_id: p.employee_id.trim().to_lowercase(),
            email_local: email.split('@').next().unwrap_or_default().to_string(),
        }
    }

    /// The username a template gives for this person; `None` when a part it needs is missing.
    fn render(&self, t: &Template) -> Option<String> {
        let mut out = String::new();
        for part in &t.parts {
            let piece = match part {
                Part::Text(s) => s.as_str(),
                Part::First => self.first.as_deref()?,
                Part::Last => self.last.as_deref()?,
                Part::FirstInitial => self.first.as_deref()?.get(..1)?,
                Part::LastInitial => self.last.as_deref()?.get(..1)?,
                Part::EmployeeId => Some(self.employee_id.as_str()).filter(|s| !s.is_empty())?,
                Part::EmailLocal => Some(self.email_local.as_str()).filter(|s| !s.is_empty())?,
            };
            out.push_str(piece);
        }
        Some(out)
    }
}

/// First and last name, folded; `Last, First` is understood.
fn first_last(name: &str) -> (Option<String>, Option<String>) {
    let (given, family) = match name.split_once(',') {
        Some((family, given)) => (given, Some(family)),
        None => (name, None),
    };
    let words: Vec<String> = given
        .split_whitespace()
        .map(|w| fold(w, |c| c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    let first = words.first().cloned();
    let last = match family {
        Some(f) => f
            .split_whitespace()
            .map(|w| fold(w, |c| c.is_ascii_alphanumeric() || c == '-'))
            .rfind(|w| !w.is_empty()),
        None if words.len() > 1 => words.last().cloned(),
        None => None,
    };
    (first, last)
}

/// Lower-case ASCII without diacritics, keeping only the characters `keep` accepts.
///
/// Written here because no small crate does exactly this: `unicode-normalization` splits off the
/// diacritics; the letters it cannot split (ß, æ, ø, ł…) take a short table.
fn fold(s: &str, keep: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
    {
        let replacement = match c {
            'ß' => "ss",
            'æ' => "ae",
            'œ' => "oe",
            'ø' => "o",
            'ł' => "l",
            'đ' | 'ð' => "d",
            'þ' => "th",
            'ı' => "i",
            _ => {
                if keep(c) {
                    out.push(c);
                }
                continue;
            }
        };
        out.push_str(replacement);
    }
    out
}

/// An account's username as templates are compared with it.
fn folded_username(username: &str) -> String {
    let u = username.trim();
    let u = u.rsplit_once('\\').map_or(u, |(_, user)| user);
    let u = u.split_once('@').map_or(u, |(local, _)| local);
    fold(u, |c| c.is_ascii_graphic())
}

/// Links accounts to people; built once for a population, then asked for each account.
#[derive(Debug, Clone)]
pub struct Linker<P> {
    ids: Vec<P>,
    by_email: HashMap<String, Vec<u32>>,
    by_employee_id: HashMap<String, Vec<u32>>,
    by_template: Vec<(String, HashMap<String, Vec<u32>>)>,
}

impl<P: Clone> Linker<P> {
    /// Indexes the people under every rule.
    pub fn new(people: &[PersonKey<'_, P>], rules: &LinkRules) -> Self {
        let mut by_email: HashMap<String, Vec<u32>> = HashMap::new();
        let mut by_employee_id: HashMap<String, Vec<u32>> = HashMap::new();
        let mut by_template: Vec<(String, HashMap<String, Vec<u32>>)> = rules
            .templates
            .iter()
            .map(|t| (t.source.clone(), HashMap::new()))
            .collect();
        for (i, p) in people.iter().enumerate() {
            let i = u32::try_from(i).expect("fewer than 4 billion people");
            let folded = Folded::of(p);
            let email = p.email.trim().to_lowercase();
            if !email.is_empty() {
                by_email.entry(email).or_default().push(i);
            }
            if !p.employee_id.trim().is_empty() {
                by_employee_id
                    .entry(p.employee_id.trim().to_string())
                    .or_default()
                    .push(i);
            }
            for (t, (_, index)) in rules.templates.iter().zip(&mut by_template) {
                if let Some(username) = folded.render(t) {
                    index.entry(username).or_default().push(i);
                }
            }
        }
        Linker {
            ids: people.iter().map(|p| p.id.clone()).collect(),
            by_email,
            by_employee_id,
            by_template,
        }
    }

    /// Finds the person an account belongs to.
    pub fn link(&self, account: &AccountRecord) -> LinkOutcome<P> {
        let email = match &account.email {
            Some(e) => Some(e.trim().to_lowercase()),
            None => Email::parse("username", &account.username)
                .ok()
                .map(|e| e.as_str().to_string()),
        };
        if let Some(found) = email.and_then(|e| self.by_email.get(&e)) {
            return self.outcome(found, LinkReason::Email);
        }
        let employee_id = account.employee_id.as_deref().map(str::trim);
        if let Some(found) = employee_id.and_then(|e| self.by_employee_id.get(e)) {
            return self.outcome(found, LinkReason::EmployeeId);
        }
        let username = folded_username(&account.username);
        for (template, index) in &self.by_template {
            if let Some(found) = index.get(&username) {
                return self.outcome(found, LinkReason::Username(template.clone()));
            }
        }
        LinkOutcome::Unmatched
    }

    fn outcome(&self, found: &[u32], reason: LinkReason) -> LinkOutcome<P> {
        match found {
            [one] => LinkOutcome::Linked {
                person: self.ids[*one as usize].clone(),
                reason,
            },
            many => LinkOutcome::Ambiguous {
                candidates: many.iter().map(|i| self.ids[*i as usize].clone()).collect(),
                reason,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn person<'a>(
        id: u32,
        employee_id: &'a str,
        name: &'a str,
        email: &'a str,
    ) -> PersonKey<'a, u32> {
        PersonKey {
            id,
            employee_id,
            name,
            email,
        }
    }

    fn account(username: &str, email: Option<&str>, employee_id: Option<&str>) -> AccountRecord {
        AccountRecord {
            username: username.to_string(),
            email: email.map(str::to_string),
            display_name: String::new(),
            privileged: false,
            mfa: false,
            last_login: None,
            groups: Vec::new(),
            enabled: true,
            employee_id: employee_id.map(str::to_string),
        }
    }

    fn people() -> Vec<PersonKey<'static, u32>> {
        vec![
            person(0, "E1", "Alice Smith", "alice.smith@example.org"),
            person(1, "E2", "José Müller-Øst", "jmuller@example.org"),
            person(2, "E3", "Smith, Adam", "adam@example.org"),
            person(3, "E4", "Cher", "cher@example.org"),
            person(4, "E5", "Bob O'Brien", "bob@example.org"),
        ]
    }

    fn linked(person: u32, reason: LinkReason) -> LinkOutcome<u32> {
        LinkOutcome::Linked { person, reason }
    }

    #[test]
    fn rules_in_order() {
        let rules = LinkRules::parse(&[
            "{first}.{last}",
            "{f}{last}",
            "{employee_id}",
            "{email_local}",
        ])
        .unwrap();
        let linker = Linker::new(&people(), &rules);
        let user = |t: &str| LinkReason::Username(t.to_string());
        let cases = [
            (
                account("x", Some("ALICE.SMITH@example.org"), Some("E3")),
                linked(0, LinkReason::Email),
            ),
            (
                account("Alice.Smith@Example.org", None, None),
                linked(0, LinkReason::Email),
            ),
            (
                account("x", Some("nobody@example.org"), Some("E2")),
                linked(1, LinkReason::EmployeeId),
            ),
            (
                account("jose.muller-ost", None, None),
                linked(1, user("{first}.{last}")),
            ),
            (
                account("CORP\\BOBRIEN", None, None),
                linked(4, user("{f}{last}")),
            ),
            (
                account("adam.smith@corp.example", None, None),
                linked(2, user("{first}.{last}")),
            ),
            (account("e4", None, None), linked(3, user("{employee_id}"))),
            (
                account("cher", None, None),
                linked(3, user("{email_local}")),
            ),
            (
                account("asmith", None, None),
                LinkOutcome::Ambiguous {
                    candidates: vec![0, 2],
                    reason: user("{f}{last}"),
                },
            ),
            (account("cher.cher", None, None), LinkOutcome::Unmatched),
            (account("", None, None), LinkOutcome::Unmatched),
        ];
        for (a, want) in cases {
            assert_eq!(linker.link(&a), want, "{}", a.username);
        }
    }

    #[test]
    fn ambiguity_stops_at_the_deciding_rule() {
        let twins = [
            person(7, "", "Ann Lee", "a@x.org"),
            person(8, "", "Ann Lee", "b@x.org"),
        ];
        let linker = Linker::new(
            &twins,
            &LinkRules::parse(&["{first}.{last}", "{email_local}"]).unwrap(),
        );
        let out = linker.link(&account("ann.lee", None, None));
        assert!(
            matches!(out, LinkOutcome::Ambiguous { ref candidates, .. } if candidates == &[7, 8])
        );
        assert_eq!(
            linker.link(&account("b", None, None)),
            linked(8, LinkReason::Username("{email_local}".into()))
        );
        let reason = LinkReason::Username("{first}.{last}".into());
        assert_eq!(
            reason.to_string(),
            "the username follows the pattern {first}.{last}"
        );
    }

    #[test]
    fn templates_are_validated() {
        assert!(LinkRules::parse(&[]).is_ok());
        let cases = [
            (
                vec!["{first}.{middle}"],
                "username_templates[0]",
                "not a placeholder",
            ),
            (vec!["{first"], "username_templates[0]", "without its"),
            (
                vec!["admin"],
                "username_templates[0]",
                "at least one placeholder",
            ),
            (
                vec!["{first} {last}"],
                "username_templates[0]",
                "not allowed",
            ),
            (
                vec!["{f}{last}", "{F}{last}"],
                "username_templates[1]",
                "not a placeholder",
            ),
            (
                vec!["{f}{last}", " {f}{last} "],
                "username_templates[1]",
                "repeats template 0",
            ),
        ];
        for (templates, field, message) in cases {
            let e = LinkRules::parse(&templates).unwrap_err();
            assert_eq!(e.field, field, "{templates:?}");
            assert!(e.message.contains(message), "{templates:?}: {}", e.message);
        }
    }

    #[test]
    fn folding() {
        assert_eq!(
            first_last("  Zoë  Łukasz-Straße "),
            (Some("zoe".into()), Some("lukasz-strasse".into()))
        );
        assert_eq!(first_last("Ægir"), (Some("aegir".into()), None));
        assert_eq!(first_last("李 小龙"), (None, None));
        assert_eq!(folded_username("DOMAIN\\Jöhn.Doe@corp"), "john.doe");
    }

    /// Whether a person fits a rule, for the brute-force oracle.
    type Fits<'a> = Box<dyn Fn(&PersonKey<'_, u32>) -> bool + 'a>;

    const NAMES: [&str; 4] = ["Ann Lee", "Ann Lim", "Bo Lee", "Åsa Lee"];

    prop_compose! {
        fn population()(rows in prop::collection::vec((0..4usize, 0..3u8, 0..3u8), 1..12))
            -> Vec<(String, String, String)> {
            rows.into_iter()
                .map(|(n, e, id)| (NAMES[n].to_string(), format!("p{e}@x.org"), format!("E{id}")))
                .collect()
        }
    }

    proptest! {
        /// An account is linked only when the deciding rule finds exactly one person, and that
        /// person is the one linked; checked against a brute-force search over everybody.
        #[test]
        fn never_links_an_account_to_two_people(
            rows in population(),
            username in prop::sample::select(vec!["ann.lee", "alee", "blee", "asa.lee", "p1", "e2", "nobody"]),
            email in prop::option::of(0..4u8),
            employee_id in prop::option::of(0..4u8),
        ) {
            let people: Vec<PersonKey<'_, u32>> = rows.iter().enumerate()
                .map(|(i, (n, e, id))| person(i as u32, id, n, e))
                .collect();
            let templates = ["{first}.{last}", "{f}{last}", "{email_local}", "{employee_id}"];
            let rules = LinkRules::parse(&templates).unwrap();
            let email = email.map(|e| format!("p{e}@x.org"));
            let employee_id = employee_id.map(|e| format!("E{e}"));
            let a = account(username, email.as_deref(), employee_id.as_deref());

            let mut expected = LinkOutcome::Unmatched;
            let mut rules_in_order: Vec<(LinkReason, Fits<'_>)> = vec![
                (LinkReason::Email, Box::new(|p| Some(p.email) == email.as_deref())),
                (LinkReason::EmployeeId, Box::new(|p| Some(p.employee_id) == employee_id.as_deref())),
            ];
            for t in &rules.templates {
                rules_in_order.push((
                    LinkReason::Username(t.source.clone()),
                    Box::new(move |p| Folded::of(p).render(t).as_deref() == Some(username)),
                ));
            }
            for (reason, fits) in &rules_in_order {
                let found: Vec<u32> = people.iter().filter(|p| fits(p)).map(|p| p.id).collect();
                expected = match found.as_slice() {
                    [] => continue,
                    [one] => LinkOutcome::Linked { person: *one, reason: reason.clone() },
                    _ => LinkOutcome::Ambiguous { candidates: found, reason: reason.clone() },
                };
                break;
            }
            prop_assert_eq!(Linker::new(&people, &rules).link(&a), expected);
        }
    }
}
