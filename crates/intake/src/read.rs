//! Reading claims from JSON, TOML or X12 837P files, one claim or many per
//! file, with errors that say where: file, line or segment, claim and field.

use std::path::Path;

use payrules_host::locate::{LineCounter, Step, steps, toml_line};
use payrules_model::Claim;
use serde::Deserialize;
use serde_json::value::RawValue;

/// One claim read from an input, or why it could not be read.
#[derive(Debug)]
pub struct ClaimInput {
    /// Where the claim came from: `file:line` and its position in the file.
    pub source: String,
    /// The claim id, when it could be read.
    pub claim_id: Option<String>,
    /// The claim, or what is wrong with it.
    pub claim: Result<Claim, String>,
    /// Whether the error is about the input as a whole (a file or document
    /// that could not be read at all) rather than one claim in it.
    pub whole: bool,
}

/// The claims of one input, read lazily.
pub type ClaimInputs = Box<dyn Iterator<Item = ClaimInput> + Send>;

/// Reads every claim in `path` (`-` for standard input). A file that cannot be
/// read or parsed at all still yields one record, so nothing is silently lost.
///
/// JSON Lines files (`.jsonl`, `.ndjson`) are streamed a claim at a time, so a
/// batch of any size runs in constant memory. JSON and TOML files are read
/// whole, then turned into claims one at a time as they are checked.
pub fn read_claims(path: &Path, max_bytes: u64) -> ClaimInputs {
    let name = path.display().to_string();
    let kind = InputKind::of_path(path);
    if kind == InputKind::JsonLines {
        return read_json_lines(name, path);
    }
    match read_text(path, max_bytes) {
        Ok(text) => claims_in_text(name, kind, text),
        Err(error) => one(file_error(&name, error)),
    }
}

/// What a submitter says its input is: a file's extension, or a request's
/// content type. `Unknown` is told apart by the text itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// One JSON claim, a JSON list of claims, or `{ "claims": [...] }`.
    Json,
    /// One JSON claim per line.
    JsonLines,
    /// One TOML claim, or `[[claims]]` tables.
    Toml,
    /// An X12 837P interchange.
    X12,
    /// Not said: recognised by the text (X12 starts with `ISA`, JSON with a bracket).
    Unknown,
}

impl InputKind {
    /// The kind a file's extension names.
    pub fn of_path(path: &Path) -> InputKind {
        match path.extension().and_then(|e| e.to_str()) {
            Some("jsonl" | "ndjson") => InputKind::JsonLines,
            Some("json") => InputKind::Json,
            Some("toml") => InputKind::Toml,
            _ => InputKind::Unknown,
        }
    }
}

/// The claims of `text`, which came from `name` and is said to be `kind`.
/// Text that is not what it is said to be is still read for what it is when
/// that is unambiguous: an X12 interchange is always read as X12.
pub fn claims_in_text(name: String, kind: InputKind, text: String) -> ClaimInputs {
    read_text_claims(name, kind, text).claims
}

/// The claims of one input, and whether it was written as a batch.
pub struct InputRead {
    /// The claims, or why each could not be read.
    pub claims: ClaimInputs,
    /// Whether the input is a batch (a JSON list or `{ "claims": [...] }`,
    /// TOML `[[claims]]`, JSON Lines, an X12 interchange) rather than one
    /// claim on its own, even when the batch holds a single claim.
    pub batch: bool,
}

/// As [`claims_in_text`], and whether the input was a batch.
pub fn read_text_claims(name: String, kind: InputKind, text: String) -> InputRead {
    if kind == InputKind::X12 || payrules_x12::is_x12(&text) {
        return InputRead { claims: Box::new(read_x12(&name, &text).into_iter()), batch: true };
    }
    let json = match kind {
        InputKind::Json | InputKind::JsonLines => true,
        InputKind::Toml => false,
        InputKind::X12 | InputKind::Unknown => text.trim_start().starts_with(['{', '[']),
    };
    if !json {
        let (claims, batch) = read_toml(&name, &text);
        return InputRead { claims: Box::new(claims.into_iter()), batch };
    }
    if kind == InputKind::JsonLines || looks_like_json_lines(&text) {
        return InputRead { claims: json_lines_in(name, text), batch: true };
    }
    let (claims, batch) = read_json(name, text);
    InputRead { claims, batch }
}

/// Whether `text` is JSON Lines rather than one JSON document: its first
/// line is a whole JSON object on its own and another line follows. This is
/// how JSON Lines on standard input, or in a file without the extension,
/// is recognised.
fn looks_like_json_lines(text: &str) -> bool {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let first_is_whole = lines.next().is_some_and(|first| {
        serde_json::from_str::<serde::de::IgnoredAny>(first).is_ok() && first.trim_start().starts_with('{')
    });
    first_is_whole && lines.next().is_some()
}

/// The claims of JSON Lines text already in memory, one per non-empty line.
fn json_lines_in(name: String, text: String) -> ClaimInputs {
    let claims: Vec<ClaimInput> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| json_claim(&name, &format!("{name}:{}", index + 1), index + 1, line))
        .collect();
    Box::new(claims.into_iter())
}

/// Every claim of an X12 837P file, one record per CLM, each with its own
/// problems when it could not be read.
fn read_x12(name: &str, text: &str) -> Vec<ClaimInput> {
    let document = match payrules_x12::read_document(text) {
        Ok(document) => document,
        Err(error) => return vec![file_error(name, format!("not a readable X12 file: {error}"))],
    };
    payrules_x12::read_claims(&document).into_iter().map(|read| x12_input(name, read)).collect()
}

/// One claim read from an 837P as a [`ClaimInput`].
fn x12_input(name: &str, read: payrules_x12::ClaimRead) -> ClaimInput {
    let claim = read.claim.map_err(|problems| {
        let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
        format!("{name}: {}", problems.join("; "))
    });
    ClaimInput { source: format!("{name}: segment {}", read.segment), claim_id: read.claim_id, claim, whole: false }
}

/// The whole text of `path` (`-` for standard input).
pub fn read_text(path: &Path, max_bytes: u64) -> Result<String, String> {
    read_text_and_encoding(path, max_bytes).map(|(text, _)| text)
}

/// How a file's bytes were decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 (which includes plain ASCII).
    Utf8,
    /// ISO-8859-1: an X12 file that is not UTF-8. Each byte is one character,
    /// so the text encodes back to the same bytes.
    Latin1,
}

/// The whole text of `path` and how it was decoded. X12 files are often
/// Latin-1 rather than UTF-8; an X12 file that is not valid UTF-8 is read
/// as Latin-1, since its delimiters and codes are ASCII either way.
pub fn read_text_and_encoding(path: &Path, max_bytes: u64) -> Result<(String, TextEncoding), String> {
    let bytes = if path == Path::new("-") {
        let mut bytes = Vec::new();
        let read = std::io::Read::read_to_end(
            &mut std::io::Read::take(std::io::stdin(), max_bytes.saturating_add(1)),
            &mut bytes,
        );
        match read {
            Ok(_) if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > max_bytes => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("standard input is larger than the {} MiB limit (`limits.claims_file_mib`)", max_bytes >> 20),
            )),
            other => other.map(|_| bytes),
        }
    } else {
        payrules_host::files::read_regular(path, max_bytes)
    }
    .map_err(|error| format!("cannot read the file: {error}"))?;
    decode_text(bytes).map_err(|error| format!("cannot read the file: {error}"))
}

/// The text of an input's bytes and how they were decoded: UTF-8 (a
/// leading byte-order mark dropped), or Latin-1 for an X12 interchange that
/// is not UTF-8, since its delimiters and codes are ASCII either way.
pub fn decode_text(mut bytes: Vec<u8>) -> Result<(String, TextEncoding), std::str::Utf8Error> {
    // A UTF-8 byte-order mark, as some editors write, is not part of the claims.
    if bytes.starts_with(UTF8_BOM) {
        bytes.drain(..UTF8_BOM.len());
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok((text, TextEncoding::Utf8)),
        Err(error) => {
            let latin1: String = error.as_bytes().iter().map(|b| char::from(*b)).collect();
            if payrules_x12::is_x12(&latin1) { Ok((latin1, TextEncoding::Latin1)) } else { Err(error.utf8_error()) }
        }
    }
}

/// The UTF-8 encoding of U+FEFF, the byte-order mark.
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// `text` in `encoding`; a character Latin-1 cannot hold becomes `?`.
pub fn encode_text(text: &str, encoding: TextEncoding) -> Vec<u8> {
    match encoding {
        TextEncoding::Utf8 => text.as_bytes().to_vec(),
        TextEncoding::Latin1 => text.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect(),
    }
}

fn one(input: ClaimInput) -> ClaimInputs {
    Box::new(std::iter::once(input))
}

fn read_json_lines(name: String, path: &Path) -> ClaimInputs {
    use std::io::BufRead as _;
    let file = match payrules_host::files::open_regular(path) {
        Ok(file) => file,
        Err(error) => return one(file_error(&name, format!("cannot read the file: {error}"))),
    };
    let mut lines = std::io::BufReader::new(file).lines().enumerate();
    let mut failed = false;
    Box::new(std::iter::from_fn(move || {
        // A read error ends the file: it is reported once, not once per retry.
        if failed {
            return None;
        }
        loop {
            let (index, line) = lines.next()?;
            let number = index + 1;
            match line {
                // A line that is not UTF-8 has been read past: it costs its own record only.
                Err(error) if error.kind() == std::io::ErrorKind::InvalidData => {
                    return Some(file_error(&format!("{name}:{number}"), format!("cannot read the line: {error}")));
                }
                Err(error) => {
                    failed = true;
                    return Some(file_error(&format!("{name}:{number}"), format!("cannot read the line: {error}")));
                }
                Ok(line) if line.trim().is_empty() => continue,
                Ok(line) => {
                    let line = if index == 0 { line.trim_start_matches('\u{feff}') } else { &line };
                    return Some(json_claim(&name, &format!("{name}:{number}"), number, line));
                }
            }
        }
    }))
}

fn file_error(name: &str, message: String) -> ClaimInput {
    ClaimInput::unreadable(name, message)
}

impl ClaimInput {
    /// The record of an input, or part of one, that held no readable claim.
    pub fn unreadable(source: &str, message: String) -> ClaimInput {
        ClaimInput { source: source.to_owned(), claim_id: None, claim: Err(message), whole: true }
    }
}

#[derive(Deserialize)]
struct IdOnly {
    id: Option<serde_json::Value>,
}

/// The claims of a JSON text, and whether it holds a list of them.
fn read_json(name: String, text: String) -> (ClaimInputs, bool) {
    // Well-formed files take the exact path; a file with a syntax error is
    // split claim by claim, so the error costs only the claim it is in.
    let (ranges, batch) = match claim_ranges(&text) {
        Ok(read) => read,
        Err(message) => match element_ranges(&text) {
            Some(ranges) if !ranges.is_empty() => (ranges, true),
            _ => return (one(file_error(&name, message)), false),
        },
    };
    let many = ranges.len() > 1;
    let mut lines = LineCounter::default();
    let claims = Box::new(ranges.into_iter().enumerate().map(move |(index, (start, end))| {
        let first_line = lines.line_at(text.as_bytes(), start);
        let raw = text.get(start..end).unwrap_or_default();
        let source =
            if many { format!("{name}:{first_line} (claim {})", index + 1) } else { format!("{name}:{first_line}") };
        json_claim(&name, &source, first_line, raw)
    }));
    (claims, batch)
}

/// Byte ranges of each claim in a JSON file holding one claim, a list of
/// claims, or `{ "claims": [...] }`, and whether it held a list.
fn claim_ranges(text: &str) -> Result<(Vec<(usize, usize)>, bool), String> {
    let top: &RawValue =
        serde_json::from_str(text).map_err(|error| format!("line {}: not valid JSON: {error}", error.line()))?;
    let (raw_claims, batch): (Vec<&RawValue>, bool) = match top.get().trim_start().chars().next() {
        Some('[') => (serde_json::from_str(top.get()).map_err(|error| format!("not a list of claims: {error}"))?, true),
        _ => {
            #[derive(Deserialize)]
            struct Wrapped<'a> {
                #[serde(borrow)]
                claims: Option<Vec<&'a RawValue>>,
            }
            match serde_json::from_str::<Wrapped<'_>>(top.get()) {
                Ok(Wrapped { claims: Some(claims) }) => (claims, true),
                _ => (vec![top], false),
            }
        }
    };
    let ranges = raw_claims
        .into_iter()
        .map(|raw| {
            let start = (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
            (start, start + raw.get().len())
        })
        .collect();
    Ok((ranges, batch))
}

/// Byte ranges of the claims of a JSON list, or of the `claims` list of an
/// object, found by their brackets and commas alone, so a syntax error inside
/// one claim leaves the others whole. `None` when the text holds no such list.
fn element_ranges(text: &str) -> Option<Vec<(usize, usize)>> {
    let bytes = text.as_bytes();
    let first = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let list_start = match bytes.get(first)? {
        b'[' => first,
        b'{' => claims_list_start(bytes, first)?,
        _ => return None,
    };
    let mut ranges = Vec::new();
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut element_start = list_start + 1;
    for (offset, byte) in bytes.iter().enumerate().skip(list_start) {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    push_trimmed(text, element_start, offset, &mut ranges);
                    return Some(ranges);
                }
            }
            b',' if depth == 1 => {
                push_trimmed(text, element_start, offset, &mut ranges);
                element_start = offset + 1;
            }
            _ => {}
        }
    }
    // The list never closed: what was read is still one claim each.
    push_trimmed(text, element_start, bytes.len(), &mut ranges);
    Some(ranges)
}

/// Where the `claims` list of the object at `start` opens.
fn claims_list_start(bytes: &[u8], start: usize) -> Option<usize> {
    let key = b"\"claims\"";
    let at = bytes.get(start..)?.windows(key.len()).position(|w| w == key)? + start + key.len();
    let after = bytes.get(at..)?;
    let colon = after.iter().position(|b| !b.is_ascii_whitespace())?;
    if after.get(colon) != Some(&b':') {
        return None;
    }
    let open = after.get(colon + 1..)?.iter().position(|b| !b.is_ascii_whitespace())? + colon + 1;
    (after.get(open) == Some(&b'[')).then_some(at + open)
}

/// Adds `text[start..end]`, without surrounding white space, unless it is empty.
fn push_trimmed(text: &str, start: usize, end: usize, ranges: &mut Vec<(usize, usize)>) {
    let Some(slice) = text.get(start..end) else { return };
    let trimmed = slice.trim();
    if trimmed.is_empty() {
        return;
    }
    let lead = slice.len() - slice.trim_start().len();
    ranges.push((start + lead, start + lead + trimmed.len()));
}

/// One claim from its JSON text, which starts on line `first_line` of the
/// input `name`; `source` is how its record names where it came from.
pub fn json_claim(name: &str, source: &str, first_line: usize, raw: &str) -> ClaimInput {
    // Most claims are valid: parse them on the fast path, and only a claim
    // that fails it again with the parser that tracks the field's path, so
    // the error names the field exactly as before.
    let parsed = serde_json::from_str::<Claim>(raw).or_else(|_| {
        let mut deserializer = serde_json::Deserializer::from_str(raw);
        serde_path_to_error::deserialize::<_, Claim>(&mut deserializer).map_err(|error| {
            let line = first_line + error.inner().line().saturating_sub(1);
            let message = error.inner().to_string();
            format!("{name}:{line}: `{}`: {}", error.path(), payrules_host::locate::without_json_position(&message))
        })
    });
    // The id is read a second time only for a claim that failed, to name it.
    let claim_id = match &parsed {
        Ok(claim) => Some(claim.id.clone()),
        Err(_) => serde_json::from_str::<IdOnly>(raw).ok().and_then(|i| i.id).map(|id| match id {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        }),
    };
    let located =
        |field: &str| crate::json_locate::json_line(raw, &steps(field)).map(|line| first_line + line.saturating_sub(1));
    let claim = parsed.and_then(|claim| validated(name, first_line, claim, located));
    ClaimInput { source: source.to_owned(), claim_id, claim, whole: false }
}

/// `claim` if it passes the model's checks, else the error at the line
/// `locate` finds for the refused field (the claim's `line` if none).
fn validated(name: &str, line: usize, claim: Claim, locate: impl Fn(&str) -> Option<usize>) -> Result<Claim, String> {
    claim.validate().map_err(|error| format!("{name}:{}: {error}", locate(&error.field).unwrap_or(line)))?;
    Ok(claim)
}

/// The line of the TOML `text` where `field` of its `index`th claim is
/// (the claim itself when the text is not a `[[claims]]` batch).
fn toml_field_line(text: &str, batch: bool, index: usize, field: &str) -> Option<usize> {
    let mut path = if batch { vec![Step::Key("claims".to_owned()), Step::Index(index)] } else { Vec::new() };
    path.extend(steps(field));
    toml_line(text, &path)
}

/// The claims of a TOML text, and whether it holds `[[claims]]`.
fn read_toml(name: &str, text: &str) -> (Vec<ClaimInput>, bool) {
    // As for JSON: valid claims are read on the fast path, straight from the
    // text; any failure reads the whole text again on the path that names
    // the field, so errors stay exactly as precise.
    if let Some(read) = read_toml_fast(name, text) {
        return read;
    }
    read_toml_located(name, text)
}

/// The claims of a TOML text read straight into claims, or `None` when any
/// of them does not read (validation errors are still reported here: they
/// are found after reading, the same on either path).
fn read_toml_fast(name: &str, text: &str) -> Option<(Vec<ClaimInput>, bool)> {
    #[derive(Deserialize)]
    struct Batch {
        claims: Vec<toml::Spanned<Claim>>,
    }
    // A batch names `claims` as a table array; a single claim never has that key.
    let batch = text.lines().any(|line| line.trim_start().starts_with("[[claims]]"));
    let claims: Vec<(usize, Claim)> = if batch {
        let batch = toml::from_str::<Batch>(text).ok()?;
        let mut lines = LineCounter::default();
        batch.claims.into_iter().map(|c| (lines.line_at(text.as_bytes(), c.span().start), c.into_inner())).collect()
    } else {
        vec![(1, toml::from_str::<Claim>(text).ok()?)]
    };
    let many = claims.len() > 1;
    let inputs = claims
        .into_iter()
        .enumerate()
        .map(|(index, (line, claim))| {
            let source = toml_source(name, line, index, many);
            let claim_id = Some(claim.id.clone());
            let claim = validated(name, line, claim, |field| toml_field_line(text, batch, index, field));
            ClaimInput { source, claim_id, claim, whole: false }
        })
        .collect();
    Some((inputs, batch))
}

/// Where the `index`th claim of a TOML text, starting on `line`, came from.
fn toml_source(name: &str, line: usize, index: usize, many: bool) -> String {
    if many { format!("{name}:{line} (claim {})", index + 1) } else { format!("{name}:{line}") }
}

/// The claims of a TOML text, each error naming its field's path.
fn read_toml_located(name: &str, text: &str) -> (Vec<ClaimInput>, bool) {
    let table: toml::Table = match toml::from_str(text) {
        Ok(table) => table,
        Err(error) => {
            return (
                vec![file_error(name, format!("not valid TOML: {}", payrules_host::describe_toml_error(text, &error)))],
                false,
            );
        }
    };
    #[derive(Deserialize)]
    struct Wrapped {
        claims: Vec<toml::Spanned<toml::Table>>,
    }
    let batch = table.contains_key("claims");
    let claims: Vec<(usize, toml::Table)> = if batch {
        match toml::from_str::<Wrapped>(text) {
            Ok(wrapped) => {
                let mut lines = LineCounter::default();
                wrapped
                    .claims
                    .into_iter()
                    .map(|c| (lines.line_at(text.as_bytes(), c.span().start), c.into_inner()))
                    .collect()
            }
            Err(error) => {
                let message = format!(
                    "`claims` must be an array of tables: {}",
                    payrules_host::describe_toml_error(text, &error)
                );
                return (vec![file_error(name, message)], false);
            }
        }
    } else {
        vec![(1, table)]
    };
    let many = claims.len() > 1;
    let claims = claims
        .into_iter()
        .enumerate()
        .map(|(index, (line, table))| {
            let claim_id = table.get("id").map(|id| id.as_str().map_or_else(|| id.to_string(), str::to_owned));
            let source = toml_source(name, line, index, many);
            let located = |field: &str| toml_field_line(text, batch, index, field);
            let claim = serde_path_to_error::deserialize::<_, Claim>(toml::Value::Table(table))
                .map_err(|error| {
                    let field = error.path().to_string();
                    let at = located(&field).unwrap_or(line);
                    format!("{name}:{at}: `{field}`: {}", error.inner().message().replace('\n', " "))
                })
                .and_then(|claim| validated(name, line, claim, located));
            ClaimInput { source, claim_id, claim, whole: false }
        })
        .collect();
    (claims, batch)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

    use super::*;

    /// A `[[claims]]` batch of two copies of the seed claim, the second
    /// with its id changed and, when `bad` is given, one field made wrong.
    fn batch(bad: Option<(&str, toml::Value)>) -> String {
        let seed: toml::Table = toml::from_str(include_str!("../../../examples/claims/hip-replacement.toml")).unwrap();
        let mut second = seed.clone();
        second.insert("id".to_owned(), toml::Value::String("HIP-SECOND".to_owned()));
        if let Some((key, value)) = bad {
            second.insert(key.to_owned(), value);
        }
        let claims = vec![toml::Value::Table(seed), toml::Value::Table(second)];
        let mut top = toml::Table::new();
        top.insert("claims".to_owned(), toml::Value::Array(claims));
        toml::to_string(&top).unwrap()
    }

    fn summary(inputs: &[ClaimInput]) -> Vec<(String, Option<String>, Result<Claim, String>)> {
        inputs.iter().map(|i| (i.source.clone(), i.claim_id.clone(), i.claim.clone())).collect()
    }

    #[test]
    fn a_toml_batch_reads_the_same_on_the_fast_path_as_on_the_located_one() {
        let text = batch(None);
        assert!(text.contains("[[claims]]"), "{text}");
        let (fast, fast_batch) = read_toml_fast("b.toml", &text).expect("every claim reads");
        let (located, located_batch) = read_toml_located("b.toml", &text);
        assert!(fast_batch && located_batch);
        assert_eq!(summary(&fast), summary(&located));
        assert_eq!(fast.len(), 2);
        assert!(fast[1].source.starts_with("b.toml:") && fast[1].source.ends_with("(claim 2)"), "{}", fast[1].source);
        assert!(fast.iter().all(|input| input.claim.is_ok()));
    }

    #[test]
    fn a_toml_claim_that_does_not_read_is_located_and_the_others_still_read() {
        let text = batch(Some(("diagnoses", toml::Value::String("Z96.641".to_owned()))));
        assert!(read_toml_fast("b.toml", &text).is_none(), "the fast path gives up");
        let (inputs, _) = read_toml("b.toml", &text);
        assert_eq!(inputs.len(), 2, "one record per claim");
        assert!(inputs[0].claim.is_ok());
        let error = inputs[1].claim.as_ref().unwrap_err();
        assert!(error.starts_with("b.toml:") && error.contains("`diagnoses`"), "{error}");
        assert_eq!(inputs[1].claim_id.as_deref(), Some("HIP-SECOND"));
    }
}
