//! The line a field is on, for error messages that point where the user
//! looks: a key of a rule set or of a TOML claim, named by its path
//! (`payer[0].config.coinsurance_percent`, `lines[1].units`).

/// One step of a field path: a key, or a position in an array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A table key.
    Key(String),
    /// An array position, from 0.
    Index(usize),
}

/// `path` (`a.b[2].c`) as its steps; a key may not itself hold `.` or `[`.
pub fn steps(path: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(key, rest)| (key, rest));
        if !key.is_empty() {
            steps.push(Step::Key(key.to_owned()));
        }
        while let Some((index, after)) = rest.split_once(']') {
            if let Ok(index) = index.parse() {
                steps.push(Step::Index(index));
            }
            rest = after.strip_prefix('[').unwrap_or(after);
        }
    }
    steps
}

/// Line numbers of increasing byte offsets, counted on from the last one
/// asked, so numbering every row or claim of a large file stays linear.
#[derive(Debug, Default)]
pub struct LineCounter {
    offset: usize,
    breaks: usize,
}

impl LineCounter {
    /// The 1-based line of `offset` in `text`; offsets must not decrease.
    pub fn line_at(&mut self, text: &[u8], offset: usize) -> usize {
        let between = text.get(self.offset..offset).unwrap_or_default();
        self.breaks += between.iter().filter(|b| **b == b'\n').count();
        self.offset = self.offset.max(offset);
        self.breaks + 1
    }
}

/// The 1-based line of `offset` in `text`.
pub fn line_of_offset(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(1, |before| before.matches('\n').count() + 1)
}

/// The line of the TOML `text` where the value at `path` is written, or as
/// near to it as the path leads (a table that lacks the key gives its own
/// line); `None` when the text is not TOML or the path leads nowhere in it.
pub fn toml_line(text: &str, path: &[Step]) -> Option<usize> {
    let document = toml_edit::Document::parse(text).ok()?;
    let mut item = document.as_item();
    let mut line = None;
    for step in path {
        let next = match step {
            Step::Key(key) => item.get(key.as_str()),
            Step::Index(index) => item.get(*index),
        };
        let Some(next) = next else { break };
        item = next;
        line = item.span().map(|span| line_of_offset(text, span.start)).or(line);
    }
    line
}

/// `message` without the " at line L column C" serde_json puts at its end,
/// which counts in text the reader did not write (a claim's own JSON, or
/// a payer configuration handed to a plugin as JSON).
pub fn without_json_position(message: &str) -> &str {
    let Some(at) = message.rfind(" at line ") else { return message };
    let tail = message.get(at + " at line ".len()..).unwrap_or("");
    let is_position = tail.split_once(" column ").is_some_and(|(line, column)| {
        line.bytes().all(|b| b.is_ascii_digit()) && column.bytes().all(|b| b.is_ascii_digit())
    });
    if is_position { message.get(..at).unwrap_or(message) } else { message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_steps() {
        assert_eq!(
            steps("payer[2].config.sequestration[0].percent"),
            vec![
                Step::Key("payer".into()),
                Step::Index(2),
                Step::Key("config".into()),
                Step::Key("sequestration".into()),
                Step::Index(0),
                Step::Key("percent".into()),
            ]
        );
        assert_eq!(steps("billing_provider.npi"), vec![Step::Key("billing_provider".into()), Step::Key("npi".into())]);
    }

    #[test]
    fn finds_the_line_of_a_key_in_tables_arrays_and_inline_tables() {
        let text = "name = \"x\"\n\n[[payer]]\nname = \"a\"\n[payer.config]\nrate = 1\n\n[[payer]]\nname = \"b\"\n[payer.config]\nrate = 2\nsteps = [{ from = 1, percent = 2 },\n  { from = 3, percent = \"x\" }]\n";
        assert_eq!(toml_line(text, &steps("payer[1].config.rate")), Some(11));
        assert_eq!(toml_line(text, &steps("payer[0].config.rate")), Some(6));
        assert_eq!(toml_line(text, &steps("payer[1].config.steps[1].percent")), Some(13));
        assert_eq!(toml_line(text, &steps("payer[1].config.missing")), Some(10), "the nearest table");
        assert_eq!(toml_line("not = [toml", &steps("not")), None);
    }

    #[test]
    fn drops_only_a_json_position() {
        assert_eq!(
            without_json_position("invalid type: string \"x\", expected u32 at line 1 column 57"),
            "invalid type: string \"x\", expected u32"
        );
        assert_eq!(without_json_position("a claim at line 4 of the form"), "a claim at line 4 of the form");
    }
}
