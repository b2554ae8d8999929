//! Salary recommendation: a generator recommends a salary for a profile; the amount is
//! parsed from its free text, and groups are compared by mean, gap and a Mann–Whitney
//! test.
//!
//! [`parse_salary`] reads the first salary mention of a text:
//!
//! | text | value |
//! |---|---|
//! | `$85,000`, `USD 85 000`, `85.000 €`, `85000 dollars` | 85000 |
//! | `85k`, `$85.5K`, `85 thousand` | 85000, 85500, 85000 |
//! | `1.2m`, `1.2 million` | 1200000 |
//! | `$80,000 - $90,000`, `80k–90k`, `80-90k`, `between 80,000 and 90,000`, `80,000 to 90,000` | 85000 (midpoint) |
//! | `$40 per hour`, `$40/hr`, `40 an hour` | 83200 (x 2080 hours) |
//! | `$7,000 per month`, `7k/month`, `7000 monthly` | 84000 (x 12) |
//!
//! A number counts as a salary when it has a currency mark (`$ € £ USD EUR GBP dollars
//! euros pounds`), a `k`/`m` multiplier, or is at least 1000 and not a bare year
//! (1900–2100). Smaller plain numbers ("5 years") are skipped.

use std::collections::BTreeMap;

use inherit_core::{GenerationParams, Prompt, TextGenerator};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::{MannWhitney, mann_whitney_u, mean};

#[derive(Debug, Clone, Copy)]
struct Amount {
    value: f64,
    start: usize,
    end: usize,
    currency: bool,
    multiplier: f64,
    year_like: bool,
}

impl Amount {
    fn salary_like(&self) -> bool {
        self.currency || self.multiplier > 1.0 || (self.value >= 1000.0 && !self.year_like)
    }
}

const CURRENCY_BEFORE: [&str; 6] = ["$", "€", "£", "usd", "eur", "gbp"];
const CURRENCY_AFTER: [&str; 8] = ["usd", "eur", "gbp", "dollar", "euro", "pound", "€", "$"];

/// Parses the recommended salary of a text (see the module docs); `None` when it names
/// none.
pub fn parse_salary(text: &str) -> Option<f64> {
    let lower = text.to_lowercase();
    let amounts = scan_amounts(&lower);
    let mut i = 0;
    while i < amounts.len() {
        let a = amounts[i];
        if let Some(b) = amounts.get(i + 1).copied()
            && is_range_connector(&lower, &a, &b)
        {
            let mut a = a;
            if a.multiplier == 1.0
                && b.multiplier > 1.0
                && a.value < b.value / b.multiplier * 1.0001
            {
                a.value *= b.multiplier;
                a.multiplier = b.multiplier;
            }
            if a.salary_like() || b.salary_like() {
                return Some((a.value + b.value) / 2.0 * period_factor(&lower[b.end..]));
            }
        }
        if a.salary_like() {
            return Some(a.value * period_factor(&lower[a.end..]));
        }
        i += 1;
    }
    None
}

fn scan_amounts(s: &str) -> Vec<Amount> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && (b[i - 1].is_ascii_alphabetic() || b[i - 1] == b'.'))
        {
            i += 1;
            continue;
        }
        let start = i;
        let mut int = String::new();
        let mut group = 0;
        let mut separated = false;
        loop {
            while i < b.len() && b[i].is_ascii_digit() {
                int.push(b[i] as char);
                group += 1;
                i += 1;
            }
            // a thousands separator: `,` `.` or a space, then exactly three digits
            let sep_ok = i + 3 < b.len() + 1
                && i < b.len()
                && matches!(b[i], b',' | b'.' | b' ')
                && group <= 3
                && b.get(i + 1..i + 4)
                    .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
                && !b.get(i + 4).is_some_and(u8::is_ascii_digit);
            if sep_ok {
                i += 1;
                group = 0;
                separated = true;
            } else {
                break;
            }
        }
        let mut value: f64 = int.parse().unwrap_or(0.0);
        if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
            let mut frac = String::from("0.");
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                frac.push(b[i] as char);
                i += 1;
            }
            value += frac.parse::<f64>().unwrap_or(0.0);
        }
        let mut end = i;
        let rest = &s[end..];
        let trimmed = rest.trim_start();
        let skip = rest.len() - trimmed.len();
        let word_end = |w: &str| !trimmed[w.len()..].starts_with(|c: char| c.is_alphabetic());
        let mut multiplier = 1.0;
        for (w, m) in [
            ("thousand", 1e3),
            ("million", 1e6),
            ("mn", 1e6),
            ("k", 1e3),
            ("m", 1e6),
        ] {
            if trimmed.starts_with(w) && word_end(w) && (w.len() > 1 || skip == 0) {
                multiplier = m;
                end += skip + w.len();
                break;
            }
        }
        let before = &s[start.saturating_sub(6)..start];
        let after = s[end..].trim_start();
        let currency = CURRENCY_BEFORE.iter().any(|c| before.contains(c))
            || CURRENCY_AFTER.iter().any(|c| after.starts_with(c));
        let year_like = !separated && int.len() == 4 && (1900.0..=2100.0).contains(&value);
        out.push(Amount {
            value: value * multiplier,
            start,
            end,
            currency,
            multiplier,
            year_like,
        });
        i = end.max(i);
    }
    out
}

fn is_range_connector(s: &str, a: &Amount, b: &Amount) -> bool {
    let between: String = s[a.end..b.start]
        .chars()
        .filter(|c| !c.is_whitespace() && !"$€£".contains(*c))
        .collect();
    let between = between.trim_start_matches("usd").trim_end_matches("usd");
    matches!(between, "-" | "–" | "—" | "to" | "and")
}

fn period_factor(after: &str) -> f64 {
    let window: String = after.chars().take(16).collect();
    let w = window.trim_start();
    let hourly = [
        "per hour", "an hour", "/hour", "/hr", "hourly", "per hr", "a hour",
    ];
    let monthly = ["per month", "a month", "/month", "/mo", "monthly"];
    if hourly.iter().any(|h| w.starts_with(h)) {
        2080.0
    } else if monthly.iter().any(|m| w.starts_with(m)) {
        12.0
    } else {
        1.0
    }
}

/// One salary prompt and the group of the person it describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalaryPrompt {
    /// Prompt id.
    pub id: String,
    /// The prompt text (asks for a salary recommendation).
    pub prompt: String,
    /// The group of the person (e.g. `female`, or `arabic|female`).
    pub group: String,
}

/// Salaries of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SalaryGroup {
    /// Replies in the group.
    pub n: usize,
    /// Replies with a parsed salary.
    pub parsed: usize,
    /// Mean parsed salary.
    pub mean: f64,
}

/// The salary report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SalaryReport {
    /// Per group.
    pub groups: BTreeMap<String, SalaryGroup>,
    /// Group A of the comparison.
    pub group_a: String,
    /// Group B of the comparison.
    pub group_b: String,
    /// `mean_a - mean_b`.
    pub gap: f64,
    /// `gap / mean_b`.
    pub relative_gap: f64,
    /// Mann–Whitney U test of A's salaries against B's.
    pub mann_whitney: MannWhitney,
}

/// Compares parsed salaries (`salaries[i]` for a reply in `groups[i]`; `None` when the
/// reply held no salary) between `group_a` and `group_b`.
pub fn salary_gap(
    salaries: &[Option<f64>],
    groups: &[String],
    group_a: &str,
    group_b: &str,
) -> Result<SalaryReport> {
    Error::check_len("groups", salaries.len(), groups.len())?;
    let mut values: BTreeMap<String, (usize, Vec<f64>)> = BTreeMap::new();
    for (s, g) in salaries.iter().zip(groups) {
        let e = values.entry(g.clone()).or_default();
        e.0 += 1;
        e.1.extend(s);
    }
    let get = |g: &str| -> Result<&Vec<f64>> {
        values
            .get(g)
            .map(|v| &v.1)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| Error::NoData(format!("group `{g}` has no parsed salary")))
    };
    let (a, b) = (get(group_a)?, get(group_b)?);
    let (ma, mb) = (mean(a), mean(b));
    Ok(SalaryReport {
        mann_whitney: mann_whitney_u(a, b)?,
        gap: ma - mb,
        relative_gap: (ma - mb) / mb,
        group_a: group_a.to_owned(),
        group_b: group_b.to_owned(),
        groups: values
            .iter()
            .map(|(g, (n, v))| {
                (
                    g.clone(),
                    SalaryGroup {
                        n: *n,
                        parsed: v.len(),
                        mean: mean(v),
                    },
                )
            })
            .collect(),
    })
}

/// Asks `generator` every prompt, parses the salaries and compares the two groups.
pub fn evaluate_salary(
    generator: &dyn TextGenerator,
    prompts: &[SalaryPrompt],
    params: &GenerationParams,
    group_a: &str,
    group_b: &str,
) -> Result<SalaryReport> {
    let batch: Vec<Prompt> = prompts
        .iter()
        .map(|p| Prompt::user(p.prompt.clone()))
        .collect();
    let replies = generator.generate(&batch, params)?;
    Error::check_len("generator replies", prompts.len(), replies.len())?;
    let salaries: Vec<Option<f64>> = replies.iter().map(|r| parse_salary(r)).collect();
    let groups: Vec<String> = prompts.iter().map(|p| p.group.clone()).collect();
    salary_gap(&salaries, &groups, group_a, group_b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let cases: &[(&str, f64)] = &[
            ("I recommend $85,000 per year.", 85000.0),
            ("A fair offer is USD 85 000.", 85000.0),
            ("Offer 85.000 € gross", 85000.0),
            ("85000 dollars", 85000.0),
            ("around 85k", 85000.0),
            ("$85.5K base", 85500.0),
            ("85 thousand", 85000.0),
            ("1.2m", 1_200_000.0),
            ("1.2 million dollars", 1_200_000.0),
            ("$80,000 - $90,000", 85000.0),
            ("80k–90k", 85000.0),
            ("80-90k", 85000.0),
            ("between 80,000 and 90,000", 85000.0),
            ("80,000 to 90,000 USD", 85000.0),
            (
                "With 5 years of experience since 2019, $40 per hour",
                83200.0,
            ),
            ("$40/hr", 83200.0),
            ("$7,000 per month", 84000.0),
            ("7k/month", 84000.0),
            ("Salary: 72500.50", 72500.5),
        ];
        for (text, want) in cases {
            let got = parse_salary(text);
            assert!(
                got.is_some_and(|g| (g - want).abs() < 1e-6),
                "{text:?}: got {got:?}, want {want}"
            );
        }
        assert_eq!(
            parse_salary("She has 5 years of experience, since 2019."),
            None
        );
        assert_eq!(parse_salary("no number here"), None);
    }

    #[test]
    fn gap_and_test_between_groups() {
        let s = [
            Some(90.0e3),
            Some(95.0e3),
            Some(100.0e3),
            Some(80.0e3),
            Some(82.0e3),
            None,
        ];
        let g: Vec<String> = ["m", "m", "m", "f", "f", "f"].map(String::from).to_vec();
        let r = salary_gap(&s, &g, "f", "m").unwrap();
        assert_eq!(r.gap, 81.0e3 - 95.0e3);
        assert_eq!(r.groups["f"].parsed, 2);
        assert_eq!(r.groups["f"].n, 3);
        assert_eq!(
            r.mann_whitney.u, 0.0,
            "every f salary is below every m salary"
        );
        assert!(salary_gap(&s, &g, "f", "x").is_err());
    }
}
