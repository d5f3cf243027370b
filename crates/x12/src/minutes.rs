//! Treatment minutes on an 837P service line.
//!
//! An 837P has no element for the minutes a timed therapy code was furnished
//! for, yet the 8-minute and midpoint rules need them. payrules reads them from
//! the line's note, 2400 `NTE` (NTE01 `ADD`), as words of the form `KEY=VALUE`:
//!
//! | word | meaning |
//! |---|---|
//! | `MIN=38` | direct one-on-one treatment minutes of the line |
//! | `ASST=10` | how many of those an assistant furnished (needs `MIN`) |
//! | `TIME=0900-0925,0940-0953` | when the service was furnished, 24-hour `HHMM` blocks |
//!
//! For example `NTE*ADD*MIN=38 ASST=10 TIME=0900-0938`. Keys are read in any
//! case and order; any other words in the note are left as they are. A line
//! without `MIN` has no minutes, and the minute-based rules report that they
//! could not run rather than guess. The note stays within NTE02's 80
//! characters and uses no delimiter, so the line stays valid X12.

use payrules_model::{ClockTime, TimeBlock, TreatmentMinutes};

/// What a line note says about the service's time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineTime {
    /// Direct treatment minutes, when the note has `MIN`.
    pub minutes: Option<TreatmentMinutes>,
    /// Time blocks, when the note has `TIME`.
    pub time_blocks: Vec<TimeBlock>,
}

/// Reads the minutes convention from a line note's text.
pub fn parse_line_time(note: &str) -> Result<LineTime, String> {
    let (mut total, mut assistant, mut time_blocks) = (None, None, Vec::new());
    for word in note.split_whitespace() {
        let Some((key, value)) = word.split_once('=') else { continue };
        match key.to_ascii_uppercase().as_str() {
            "MIN" => total = Some(count(value, "MIN")?),
            "ASST" => assistant = Some(count(value, "ASST")?),
            "TIME" => {
                for block in value.split(',') {
                    time_blocks.push(time_block(block)?);
                }
            }
            _ => {}
        }
    }
    let minutes = match (total, assistant) {
        (Some(total), assistant) => Some(TreatmentMinutes { total, assistant: assistant.unwrap_or(0) }),
        (None, Some(_)) => return Err("`ASST=` needs the line's total minutes in `MIN=`".to_owned()),
        (None, None) => None,
    };
    Ok(LineTime { minutes, time_blocks })
}

fn count(value: &str, key: &str) -> Result<u32, String> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{key}={value}`: expected whole minutes, e.g. `{key}=38`"));
    }
    value.parse().map_err(|_| format!("`{key}={value}`: too many minutes"))
}

fn clock(text: &str) -> Option<ClockTime> {
    if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: u16 = text.get(..2)?.parse().ok()?;
    let minutes: u16 = text.get(2..)?.parse().ok()?;
    if hours > 23 || minutes > 59 {
        return None;
    }
    ClockTime::from_minutes(hours * 60 + minutes)
}

fn time_block(text: &str) -> Result<TimeBlock, String> {
    let expected = || format!("`TIME={text}`: expected 24-hour blocks like `TIME=0900-0938`");
    let (start, end) = text.split_once('-').ok_or_else(expected)?;
    let (start, end) = (clock(start).ok_or_else(expected)?, clock(end).ok_or_else(expected)?);
    if start >= end {
        return Err(format!("`TIME={text}`: a block must end after it starts"));
    }
    Ok(TimeBlock { start, end })
}

/// Writes a line's time in the convention, or `None` when there is nothing to say.
pub fn format_line_time(minutes: Option<TreatmentMinutes>, time_blocks: &[TimeBlock]) -> Option<String> {
    let mut words = Vec::new();
    if let Some(minutes) = minutes {
        words.push(format!("MIN={}", minutes.total));
        if minutes.assistant > 0 {
            words.push(format!("ASST={}", minutes.assistant));
        }
    }
    if !time_blocks.is_empty() {
        let hhmm = |t: ClockTime| format!("{:02}{:02}", t.minutes() / 60, t.minutes() % 60);
        let blocks: Vec<String> = time_blocks.iter().map(|b| format!("{}-{}", hhmm(b.start), hhmm(b.end))).collect();
        words.push(format!("TIME={}", blocks.join(",")));
    }
    (!words.is_empty()).then(|| words.join(" "))
}

/// The note with its minutes words replaced by `minutes` and `time_blocks`;
/// every other word stays as it was.
pub fn replace_line_time(note: &str, minutes: Option<TreatmentMinutes>, time_blocks: &[TimeBlock]) -> String {
    let is_time_word = |word: &&str| {
        word.split_once('=')
            .is_some_and(|(key, _)| ["MIN", "ASST", "TIME"].contains(&key.to_ascii_uppercase().as_str()))
    };
    let mut words: Vec<String> = note.split_whitespace().filter(|w| !is_time_word(w)).map(str::to_owned).collect();
    words.extend(format_line_time(minutes, time_blocks));
    words.join(" ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn reads_minutes_assistant_share_and_blocks_among_other_words() {
        let time = parse_line_time("seen with brace min=38 ASST=10 TIME=0900-0925,0940-0953").unwrap();
        assert_eq!(time.minutes, Some(TreatmentMinutes { total: 38, assistant: 10 }));
        assert_eq!(time.time_blocks.len(), 2);
        assert_eq!(
            format_line_time(time.minutes, &time.time_blocks).unwrap(),
            "MIN=38 ASST=10 TIME=0900-0925,0940-0953"
        );
        let fewer = Some(TreatmentMinutes { total: 21, assistant: 8 });
        assert_eq!(replace_line_time("seen with brace MIN=36 ASST=23", fewer, &[]), "seen with brace MIN=21 ASST=8");
    }

    #[test]
    fn a_note_without_minutes_has_none_and_bad_words_are_errors() {
        assert_eq!(parse_line_time("patient tolerated well").unwrap(), LineTime::default());
        assert!(parse_line_time("MIN=abc").unwrap_err().contains("whole minutes"));
        assert!(parse_line_time("ASST=5").unwrap_err().contains("MIN="));
        assert!(parse_line_time("MIN=20 TIME=0960-1000").unwrap_err().contains("24-hour"));
        assert!(parse_line_time("MIN=20 TIME=1000-0900").unwrap_err().contains("after it starts"));
    }
}
