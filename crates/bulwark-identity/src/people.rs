//! The HR file: who works here, read from CSV.
//!
//! Header `employee_id,name,email,department,manager_email,status,start_date,leave_date`, in any
//! order and letter case; other columns are allowed and reported. Every row is checked and every
//! problem is reported with its line and column:
//!
//! * `employee_id`: required, unique in the file;
//! * `name`: required;
//! * `email`: a valid address, unique in the file (compared lower-cased);
//! * `manager_email`: a valid address when present; a manager who is not in the file is reported
//!   in [`PeopleSummary::unknown_managers`], not refused;
//! * `status`: `active` or `leaver`; a leaver needs a `leave_date`;
//! * `start_date`, `leave_date`: `YYYY-MM-DD` when present; `leave_date` not before `start_date`.

use std::collections::HashMap;
use std::io::Read;

use bulwark_core::validate::{self, Email, FieldError};
use bulwark_core::{InputProblem, Problems};

use crate::records::{PersonRecord, PersonStatus};
use crate::table::{Table, field_problem};
use crate::values::{iso_date, keep, optional};

const COLUMNS: &[&str] = &[
    "employee_id",
    "name",
    "email",
    "department",
    "manager_email",
    "status",
    "start_date",
    "leave_date",
];

/// What a successful HR import read besides the people.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeopleSummary {
    /// Data rows read, good or not (the header and empty rows not counted).
    pub rows: u64,
    /// Columns that are not part of the format, by name, in file order (they are ignored).
    pub extra_columns: Vec<String>,
    /// `(line, manager_email)` for managers who are not anyone's `email` in the file.
    pub unknown_managers: Vec<(u64, String)>,
}

/// Reads an HR file, handing each valid person to `sink` as it is read.
///
/// The whole file is checked; if anything is wrong the result lists every problem (at most 1,000)
/// and the caller must discard what `sink` received (the sink is no longer called once a problem
/// has been found, since the import will be refused).
pub fn read_people<R: Read>(
    input: R,
    mut sink: impl FnMut(PersonRecord),
) -> Result<PeopleSummary, Vec<InputProblem>> {
    let mut problems = Problems::default();
    let Some((mut table, extra_columns)) = Table::open(input, COLUMNS, &mut problems) else {
        return problems.finish(PeopleSummary::default());
    };
    // First line of each employee id and email, to name the earlier line on a repeat.
    let mut ids: HashMap<String, u64> = HashMap::new();
    let mut emails: HashMap<String, u64> = HashMap::new();
    let mut managers: Vec<(u64, String)> = Vec::new();
    while table.advance(&mut problems) {
        let line = table.line();
        let mut row = Row::default();
        row.check(&table);
        if let Some(id) = &row.employee_id {
            if let Some(first) = ids.get(id) {
                row.errors.push(FieldError::new(
                    "employee_id",
                    format!("`{id}` is already used on line {first}"),
                ));
            } else {
                ids.insert(id.clone(), line);
            }
        }
        if let Some(email) = &row.email {
            if let Some(first) = emails.get(email) {
                row.errors.push(FieldError::new(
                    "email",
                    format!("`{email}` is already used on line {first}"),
                ));
            } else {
                emails.insert(email.clone(), line);
            }
        }
        if let Some(m) = &row.manager_email {
            managers.push((line, m.clone()));
        }
        let person = row.finish();
        match person {
            Ok(p) if problems.is_empty() => sink(p),
            Ok(_) => {}
            Err(errors) => errors
                .into_iter()
                .for_each(|e| field_problem(&mut problems, line, e)),
        }
    }
    managers.retain(|(_, m)| !emails.contains_key(m));
    problems.finish(PeopleSummary {
        rows: table.rows(),
        extra_columns,
        unknown_managers: managers,
    })
}

/// One row's values as far as they are valid, and what is wrong with the others.
#[derive(Default)]
struct Row {
    employee_id: Option<String>,
    name: Option<String>,
    email: Option<String>,
    department: String,
    manager_email: Option<String>,
    status: Option<PersonStatus>,
    start_date: Option<chrono::NaiveDate>,
    leave_date: Option<chrono::NaiveDate>,
    errors: Vec<FieldError>,
}

impl Row {
    fn check<R: Read>(&mut self, t: &Table<R>) {
        let errors = &mut self.errors;
        self.employee_id = keep(
            errors,
            validate::label("employee_id", t.get("employee_id"), 100),
        );
        self.name = keep(errors, validate::label("name", t.get("name"), 200));
        let email = Email::parse("email", t.get("email")).map(|e| e.as_str().to_owned());
        self.email = keep(errors, email);
        self.department = t.get("department").to_string();
        self.manager_email = optional(t.get("manager_email")).and_then(|m| {
            let m = Email::parse("manager_email", m).map(|e| e.as_str().to_owned());
            keep(errors, m)
        });
        let status = t.get("status");
        let parsed = PersonStatus::parse(status).ok_or_else(|| {
            FieldError::new("status", format!("`{status}` must be active or leaver"))
        });
        self.status = keep(errors, parsed);
        self.start_date =
            optional(t.get("start_date")).and_then(|d| keep(errors, iso_date("start_date", d)));
        self.leave_date =
            optional(t.get("leave_date")).and_then(|d| keep(errors, iso_date("leave_date", d)));
        if self.status == Some(PersonStatus::Leaver) && optional(t.get("leave_date")).is_none() {
            self.errors
                .push(FieldError::new("leave_date", "is required for a leaver"));
        }
        if let (Some(start), Some(leave)) = (self.start_date, self.leave_date)
            && leave < start
        {
            self.errors.push(FieldError::new(
                "leave_date",
                format!("{leave} is before the start date {start}"),
            ));
        }
    }

    fn finish(self) -> Result<PersonRecord, Vec<FieldError>> {
        match (self.employee_id, self.name, self.email, self.status) {
            (Some(employee_id), Some(name), Some(email), Some(status))
                if self.errors.is_empty() =>
            {
                Ok(PersonRecord {
                    employee_id,
                    name,
                    email,
                    department: self.department,
                    manager_email: self.manager_email,
                    status,
                    start_date: self.start_date,
                    leave_date: self.leave_date,
                })
            }
            _ => Err(self.errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    const HEADER: &str =
        "employee_id,name,email,department,manager_email,status,start_date,leave_date";

    fn read(body: &str) -> (Vec<PersonRecord>, Result<PeopleSummary, Vec<InputProblem>>) {
        let mut people = Vec::new();
        let r = read_people(body.as_bytes(), |p| people.push(p));
        (people, r)
    }

    /// Where a problem is: line and column.
    type Place = (Option<u64>, Option<String>);

    fn problems(body: &str) -> Vec<Place> {
        let (_, r) = read(&format!("{HEADER}\n{body}"));
        r.unwrap_err()
            .into_iter()
            .map(|p| (p.line, p.field))
            .collect()
    }

    #[test]
    fn reads_people_with_extras_and_unknown_managers() {
        let body = "Status,Email,Name,employee_id,department,manager_email,start_date,leave_date,Cost centre\n\
            active,Alice@Example.org,Alice Smith,E1,Sales,boss@example.org,2020-01-06,,C1\n\
            leaver,bob@example.org,Bob Jones,E2,,alice@example.org,2019-03-01,2026-09-30,C2\n";
        let (people, r) = read(body);
        let summary = r.unwrap();
        assert_eq!(summary.rows, 2);
        assert_eq!(summary.extra_columns, ["Cost centre"]);
        assert_eq!(
            summary.unknown_managers,
            [(2, "boss@example.org".to_string())]
        );
        assert_eq!(people.len(), 2);
        assert_eq!(people[0].email, "alice@example.org");
        assert_eq!(people[0].department, "Sales");
        assert_eq!(people[1].status, PersonStatus::Leaver);
        assert_eq!(people[1].leave_date, NaiveDate::from_ymd_opt(2026, 9, 30));
        assert_eq!(
            people[1].manager_email.as_deref(),
            Some("alice@example.org")
        );
    }

    #[test]
    fn every_row_problem_names_line_and_column() {
        let at = |l: u64, f: &str| -> Place { (Some(l), Some(f.to_string())) };
        let cases: &[(&str, Vec<Place>)] = &[
            (
                ",Ann,ann@example.org,,,active,,",
                vec![at(2, "employee_id")],
            ),
            ("E1,,ann@example.org,,,active,,", vec![at(2, "name")]),
            ("E1,Ann,ann,,,active,,", vec![at(2, "email")]),
            (
                "E1,Ann,ann@example.org,,boss,active,,",
                vec![at(2, "manager_email")],
            ),
            ("E1,Ann,ann@example.org,,,gone,,", vec![at(2, "status")]),
            (
                "E1,Ann,ann@example.org,,,leaver,,",
                vec![at(2, "leave_date")],
            ),
            (
                "E1,Ann,ann@example.org,,,active,2026-13-01,",
                vec![at(2, "start_date")],
            ),
            (
                "E1,Ann,ann@example.org,,,active,2026-05-01,2026-04-30",
                vec![at(2, "leave_date")],
            ),
            (
                "E1,Ann,ann@example.org,,,active,,\nE1,Bo,ANN@example.org,,,active,,",
                vec![at(3, "employee_id"), at(3, "email")],
            ),
            (
                "E1,Ann,x,,,leaver,,",
                vec![at(2, "email"), at(2, "leave_date")],
            ),
        ];
        for (body, want) in cases {
            assert_eq!(&problems(body), want, "{body}");
        }
    }

    #[test]
    fn repeats_name_the_first_line_and_refused_files_stop_the_sink() {
        let body = format!(
            "{HEADER}\nE1,Ann,ann@example.org,,,active,,\nE2,Bo,,,,active,,\nE3,Cy,cy@example.org,,,active,,\nE1,Di,di@example.org,,,active,,\n"
        );
        let (people, r) = read(&body);
        let p = r.unwrap_err();
        assert_eq!(p.len(), 2);
        assert!(p[1].message.contains("line 2"), "{p:?}");
        assert_eq!(
            people.len(),
            1,
            "only rows before the first problem reach the sink"
        );
    }

    #[test]
    fn missing_columns_are_whole_file_problems() {
        let (_, r) = read("employee_id,name,email,status\nE1,Ann,ann@example.org,active\n");
        let p = r.unwrap_err();
        let missing: Vec<_> = p.iter().map(|p| p.field.as_deref().unwrap()).collect();
        assert_eq!(
            missing,
            ["department", "manager_email", "start_date", "leave_date"]
        );
        assert!(p.iter().all(|p| p.line.is_none()));
    }
}
