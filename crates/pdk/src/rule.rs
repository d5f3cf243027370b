//! A rule, declared once by the plugin that fires it: its id, title,
//! citation, severity and the denial the payer reports by default. The
//! plugin's description, its findings and its configurable denials all come
//! from the declaration, so a rule's citation cannot differ between the rule
//! list and the findings.

use std::collections::BTreeMap;

use crate::{ConfigError, Denial, Finding, PluginInfo, RuleInfo, Severity};

/// One rule a plugin can fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable across plugin versions, e.g. `MCR-UNITS-OVER`.
    pub id: &'static str,
    /// One line saying what the rule catches.
    pub title: &'static str,
    /// The policy source.
    pub citation: &'static str,
    /// How serious its findings are.
    pub severity: Severity,
    /// The denial the payer reports when the rule denies a line, written
    /// `CO-151 N362`; a rule set may override it under `denials`.
    pub denial: Option<&'static str>,
}

impl Rule {
    /// A rule that denies nothing by default.
    pub const fn new(id: &'static str, severity: Severity, title: &'static str, citation: &'static str) -> Rule {
        Rule { id, title, citation, severity, denial: None }
    }

    /// The same rule, reported with `denial` (`CO-151 N362`) by default.
    pub const fn denies(self, denial: &'static str) -> Rule {
        Rule { denial: Some(denial), ..self }
    }

    /// A finding of this rule, with its severity and citation.
    pub fn finding(&self, line: Option<u32>, message: impl Into<String>) -> Finding {
        Finding::new(self.id, self.severity, line, message, self.citation)
    }

    /// A finding of this rule at another severity than its usual one (units
    /// under-billed are a note where units over-billed are an error).
    pub fn finding_at(&self, severity: Severity, line: Option<u32>, message: impl Into<String>) -> Finding {
        Finding::new(self.id, severity, line, message, self.citation)
    }

    /// The rule as the plugin lists it.
    pub fn info(&self) -> RuleInfo {
        RuleInfo {
            id: self.id.to_owned(),
            title: self.title.to_owned(),
            citation: self.citation.to_owned(),
            severity: Some(self.severity),
            denial: self.denial.map(str::to_owned),
        }
    }
}

/// Builds a [`PluginInfo`] stamped with this PDK's contract version, listing `rules`.
pub fn plugin_info(name: &str, version: &str, rules: &[Rule]) -> PluginInfo {
    PluginInfo {
        name: name.to_owned(),
        version: version.to_owned(),
        contract_version: crate::CONTRACT_VERSION.to_owned(),
        rules: rules.iter().map(Rule::info).collect(),
    }
}

/// The denial each rule reports under one payer configuration: the rules'
/// defaults, with the rule set's `denials` table over them.
#[derive(Clone, Debug, Default)]
pub struct Denials {
    by_rule: BTreeMap<String, Denial>,
}

impl Denials {
    /// The defaults of `rules`, overridden by `overrides` (rule id to
    /// `CO-151 N362`-style text). An unknown rule id or a malformed denial
    /// is refused with the key that is wrong.
    pub fn configure(rules: &[Rule], overrides: &BTreeMap<String, String>) -> Result<Denials, ConfigError> {
        let mut by_rule = BTreeMap::new();
        for rule in rules {
            if let Some(text) = rule.denial {
                let denial = Denial::parse(text).ok_or_else(|| {
                    ConfigError::new(
                        format!("denials.{}", rule.id),
                        format!("the plugin's default `{text}` is not a denial"),
                    )
                })?;
                by_rule.insert(rule.id.to_owned(), denial);
            }
        }
        for (rule_id, text) in overrides {
            let field = format!("denials.{rule_id}");
            if !rules.iter().any(|rule| rule.id == rule_id) {
                return Err(ConfigError::new(field, "no rule of this plugin has that id"));
            }
            let denial = Denial::parse(text)
                .ok_or_else(|| ConfigError::new(field, format!("`{text}` is not a denial like `CO-151 N362`")))?;
            by_rule.insert(rule_id.clone(), denial);
        }
        Ok(Denials { by_rule })
    }

    /// The denial `rule` reports, if it denies.
    pub fn of(&self, rule: &Rule) -> Option<Denial> {
        self.by_rule.get(rule.id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPPED: Rule = Rule::new("T-CAP", Severity::Error, "Over the cap", "manual 1").denies("CO-151 N362");
    const NOTE: Rule = Rule::new("T-NOTE", Severity::Info, "A note", "manual 2");

    #[test]
    fn a_rule_set_overrides_a_default_denial_and_unknown_rules_are_refused() {
        let none = BTreeMap::new();
        let denials = Denials::configure(&[CAPPED, NOTE], &none).unwrap();
        assert_eq!(denials.of(&CAPPED).map(|d| d.to_string()).as_deref(), Some("CO-151 N362"));
        assert_eq!(denials.of(&NOTE), None);
        let overrides = BTreeMap::from([("T-CAP".to_owned(), "CO-35".to_owned())]);
        let denials = Denials::configure(&[CAPPED, NOTE], &overrides).unwrap();
        assert_eq!(denials.of(&CAPPED).map(|d| d.to_string()).as_deref(), Some("CO-35"));
        let unknown = BTreeMap::from([("T-OTHER".to_owned(), "CO-35".to_owned())]);
        assert_eq!(Denials::configure(&[CAPPED], &unknown).unwrap_err().field, "denials.T-OTHER");
        let bad = BTreeMap::from([("T-CAP".to_owned(), "nonsense".to_owned())]);
        assert_eq!(Denials::configure(&[CAPPED], &bad).unwrap_err().field, "denials.T-CAP");
    }

    #[test]
    fn a_finding_carries_the_declared_severity_and_citation() {
        let finding = CAPPED.finding(Some(2), "over");
        assert_eq!((finding.rule_id.as_str(), finding.severity, finding.line), ("T-CAP", Severity::Error, Some(2)));
        assert_eq!(finding.citation, "manual 1");
        assert_eq!(plugin_info("p", "1", &[CAPPED, NOTE]).rules[1].citation, "manual 2");
    }
}
