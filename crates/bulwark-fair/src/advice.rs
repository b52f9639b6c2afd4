//! Plain sentences about money for people who do not read loss-exceedance curves.

/// An amount rounded to whole units with thousands separators and the currency code: `12,000 EUR`.
pub fn money(amount: f64, currency: &str) -> String {
    let rounded = amount.abs().round() as u64;
    let digits = rounded.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if amount < 0.0 && rounded > 0 {
        "−"
    } else {
        ""
    };
    format!("{sign}{grouped} {currency}")
}

/// `reduction / cost` as "14×" or "2.5×".
fn times(reduction: f64, cost: f64) -> String {
    let x = reduction / cost;
    if x >= 10.0 {
        format!("{x:.0}×")
    } else {
        format!("{x:.1}×")
    }
}

/// One step of a funding plan, such as "Fund MFA for remote access: costs 12,000 EUR a year, cuts
/// expected yearly loss by 180,000 EUR — 15× its cost."
pub fn fund(
    name: &str,
    cost: f64,
    reduction: f64,
    currency: &str,
    needed_by: Option<&str>,
) -> String {
    let head = format!(
        "Fund {name}: costs {} a year, cuts expected yearly loss by {}",
        money(cost, currency),
        money(reduction, currency)
    );
    match needed_by {
        _ if reduction >= cost => format!("{head} — {} its cost.", times(reduction, cost)),
        Some(other) => format!("{head} — less than its cost, but {other} needs it."),
        None => format!("{head} — less than its cost."),
    }
}

/// Why an initiative is not in the plan.
pub enum Why<'a> {
    /// It needs another initiative that is not funded.
    Needs(&'a str),
    /// It would save this much, no more than it costs.
    NotWorthIt(f64),
    /// It does not fit in what is left of the budget.
    OverBudget(f64),
}

/// A sentence for an initiative left out of the plan.
pub fn not_now(name: &str, cost: f64, why: Why<'_>, currency: &str) -> String {
    let cost = money(cost, currency);
    match why {
        Why::Needs(other) => {
            format!("Not now: {name} (costs {cost} a year) needs {other}, which is not funded.")
        }
        Why::NotWorthIt(reduction) => format!(
            "Not now: {name} costs {cost} a year but would cut expected yearly loss by only {}.",
            money(reduction, currency)
        ),
        Why::OverBudget(left) => format!(
            "Not now: {name} (costs {cost} a year) does not fit in the {} left of the budget.",
            money(left, currency)
        ),
    }
}

/// The plan in one sentence for leadership.
pub fn plan(
    budget: f64,
    funded: usize,
    offered: usize,
    cost: f64,
    before: f64,
    after: f64,
    currency: &str,
) -> String {
    if funded == 0 {
        return format!(
            "With a budget of {} a year, none of the {offered} initiatives is worth funding now; the expected yearly loss stays at {}.",
            money(budget, currency),
            money(before, currency)
        );
    }
    format!(
        "With a budget of {} a year, fund {funded} of {offered} initiatives: together they cost {} a year and cut the expected yearly loss from {} to {}.",
        money(budget, currency),
        money(cost, currency),
        money(before, currency),
        money(after, currency)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_like_money() {
        assert_eq!(money(12_000.0, "EUR"), "12,000 EUR");
        assert_eq!(money(1_234_567.4, "USD"), "1,234,567 USD");
        assert_eq!(money(999.5, "EUR"), "1,000 EUR");
        assert_eq!(money(0.2, "EUR"), "0 EUR");
        assert_eq!(money(-5_000.0, "EUR"), "−5,000 EUR");
    }

    #[test]
    fn sentences() {
        assert_eq!(
            fund("MFA for remote access", 12_000.0, 180_000.0, "EUR", None),
            "Fund MFA for remote access: costs 12,000 EUR a year, cuts expected yearly loss by 180,000 EUR — 15× its cost."
        );
        assert!(fund("SIEM", 10_000.0, 25_000.0, "EUR", None).ends_with("2.5× its cost."));
        assert!(
            fund("Logging", 10_000.0, 0.0, "EUR", Some("SIEM")).ends_with("but SIEM needs it.")
        );
        assert!(not_now("X", 10.0, Why::OverBudget(5.0), "EUR").contains("5 EUR left"));
    }
}
