//! Procedure codes, modifiers, diagnoses, and what payrules knows about each therapy code.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// A CPT/HCPCS code is five characters: digits, or a letter and four digits.
    #[error("`{0}` is not a CPT or HCPCS code (five characters, e.g. `97110` or `G0283`)")]
    Procedure(String),
    /// A modifier is two letters or digits.
    #[error("`{0}` is not a modifier (two letters or digits, e.g. `GP`)")]
    Modifier(String),
    /// An ICD-10-CM code is a letter, two characters, and up to four more after an optional dot.
    #[error("`{0}` is not an ICD-10-CM code (e.g. `M62.81`)")]
    Diagnosis(String),
}

macro_rules! code_newtype {
    ($(#[$doc:meta])* $name:ident, $check:expr, $error:path) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Reads a code, upper-casing it; refuses text of the wrong shape.
            pub fn parse(text: &str) -> Result<Self, CodeError> {
                let upper = text.trim().to_ascii_uppercase();
                let check: fn(&str) -> bool = $check;
                if check(&upper) { Ok($name(upper)) } else { Err($error(text.to_owned())) }
            }

            /// The code as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = CodeError;
            fn try_from(text: String) -> Result<Self, CodeError> {
                $name::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(code: $name) -> String {
                code.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

code_newtype!(
    /// A CPT or HCPCS Level II procedure code, e.g. `97110` or `G0283`.
    ProcedureCode,
    |s| {
        let b = s.as_bytes();
        b.len() == 5 && b.iter().skip(1).all(u8::is_ascii_digit) && b.first().is_some_and(u8::is_ascii_alphanumeric)
    },
    CodeError::Procedure
);

code_newtype!(
    /// A two-character procedure modifier, e.g. `GP`, `59`, `CQ`.
    Modifier,
    |s| s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphanumeric()),
    CodeError::Modifier
);

code_newtype!(
    /// An ICD-10-CM diagnosis code, with or without its dot.
    Diagnosis,
    |s| {
        let compact: Vec<u8> = s.bytes().filter(|b| *b != b'.').collect();
        (3..=7).contains(&compact.len())
            && compact.first().is_some_and(u8::is_ascii_uppercase)
            && compact.iter().all(u8::is_ascii_alphanumeric)
            && s.bytes().filter(|b| *b == b'.').count() <= 1
    },
    CodeError::Diagnosis
);

/// A short ASCII code (a procedure code, a modifier) as its bytes in a
/// number, first character in the most significant byte used; `None` for
/// text longer than eight bytes or not ASCII. This is how contract 0.4.0
/// sends codes across the plugin boundary, without a string each.
pub fn pack_ascii(text: &str) -> Option<u64> {
    if text.len() > 8 || !text.is_ascii() {
        return None;
    }
    Some(text.bytes().fold(0u64, |packed, byte| (packed << 8) | u64::from(byte)))
}

/// The text of a number made by [`pack_ascii`]; `None` if a byte is not
/// printable ASCII or the number has a gap of zero bytes.
pub fn unpack_ascii(packed: u64) -> Option<String> {
    let bytes: Vec<u8> = packed.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
    bytes.iter().all(u8::is_ascii_graphic).then(|| bytes.into_iter().map(char::from).collect())
}

impl ProcedureCode {
    /// The code packed for contract 0.4.0 (see [`pack_ascii`]).
    pub fn packed(&self) -> u64 {
        // A parsed code is five ASCII characters, so it always packs.
        pack_ascii(&self.0).unwrap_or(0)
    }

    /// Reads a packed code, refusing a number that is not a valid code.
    pub fn from_packed(packed: u64) -> Result<ProcedureCode, CodeError> {
        let text = unpack_ascii(packed).ok_or_else(|| CodeError::Procedure(format!("{packed:#x}")))?;
        ProcedureCode::parse(&text)
    }
}

impl Modifier {
    /// The modifier packed for contract 0.4.0: its two ASCII bytes, first high.
    pub fn packed(&self) -> u16 {
        self.0.bytes().fold(0u16, |packed, byte| (packed << 8) | u16::from(byte))
    }

    /// Reads a packed modifier, refusing a number that is not a valid modifier.
    pub fn from_packed(packed: u16) -> Result<Modifier, CodeError> {
        let text = unpack_ascii(u64::from(packed)).ok_or_else(|| CodeError::Modifier(format!("{packed:#x}")))?;
        Modifier::parse(&text)
    }
}

/// How a code is counted into units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnitBasis {
    /// A 15-minute timed code: units come from direct treatment minutes.
    Timed15,
    /// A service-based (untimed) code: one unit per day, whatever the time.
    ServiceBased,
}

/// The therapy discipline a modifier or plan of care belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Discipline {
    /// Physical therapy (modifier GP).
    Physical,
    /// Occupational therapy (modifier GO).
    Occupational,
    /// Speech-language pathology (modifier GN).
    SpeechLanguage,
}

impl Discipline {
    /// The discipline a GP, GO or GN modifier names.
    pub fn from_modifier(modifier: &Modifier) -> Option<Discipline> {
        match modifier.as_str() {
            "GP" => Some(Discipline::Physical),
            "GO" => Some(Discipline::Occupational),
            "GN" => Some(Discipline::SpeechLanguage),
            _ => None,
        }
    }

    /// The modifier that marks a service as furnished under this discipline's plan of care.
    pub fn modifier(self) -> &'static str {
        match self {
            Discipline::Physical => "GP",
            Discipline::Occupational => "GO",
            Discipline::SpeechLanguage => "GN",
        }
    }
}

/// What payrules knows about one therapy procedure code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeInfo {
    /// The code.
    pub code: &'static str,
    /// A short description in our own words.
    pub description: &'static str,
    /// How minutes become units.
    pub basis: UnitBasis,
    /// On CMS's list of "always therapy" codes: billed only under a therapy plan of care.
    pub always_therapy: bool,
}

const fn timed(code: &'static str, description: &'static str) -> CodeInfo {
    CodeInfo { code, description, basis: UnitBasis::Timed15, always_therapy: true }
}

const fn untimed(code: &'static str, description: &'static str) -> CodeInfo {
    CodeInfo { code, description, basis: UnitBasis::ServiceBased, always_therapy: true }
}

/// The therapy codes payrules knows, sorted by code.
///
/// Sources: CMS 100-04 ch.5 20.2 (timed vs service-based), WebPT 8-minute rule
/// page, and CMS's annual therapy code list for "always therapy".
pub const THERAPY_CODES: &[CodeInfo] = &[
    untimed("97010", "hot or cold packs"),
    untimed("97012", "mechanical traction"),
    untimed("97014", "unattended electrical stimulation (not Medicare)"),
    timed("97032", "attended electrical stimulation"),
    timed("97033", "iontophoresis"),
    timed("97035", "ultrasound"),
    timed("97036", "Hubbard tank"),
    timed("97110", "therapeutic exercise"),
    timed("97112", "neuromuscular re-education"),
    timed("97113", "aquatic therapy with exercise"),
    timed("97116", "gait training"),
    timed("97140", "manual therapy"),
    untimed("97150", "group therapeutic procedures"),
    untimed("97161", "PT evaluation, low complexity"),
    untimed("97162", "PT evaluation, moderate complexity"),
    untimed("97163", "PT evaluation, high complexity"),
    untimed("97164", "PT re-evaluation"),
    untimed("97165", "OT evaluation, low complexity"),
    untimed("97166", "OT evaluation, moderate complexity"),
    untimed("97167", "OT evaluation, high complexity"),
    untimed("97168", "OT re-evaluation"),
    timed("97530", "therapeutic activities"),
    timed("97535", "self-care and home management training"),
    timed("97542", "wheelchair management"),
    timed("97750", "physical performance test"),
    timed("97760", "orthotic management and training"),
    timed("97763", "orthotic or prosthetic management, subsequent"),
    untimed("G0283", "unattended electrical stimulation"),
];

/// What payrules knows about `code`, if it is a therapy code it knows.
pub fn code_info(code: &ProcedureCode) -> Option<&'static CodeInfo> {
    THERAPY_CODES.binary_search_by(|info| info.code.cmp(code.as_str())).ok().and_then(|index| THERAPY_CODES.get(index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_modifiers_pack_and_unpack_losslessly() {
        for text in ["97110", "G0283", "0001U"] {
            assert_eq!(pack_ascii(text).and_then(unpack_ascii).as_deref(), Some(text));
        }
        assert_eq!(pack_ascii("97110"), Some(0x39_37_31_31_30));
        let code = ProcedureCode::parse("97530").unwrap();
        assert_eq!(ProcedureCode::from_packed(code.packed()), Ok(code));
        let gp = Modifier::parse("GP").unwrap();
        assert_eq!(gp.packed(), 0x4750);
        assert_eq!(Modifier::from_packed(0x4750), Ok(gp));
        // Numbers that are not codes are refused, not read as something else.
        assert!(ProcedureCode::from_packed(0).is_err());
        assert!(ProcedureCode::from_packed(0x39_00_31_31_30).is_err());
        assert!(Modifier::from_packed(0x0A50).is_err());
        assert_eq!(pack_ascii("TOO-LONG-CODE"), None);
    }

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(THERAPY_CODES.windows(2).all(|w| w[0].code < w[1].code));
    }

    #[test]
    fn knows_timed_and_service_based_codes() {
        let code = |c: &str| code_info(&ProcedureCode::parse(c).unwrap()).unwrap();
        assert_eq!(code("97110").basis, UnitBasis::Timed15);
        assert_eq!(code("97035").basis, UnitBasis::Timed15);
        assert_eq!(code("G0283").basis, UnitBasis::ServiceBased);
        assert_eq!(code("97163").basis, UnitBasis::ServiceBased);
        assert!(code("97150").always_therapy);
        assert!(code_info(&ProcedureCode::parse("99213").unwrap()).is_none());
    }

    #[test]
    fn validates_code_shapes() {
        assert!(ProcedureCode::parse("g0283").is_ok());
        assert!(ProcedureCode::parse("9711").is_err());
        assert!(ProcedureCode::parse("97-10").is_err());
        assert!(Modifier::parse("gp").unwrap() == "GP");
        assert!(Modifier::parse("GPX").is_err());
        assert!(Diagnosis::parse("M62.81").is_ok());
        assert!(Diagnosis::parse("Z96641").is_ok());
        assert!(Diagnosis::parse("62.81").is_err());
    }
}
