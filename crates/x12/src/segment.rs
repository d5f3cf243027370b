//! Delimiters and segments.

use crate::X12Error;

/// The four delimiters an interchange declares in its ISA header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delimiters {
    /// Between elements: ISA's fourth byte.
    pub element: char,
    /// Between repeated elements: ISA11.
    pub repetition: char,
    /// Between a composite's components: ISA16.
    pub component: char,
    /// After each segment: the byte after ISA16.
    pub segment: char,
}

/// The fixed length of an ISA segment, without its terminator.
const ISA_LENGTH: usize = 105;

impl Delimiters {
    /// Reads the delimiters from the ISA header at the start of `text`.
    pub fn from_isa(text: &str) -> Result<Delimiters, X12Error> {
        let start = text.trim_start_matches(['\u{feff}', ' ', '\r', '\n', '\t']);
        let isa_error = |message: String| X12Error::new(1, "ISA", message);
        if !start.starts_with("ISA") {
            return Err(isa_error("an X12 interchange starts with an ISA segment".to_owned()));
        }
        let chars: Vec<char> = start.chars().take(ISA_LENGTH + 1).collect();
        if chars.len() <= ISA_LENGTH {
            return Err(isa_error(format!(
                "the ISA segment is {ISA_LENGTH} characters and a terminator; the file is shorter"
            )));
        }
        let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
        let element = at(3);
        // ISA11 and ISA16 sit at fixed positions: every ISA element is fixed width.
        let delimiters = Delimiters { element, repetition: at(82), component: at(104), segment: at(105) };
        let separators = chars.iter().filter(|c| **c == element).count();
        if separators != 16 {
            return Err(isa_error(format!(
                "the ISA segment must hold 16 `{element}` element separators at fixed positions, found {separators}"
            )));
        }
        if delimiters.segment.is_alphanumeric() || delimiters.segment == element {
            return Err(isa_error(format!("`{}` after ISA16 cannot be a segment terminator", delimiters.segment)));
        }
        // A separator that is also a data character, or two that are the same,
        // would make the file read one way and write another. Many 5010 files
        // still carry 4010's `U` in ISA11; a letter there declares no
        // repetition separator, which an 837P claim never needs.
        let mut named = vec![
            ("element separator (ISA's fourth character)", element),
            ("component separator (ISA16)", delimiters.component),
            ("segment terminator", delimiters.segment),
        ];
        if !delimiters.repetition.is_alphanumeric() {
            named.push(("repetition separator (ISA11)", delimiters.repetition));
        }
        for (index, (name, c)) in named.iter().enumerate() {
            if c.is_alphanumeric() || *c == ' ' {
                return Err(isa_error(format!("the {name} is `{c}`, a character data can contain")));
            }
            if let Some((other, _)) = named.iter().take(index).find(|(_, d)| d == c) {
                return Err(isa_error(format!("the {name} is `{c}`, the same as the {other}")));
            }
        }
        Ok(delimiters)
    }
}

/// One segment: its id and where it stands in the file. Elements are split
/// from the raw text when asked for, so a large file costs no allocation per
/// segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// 1-based position in the file.
    pub position: usize,
    /// The segment id, e.g. `CLM`.
    pub id: &'a str,
    /// The segment as written, without its terminator.
    pub raw: &'a str,
    /// The delimiters its own interchange's ISA declares.
    pub delimiters: Delimiters,
}

impl<'a> Segment<'a> {
    /// Elements 1.., as written (composites not yet split).
    pub fn elements(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.raw.split(self.delimiters.element).skip(1)
    }

    /// Element `n` (1-based), or `""` when absent.
    pub fn element(&self, n: usize) -> &'a str {
        if n == 0 {
            return "";
        }
        self.raw.split(self.delimiters.element).nth(n).unwrap_or("")
    }

    /// Component `c` (1-based) of element `n`, split on the declared
    /// component separator; `""` when absent.
    pub fn component(&self, n: usize, c: usize, delimiters: &Delimiters) -> &'a str {
        c.checked_sub(1).and_then(|i| self.element(n).split(delimiters.component).nth(i)).unwrap_or("")
    }

    /// The components of element `n`.
    pub fn components(&self, n: usize, delimiters: &Delimiters) -> impl Iterator<Item = &'a str> + use<'a> {
        let element = self.element(n);
        let component = delimiters.component;
        element.split(component).filter(move |_| !element.is_empty())
    }
}

/// Splits `text` into segments with `delimiters`; line breaks around
/// terminators are ignored, as many files wrap after each segment.
pub fn segments<'a>(text: &'a str, delimiters: &Delimiters) -> Vec<Segment<'a>> {
    let mut all = Vec::new();
    split_into(text, *delimiters, &mut all, false);
    all
}

/// Splits a whole file into segments, reading each interchange with the
/// delimiters its own ISA declares: files that concatenate interchanges
/// from several senders need not share one set. An ISA that cannot be read
/// leaves the previous interchange's delimiters in force, and the envelope
/// reader reports what follows.
pub fn interchange_segments(text: &str, first: Delimiters) -> Vec<Segment<'_>> {
    let mut all = Vec::new();
    let mut rest = text;
    let mut delimiters = first;
    loop {
        let consumed = split_into(rest, delimiters, &mut all, true);
        let Some(next) = rest.get(consumed..).filter(|r| !r.trim().is_empty()) else { break };
        if let Ok(own) = Delimiters::from_isa(next) {
            delimiters = own;
        }
        rest = next;
    }
    all
}

/// Adds the segments of `text` to `all`, numbering on from the last one.
/// With `stop_after_iea`, stops after an IEA that is followed by another
/// ISA, and returns how many bytes it read; otherwise reads it all.
fn split_into<'a>(text: &'a str, delimiters: Delimiters, all: &mut Vec<Segment<'a>>, stop_after_iea: bool) -> usize {
    let mut offset = 0;
    for piece in text.split_inclusive(delimiters.segment) {
        offset += piece.len();
        let raw = piece.strip_suffix(delimiters.segment).unwrap_or(piece).trim_matches(['\r', '\n', ' ', '\u{feff}']);
        if raw.is_empty() {
            continue;
        }
        let id = raw.split(delimiters.element).next().unwrap_or("");
        all.push(Segment { position: all.len() + 1, id, raw, delimiters });
        if stop_after_iea
            && id == "IEA"
            && text
                .get(offset..)
                .is_some_and(|rest| rest.trim_start_matches(['\r', '\n', ' ', '\t']).starts_with("ISA"))
        {
            return offset;
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &str =
        "ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *250310*1200*^*00501*000000001*0*T*:~";

    #[test]
    fn reads_delimiters_from_the_header() {
        let d = Delimiters::from_isa(ISA).unwrap();
        assert_eq!((d.element, d.repetition, d.component, d.segment), ('*', '^', ':', '~'));
        let other = ISA.replace('*', "|").replace('~', "\n");
        let d = Delimiters::from_isa(&other).unwrap();
        assert_eq!((d.element, d.segment), ('|', '\n'));
    }

    #[test]
    fn refuses_separators_that_collide_or_are_data() {
        let same = ISA.replacen(":~", "*~", 1);
        let error = Delimiters::from_isa(&same).unwrap_err().message;
        assert!(error.contains("must hold 16"), "{error}");
        let component_is_terminator = ISA.replacen("*:~", "*~~", 1);
        let error = Delimiters::from_isa(&component_is_terminator).unwrap_err().message;
        assert_eq!(error, "the segment terminator is `~`, the same as the component separator (ISA16)");
        let letter = ISA.replacen("*:~", "*A~", 1);
        let error = Delimiters::from_isa(&letter).unwrap_err().message;
        assert_eq!(error, "the component separator (ISA16) is `A`, a character data can contain");
        let repetition_is_component = ISA.replacen("*^*", "*:*", 1);
        let error = Delimiters::from_isa(&repetition_is_component).unwrap_err().message;
        assert_eq!(error, "the repetition separator (ISA11) is `:`, the same as the component separator (ISA16)");
        // 4010's `U` in ISA11 declares no repetition separator, as many 5010 files still do.
        assert!(Delimiters::from_isa(&ISA.replacen("*^*", "*U*", 1)).is_ok());
    }

    #[test]
    fn refuses_a_short_or_missing_header() {
        assert!(Delimiters::from_isa("GS*HC~").unwrap_err().message.contains("starts with an ISA"));
        assert!(Delimiters::from_isa("ISA*00*~").unwrap_err().message.contains("shorter"));
    }

    #[test]
    fn splits_segments_and_numbers_them() {
        let text = format!("{ISA}\nGS*HC*A*B*20250310*1200*1*X*005010X222A1~\nST*837*0001~");
        let d = Delimiters::from_isa(&text).unwrap();
        let all = segments(&text, &d);
        assert_eq!(all.len(), 3);
        assert_eq!((all[1].position, all[1].id, all[1].element(8)), (2, "GS", "005010X222A1"));
        assert_eq!(all[2].element(9), "");
    }
}
