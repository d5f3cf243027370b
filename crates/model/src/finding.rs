//! Findings: what a payer's policy says about a claim, each with its fix.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth knowing; nothing to fix.
    Info,
    /// Likely to cost money or draw review; fix before sending.
    Warning,
    /// The payer would deny or the claim is wrong as billed.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// The X12 claim adjustment group code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AdjustmentGroup {
    /// Contractual obligation: the provider absorbs it.
    #[serde(rename = "CO")]
    Co,
    /// Patient responsibility.
    #[serde(rename = "PR")]
    Pr,
    /// Other adjustment.
    #[serde(rename = "OA")]
    Oa,
    /// Payer-initiated reduction.
    #[serde(rename = "PI")]
    Pi,
}

impl AdjustmentGroup {
    /// The two-letter code.
    pub fn code(self) -> &'static str {
        match self {
            AdjustmentGroup::Co => "CO",
            AdjustmentGroup::Pr => "PR",
            AdjustmentGroup::Oa => "OA",
            AdjustmentGroup::Pi => "PI",
        }
    }

    /// Reads `CO`, `PR`, `OA` or `PI`.
    pub fn parse(text: &str) -> Option<AdjustmentGroup> {
        match text {
            "CO" => Some(AdjustmentGroup::Co),
            "PR" => Some(AdjustmentGroup::Pr),
            "OA" => Some(AdjustmentGroup::Oa),
            "PI" => Some(AdjustmentGroup::Pi),
            _ => None,
        }
    }
}

/// How the payer would report a denial or reduction on the remittance (835).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Denial {
    /// Adjustment group.
    pub group: AdjustmentGroup,
    /// Claim adjustment reason code, e.g. `151`.
    pub carc: String,
    /// Remittance advice remark codes, e.g. `N362`.
    #[serde(default)]
    pub rarc: Vec<String>,
}

impl Denial {
    /// A denial from its group, CARC and remark codes.
    pub fn new(group: AdjustmentGroup, carc: &str, rarc: &[&str]) -> Denial {
        Denial { group, carc: carc.to_owned(), rarc: rarc.iter().map(|r| (*r).to_owned()).collect() }
    }

    /// Reads `CO-151 N362`: a group and a reason code, then any remark codes.
    pub fn parse(text: &str) -> Option<Denial> {
        let mut words = text.split_whitespace();
        let (group, carc) = words.next()?.split_once('-')?;
        let group = AdjustmentGroup::parse(group)?;
        let well_formed =
            |code: &str| !code.is_empty() && code.len() <= 5 && code.bytes().all(|b| b.is_ascii_alphanumeric());
        let rarc: Vec<String> = words.map(str::to_owned).collect();
        (well_formed(carc) && rarc.iter().all(|r| well_formed(r))).then(|| Denial {
            group,
            carc: carc.to_owned(),
            rarc,
        })
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.group.code(), self.carc)?;
        for rarc in &self.rarc {
            write!(f, " {rarc}")?;
        }
        Ok(())
    }
}

/// One change to a service line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "action", content = "value")]
pub enum FixAction {
    /// Bill this many units.
    SetUnits(u32),
    /// Add the modifier.
    AddModifier(String),
    /// Remove the modifier.
    RemoveModifier(String),
    /// Remove the line from the claim.
    RemoveLine,
    /// Bill this code instead.
    ReplaceCode(String),
    /// Add a line beside this one, e.g. an assistant's share of the code's units.
    AddLine(AddedLine),
}

/// A line a fix adds to the claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddedLine {
    /// The code.
    pub procedure: String,
    /// Its modifiers.
    pub modifiers: Vec<String>,
    /// Its units.
    pub units: u32,
}

/// Whether a fix may be applied without a person checking the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Follows from the claim alone.
    Automatic,
    /// Needs the clinical record, e.g. that time blocks were separate.
    NeedsReview,
}

/// A concrete correction to one service line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fix {
    /// The line to change.
    pub line: u32,
    /// What to change.
    #[serde(flatten)]
    pub action: FixAction,
    /// Whether it can be applied as it is.
    pub applicability: Applicability,
}

impl fmt::Display for Fix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.line;
        match &self.action {
            FixAction::SetUnits(units) => {
                write!(f, "set line {line} to {units} unit{}", if *units == 1 { "" } else { "s" })
            }
            FixAction::AddModifier(m) => write!(f, "add modifier {m} to line {line}"),
            FixAction::RemoveModifier(m) => write!(f, "remove modifier {m} from line {line}"),
            FixAction::RemoveLine => write!(f, "remove line {line}"),
            FixAction::ReplaceCode(code) => write!(f, "bill line {line} as {code}"),
            FixAction::AddLine(added) => write!(
                f,
                "add a line beside line {line}: {} {} x{}",
                added.procedure,
                added.modifiers.join(" "),
                added.units
            ),
        }?;
        if self.applicability == Applicability::NeedsReview {
            f.write_str(" (check the record first)")?;
        }
        Ok(())
    }
}

/// A named fact behind a finding, e.g. `total timed minutes` = `40`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fact {
    /// What the value is.
    pub label: String,
    /// The value, as text.
    pub value: String,
}

/// One result of a rule: a deny, a warning or a note, with its fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Stable rule identifier, e.g. `MCR-UNITS-OVER`.
    pub rule_id: String,
    /// How serious it is.
    pub severity: Severity,
    /// The line it concerns; `None` for the whole claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// What is wrong, in billing terms.
    pub message: String,
    /// The facts that support it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Fact>,
    /// How the payer would report it, where it would deny or reduce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denial: Option<Denial>,
    /// Applied together, these resolve the finding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
    /// The policy source.
    pub citation: String,
}

impl Finding {
    /// A finding with no evidence, denial or fix yet.
    pub fn new(
        rule_id: &str,
        severity: Severity,
        line: Option<u32>,
        message: impl Into<String>,
        citation: &str,
    ) -> Finding {
        Finding {
            rule_id: rule_id.to_owned(),
            severity,
            line,
            message: message.into(),
            evidence: Vec::new(),
            denial: None,
            fixes: Vec::new(),
            citation: citation.to_owned(),
        }
    }

    /// Adds a supporting fact.
    pub fn with_fact(mut self, label: &str, value: impl fmt::Display) -> Finding {
        self.evidence.push(Fact { label: label.to_owned(), value: value.to_string() });
        self
    }

    /// Sets the denial the payer would report.
    pub fn with_denial(mut self, denial: Option<Denial>) -> Finding {
        self.denial = denial;
        self
    }

    /// Adds a fix.
    pub fn with_fix(mut self, line: u32, action: FixAction, applicability: Applicability) -> Finding {
        self.fixes.push(Fix { line, action, applicability });
        self
    }
}
