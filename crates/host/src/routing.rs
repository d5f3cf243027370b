//! Which payer entry of a rule set serves a claim: by payer id, then by each
//! line's date of service.

use payrules_model::{Claim, Finding, Severity};

use crate::runtime::RuleSet;

/// Rule id when no entry serves the claim's payer id.
pub const NO_PAYER: &str = "ROUTE-NO-PAYER";
/// Rule id when the payer has no entry in effect on a line's date.
pub const NO_POLICY_ON_DATE: &str = "ROUTE-NO-POLICY-ON-DATE";
/// Rule id when the lines fall under different entries.
pub const SPLIT_CLAIM: &str = "ROUTE-SPLIT-CLAIM";

/// The index of the entry that serves every line of `claim`, or the finding
/// that says why none does.
///
/// A claim whose lines fall in the ranges of two entries of one payer (say,
/// across a new year's policy) is not split silently: it gets a finding that
/// asks for one claim per policy period.
pub fn route(rule_set: &RuleSet, claim: &Claim) -> Result<usize, Box<Finding>> {
    let citation = || format!("rule set `{}@{}`", rule_set.name, rule_set.version);
    let payer_id = &claim.payer.id;
    let candidates: Vec<usize> = rule_set
        .entries
        .iter()
        .enumerate()
        .filter(|(_, entry)| entry.payer_ids.iter().any(|id| id == payer_id))
        .map(|(index, _)| index)
        .collect();
    if candidates.is_empty() {
        let known: Vec<&str> = rule_set.entries.iter().flat_map(|e| e.payer_ids.iter().map(String::as_str)).collect();
        return Err(Box::new(
            Finding::new(
                NO_PAYER,
                Severity::Error,
                None,
                format!("no payer policy in the rule set serves payer id `{payer_id}`"),
                &citation(),
            )
            .with_fact("payer id", payer_id)
            .with_fact("payer ids the rule set serves", known.join(", ")),
        ));
    }
    let mut chosen: Option<(usize, u32)> = None;
    for line in &claim.lines {
        let date = line.date_of_service;
        let Some(index) = candidates.iter().copied().find(|i| rule_set.entries.get(*i).is_some_and(|e| e.covers(date)))
        else {
            return Err(Box::new(
                Finding::new(
                    NO_POLICY_ON_DATE,
                    Severity::Error,
                    Some(line.number),
                    format!("payer `{payer_id}` has no policy in effect on {date} in this rule set"),
                    &citation(),
                )
                .with_fact("date of service", date)
                .with_fact("policy periods", periods(rule_set, &candidates)),
            ));
        };
        match chosen {
            None => chosen = Some((index, line.number)),
            Some((first, first_line)) if first != index => {
                let name = |i: usize| rule_set.entries.get(i).map_or("?", |e| e.name.as_str()).to_owned();
                return Err(Box::new(Finding::new(
                    SPLIT_CLAIM,
                    Severity::Error,
                    Some(line.number),
                    format!(
                        "line {first_line} falls under policy `{}` but line {} falls under `{}`; send one claim per policy period",
                        name(first),
                        line.number,
                        name(index)
                    ),
                    &citation(),
                )
                .with_fact("policy periods", periods(rule_set, &candidates))));
            }
            Some(_) => {}
        }
    }
    chosen.map(|(index, _)| index).ok_or_else(|| {
        Box::new(Finding::new(
            NO_POLICY_ON_DATE,
            Severity::Error,
            None,
            "the claim has no service lines to route",
            &citation(),
        ))
    })
}

fn periods(rule_set: &RuleSet, candidates: &[usize]) -> String {
    candidates
        .iter()
        .filter_map(|i| rule_set.entries.get(*i))
        .map(|e| {
            let to = e.effective_to.map_or_else(|| "onwards".to_owned(), |d| format!("to {d}"));
            format!("{} from {} {to}", e.name, e.effective_from)
        })
        .collect::<Vec<_>>()
        .join("; ")
}
