//! The demo's people register: the roster of Bulwark users and a hundred and twenty-odd more
//! staff, written as the HR file a real organisation would export and imported through the same
//! importer.

use std::collections::HashSet;
use std::fmt::Write;

use chrono::{Days, NaiveDate};

use super::{PEOPLE, mix};

/// People in the register (the external auditor is not staff, so not in the HR file).
pub const HEADCOUNT: usize = 150;

const FIRST: [&str; 40] = [
    "Adam", "Beatriz", "Carlos", "Dmitri", "Eva", "Farah", "George", "Hiroshi", "Ines", "Jakub",
    "Karin", "Liam", "Maria", "Nadia", "Omar", "Paula", "Quentin", "Rosa", "Stefan", "Tanya",
    "Umar", "Vera", "Wim", "Xenia", "Yusuf", "Zoe", "Anika", "Bram", "Clara", "Dev", "Emma",
    "Felix", "Greta", "Hugo", "Ivana", "Jonas", "Lena", "Milan", "Nora", "Pieter",
];
const LAST: [&str; 40] = [
    "Jansen", "de Vries", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Vos", "Peters",
    "Hendriks", "Dekker", "Brouwer", "Kowalski", "Novak", "Horvat", "Silva", "Costa", "Murphy",
    "Walsh", "Byrne", "Evans", "Hughes", "Patel", "Shah", "Khan", "Ali", "Nguyen", "Tran",
    "Larsen", "Berg", "Lund", "Keller", "Weber", "Wagner", "Becker", "Hoffmann", "Klein", "Wolf",
    "Braun",
];

/// Departments of the generated staff, with how many each has.
const DEPARTMENTS: [(&str, usize); 10] = [
    ("Operations", 30),
    ("Warehousing", 30),
    ("Fleet", 15),
    ("Sales", 12),
    ("Customer Service", 12),
    ("Finance", 10),
    ("Human Resources", 5),
    ("IT", 6),
    ("Customs & Compliance", 4),
    ("Legal", 2),
];

/// One person of the HR file.
#[derive(Debug, Clone)]
pub struct Staff {
    pub employee_id: String,
    pub name: String,
    pub email: String,
    pub department: String,
    pub manager: Option<String>,
    /// Leave date, for leavers.
    pub left: Option<NaiveDate>,
}

impl Staff {
    /// First and last name, lower-case ASCII letters, as usernames are made.
    pub fn first_last(&self) -> (String, String) {
        let (f, l) = self.name.split_once(' ').unwrap_or((&self.name, ""));
        (ascii(f), ascii(l))
    }
}

/// Lower-case ASCII letters and digits of a name (the demo's names need only these folds).
fn ascii(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' => 'a',
            'é' | 'è' | 'ë' => 'e',
            'í' => 'i',
            'ó' | 'ö' => 'o',
            'ú' | 'ü' => 'u',
            'ç' => 'c',
            c => c,
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

fn email_of(first: &str, last: &str) -> String {
    format!("{}.{}@northwind.example", ascii(first), ascii(last))
}

/// Everyone on the HR file, roster first; `today` places leave dates.
pub fn staff(today: NaiveDate) -> Vec<Staff> {
    let ceo = "catherine.mbeki@northwind.example";
    let mut out: Vec<Staff> = Vec::new();
    let mut heads: Vec<(&str, String)> = Vec::new();
    for p in PEOPLE {
        if p.department == "External" {
            continue;
        }
        // The first roster member of a department heads it; executives report to the CEO.
        let head = heads
            .iter()
            .find(|(d, _)| *d == p.department)
            .map(|(_, h)| h.clone());
        if head.is_none() {
            heads.push((p.department, p.email.to_string()));
        }
        let manager = match head {
            Some(h) if p.department != "Executive" => Some(h),
            _ if p.email == ceo => None,
            _ => Some(ceo.to_string()),
        };
        out.push(Staff {
            employee_id: format!("E{:04}", 1000 + out.len()),
            name: p.name.to_string(),
            email: p.email.to_string(),
            department: p.department.to_string(),
            manager,
            left: None,
        });
    }
    let mut taken: HashSet<String> = out.iter().map(|s| s.email.clone()).collect();
    let mut n: u64 = 0;
    for (department, count) in DEPARTMENTS {
        let head = heads
            .iter()
            .find(|(d, _)| *d == department)
            .map(|(_, h)| h.clone())
            .unwrap_or_else(|| ceo.to_string());
        for _ in 0..count {
            let (first, last, email) = loop {
                n += 1;
                let f = FIRST[(mix(n) % 40) as usize];
                let l = LAST[(mix(n ^ 0xabcd) % 40) as usize];
                let e = email_of(f, l);
                if taken.insert(e.clone()) {
                    break (f, l, e);
                }
            };
            let index = out.len();
            // Every thirteenth person has left, between 10 and 120 days ago.
            let left = (index % 13 == 5).then(|| today - Days::new(10 + mix(n) % 111));
            out.push(Staff {
                employee_id: format!("E{:04}", 1000 + index),
                name: format!("{first} {last}"),
                email,
                department: department.to_string(),
                manager: Some(head.clone()),
                left,
            });
        }
    }
    out
}

/// The HR file of these people.
pub fn hr_csv(staff: &[Staff]) -> String {
    let mut csv = String::from(
        "employee_id,name,email,department,manager_email,status,start_date,leave_date\n",
    );
    for (i, s) in staff.iter().enumerate() {
        let start =
            NaiveDate::from_ymd_opt(2012 + (mix(i as u64) % 13) as i32, 1 + (i % 12) as u32, 1)
                .unwrap_or_default();
        let _ = writeln!(
            csv,
            "{},\"{}\",{},{},{},{},{},{}",
            s.employee_id,
            s.name,
            s.email,
            s.department,
            s.manager.as_deref().unwrap_or(""),
            if s.left.is_some() { "leaver" } else { "active" },
            start,
            s.left.map(|d| d.to_string()).unwrap_or_default()
        );
    }
    csv
}
