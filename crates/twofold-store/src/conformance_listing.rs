//! A case of the conformance suite runs only if `conformance_cases!` names
//! it, and a case left out fails nothing: this guard fails instead.

use std::collections::BTreeSet;

/// Every file of the suite: a new one goes here too (a file missing from
/// this list would hide its cases from the guard, so `mod.rs`'s `mod`
/// lines are checked against it below).
const SUITE: &[(&str, &str)] = &[
    ("mod", include_str!("conformance/mod.rs")),
    (
        "access_tokens",
        include_str!("conformance/access_tokens.rs"),
    ),
    ("accounts", include_str!("conformance/accounts.rs")),
    ("applications", include_str!("conformance/applications.rs")),
    ("audit", include_str!("conformance/audit.rs")),
    ("challenges", include_str!("conformance/challenges.rs")),
    ("maintenance", include_str!("conformance/maintenance.rs")),
    (
        "mfa_deadlines",
        include_str!("conformance/mfa_deadlines.rs"),
    ),
    ("passkeys", include_str!("conformance/passkeys.rs")),
    (
        "password_links",
        include_str!("conformance/password_links.rs"),
    ),
    ("sessions", include_str!("conformance/sessions.rs")),
    ("throttle", include_str!("conformance/throttle.rs")),
    ("totp", include_str!("conformance/totp.rs")),
];

fn suite_names(prefix: &str, end: &str) -> BTreeSet<&'static str> {
    SUITE
        .iter()
        .flat_map(|(_, text)| names_between(text, prefix, end))
        .collect()
}

/// The names `pub async fn NAME(` defines: every case.
fn defined_cases() -> BTreeSet<&'static str> {
    suite_names("pub async fn ", "(")
}

/// The names `$run!(NAME);` lists in `conformance_cases!`.
fn listed_cases() -> BTreeSet<&'static str> {
    suite_names("$run!(", ")")
}

fn names_between(text: &'static str, prefix: &str, end: &str) -> BTreeSet<&'static str> {
    text.lines()
        .filter_map(|line| line.trim_start().strip_prefix(prefix))
        .filter_map(|rest| rest.split_once(end).map(|(name, _)| name))
        .collect()
}

#[test]
fn every_file_of_the_suite_is_read_by_this_guard() {
    let declared = names_between(SUITE[0].1, "mod ", ";");
    let read: BTreeSet<&str> = SUITE[1..].iter().map(|(name, _)| *name).collect();
    assert_eq!(declared, read, "list every conformance/*.rs file in SUITE");
}

#[test]
fn every_conformance_case_is_listed_and_every_listed_case_exists() {
    let defined = defined_cases();
    let listed = listed_cases();
    assert!(
        !defined.is_empty(),
        "no case found: did the suite's shape change?"
    );
    let unlisted: Vec<_> = defined.difference(&listed).collect();
    let unknown: Vec<_> = listed.difference(&defined).collect();
    assert!(
        unlisted.is_empty() && unknown.is_empty(),
        "add to conformance_cases!: {unlisted:?}; listed but not defined: {unknown:?}"
    );
}
