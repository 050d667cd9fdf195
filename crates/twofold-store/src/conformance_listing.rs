//! A case of the conformance suite runs only if `conformance_cases!` names
//! it, and a case left out fails nothing: this guard fails instead.

use std::collections::BTreeSet;

const SUITE: &str = include_str!("conformance.rs");

/// The names `pub async fn NAME(` defines: every case.
fn defined_cases() -> BTreeSet<&'static str> {
    names_between(SUITE, "pub async fn ", "(")
}

/// The names `$run!(NAME);` lists in `conformance_cases!`.
fn listed_cases() -> BTreeSet<&'static str> {
    names_between(SUITE, "$run!(", ")")
}

fn names_between(text: &'static str, prefix: &str, end: &str) -> BTreeSet<&'static str> {
    text.lines()
        .filter_map(|line| line.trim_start().strip_prefix(prefix))
        .filter_map(|rest| rest.split_once(end).map(|(name, _)| name))
        .collect()
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
