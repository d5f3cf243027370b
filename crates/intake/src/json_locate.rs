//! The line of a JSON claim where a field is, for errors found after the
//! claim was read (an NPI's check digit, a duplicate line number): serde
//! keeps no positions, so the text is walked again, only for a claim that
//! is refused.

use payrules_host::locate::{Step, line_of_offset};

/// The 1-based line of `raw` where the value at `path` starts, or the
/// nearest enclosing value's line; `None` when `raw` is not JSON.
pub fn json_line(raw: &str, path: &[Step]) -> Option<usize> {
    let mut walker = Walker { bytes: raw.as_bytes(), at: 0, path, best: None };
    walker.value(&mut Vec::new(), 0).ok()?;
    walker.best.map(|offset| line_of_offset(raw, offset))
}

/// Deep enough for any claim; a deeper text is given up on, not followed.
const MAX_DEPTH: usize = 64;

struct Walker<'a> {
    bytes: &'a [u8],
    at: usize,
    path: &'a [Step],
    /// Where the deepest value on the way to `path` starts.
    best: Option<usize>,
}

/// Not JSON, or too deep: the walk stops.
struct Stop;

impl Walker<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), Stop> {
        self.skip_space();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(Stop)
        }
    }

    /// One value, whose path from the claim is `here`.
    fn value(&mut self, here: &mut Vec<Step>, depth: usize) -> Result<(), Stop> {
        if depth > MAX_DEPTH {
            return Err(Stop);
        }
        self.skip_space();
        // Ancestors are met before their children, so the last value on
        // the way to `path` is the deepest.
        if self.path.starts_with(here) {
            self.best = Some(self.at);
        }
        match self.peek().ok_or(Stop)? {
            b'{' => {
                self.at += 1;
                self.skip_space();
                if self.peek() == Some(b'}') {
                    self.at += 1;
                    return Ok(());
                }
                loop {
                    self.skip_space();
                    let key = self.string()?;
                    self.expect(b':')?;
                    here.push(Step::Key(key));
                    self.value(here, depth + 1)?;
                    here.pop();
                    if self.closes(b'}')? {
                        return Ok(());
                    }
                }
            }
            b'[' => {
                self.at += 1;
                self.skip_space();
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Ok(());
                }
                for index in 0.. {
                    here.push(Step::Index(index));
                    self.value(here, depth + 1)?;
                    here.pop();
                    if self.closes(b']')? {
                        return Ok(());
                    }
                }
                Err(Stop)
            }
            b'"' => self.string().map(drop),
            _ => {
                // A number, true, false or null: up to the next delimiter.
                while self.peek().is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace()) {
                    self.at += 1;
                }
                Ok(())
            }
        }
    }

    /// After a member: true at the `close` that ends the object or array,
    /// false at a comma before the next member.
    fn closes(&mut self, close: u8) -> Result<bool, Stop> {
        self.skip_space();
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                Ok(false)
            }
            Some(byte) if byte == close => {
                self.at += 1;
                Ok(true)
            }
            _ => Err(Stop),
        }
    }

    /// A string, its escapes left as written (keys of a claim need none).
    fn string(&mut self) -> Result<String, Stop> {
        if self.peek() != Some(b'"') {
            return Err(Stop);
        }
        self.at += 1;
        let start = self.at;
        loop {
            match self.peek().ok_or(Stop)? {
                b'\\' => self.at += 2,
                b'"' => break,
                _ => self.at += 1,
            }
        }
        let text = self.bytes.get(start..self.at).ok_or(Stop)?;
        self.at += 1;
        Ok(String::from_utf8_lossy(text).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use payrules_host::locate::steps;

    use super::*;

    const CLAIM: &str = r#"{
  "id": "J-1",
  "billing_provider": { "npi": "1234567890" },
  "lines": [
    { "number": 1, "units": 1 },
    {
      "number": 1,
      "units": 2
    }
  ]
}"#;

    #[test]
    fn finds_the_line_of_a_field_in_objects_and_arrays() {
        assert_eq!(json_line(CLAIM, &steps("billing_provider.npi")), Some(3));
        assert_eq!(json_line(CLAIM, &steps("lines[0].units")), Some(5));
        assert_eq!(json_line(CLAIM, &steps("lines[1].number")), Some(7));
        assert_eq!(json_line(CLAIM, &steps("lines[1].missing")), Some(6), "the nearest object");
        assert_eq!(json_line(CLAIM, &steps("")), Some(1));
        assert_eq!(json_line("{ \"a\": ", &steps("a")), None, "not JSON");
        assert_eq!(json_line(&"[".repeat(200), &steps("a")), None, "too deep");
    }
}
