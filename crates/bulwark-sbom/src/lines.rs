//! Lines of a text file, one at a time in a reused buffer, each at most [`MAX_LINE`] bytes: a
//! longer line is skipped without being held, so no line grows memory with the file.

use std::io::{self, BufRead, Read};

use bulwark_core::InputProblem;

/// The longest line kept, in bytes.
pub(crate) const MAX_LINE: usize = 1 << 20;

/// What a line held.
pub(crate) enum Line<'a> {
    /// The text, without its line ending.
    Text(&'a str),
    /// A line that is not UTF-8 or is longer than [`MAX_LINE`]: the problem to report.
    Bad(InputProblem),
}

/// Reads lines from `R`, counting them from 1.
pub(crate) struct Lines<R> {
    input: R,
    buf: Vec<u8>,
    number: u64,
}

impl<R: BufRead> Lines<R> {
    /// Lines of `input`.
    pub(crate) fn new(input: R) -> Self {
        Lines {
            input,
            buf: Vec::new(),
            number: 0,
        }
    }

    /// The next line and its number, or `None` at the end.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
        self.buf.clear();
        let n = (&mut self.input)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        self.number += 1;
        let number = self.number;
        if self.buf.last() != Some(&b'\n') && self.buf.len() > MAX_LINE {
            self.skip_rest_of_line()?;
            return Ok(Some((
                number,
                Line::Bad(InputProblem::at_line(
                    number,
                    None,
                    format!("the line is longer than {MAX_LINE} bytes"),
                )),
            )));
        }
        let mut text = self.buf.as_slice();
        text = text.strip_suffix(b"\n").unwrap_or(text);
        text = text.strip_suffix(b"\r").unwrap_or(text);
        Ok(Some((
            number,
            match std::str::from_utf8(text) {
                Ok(s) => Line::Text(s),
                Err(e) => Line::Bad(InputProblem::at_line(
                    number,
                    None,
                    format!("the line is not UTF-8 text (byte {})", e.valid_up_to() + 1),
                )),
            },
        )))
    }

    fn skip_rest_of_line(&mut self) -> io::Result<()> {
        loop {
            let available = self.input.fill_buf()?;
            if available.is_empty() {
                return Ok(());
            }
            match available.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.input.consume(i + 1);
                    return Ok(());
                }
                None => {
                    let n = available.len();
                    self.input.consume(n);
                }
            }
        }
    }
}

/// The problem for a file that stopped being readable.
pub(crate) fn io_problem(e: &io::Error) -> InputProblem {
    InputProblem::whole(format!("the file could not be read: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8]) -> Vec<(u64, Result<String, String>)> {
        let mut lines = Lines::new(input);
        let mut got = Vec::new();
        while let Some((n, line)) = lines.next_line().unwrap() {
            got.push((
                n,
                match line {
                    Line::Text(t) => Ok(t.to_owned()),
                    Line::Bad(p) => Err(p.message),
                },
            ));
        }
        got
    }

    #[test]
    fn lines_are_numbered_without_their_endings() {
        assert_eq!(
            all(b"a\r\nb\n\nc"),
            [
                (1, Ok("a".into())),
                (2, Ok("b".into())),
                (3, Ok(String::new())),
                (4, Ok("c".into()))
            ]
        );
    }

    #[test]
    fn bad_lines_are_reported_and_skipped() {
        let mut input = vec![b'x'; MAX_LINE + 10];
        input.extend_from_slice(b"\nok\n\xff\n");
        let got = all(&input);
        assert_eq!(got.len(), 3);
        assert!(got[0].1.as_ref().unwrap_err().contains("longer than"));
        assert_eq!(got[1], (2, Ok("ok".into())));
        assert_eq!(
            got[2],
            (3, Err("the line is not UTF-8 text (byte 1)".into()))
        );
    }
}
