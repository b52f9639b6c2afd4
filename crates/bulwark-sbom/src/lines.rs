//! Lines of a text file, one at a time in a reused buffer, each at most [`MAX_LINE`] bytes: a
//! longer line is reported and skipped without being held, so no line grows memory with the
//! file.

use std::io::{self, BufRead, Read};

use bulwark_core::InputProblem;

use crate::output::Output;

/// The longest line kept, in bytes.
pub(crate) const MAX_LINE: usize = 1 << 20;

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

    /// The next line that is text, without its line ending, and its number. Lines that are not
    /// UTF-8 or are too long are reported and passed over; `None` at the end, or when the
    /// input fails (reported too).
    pub(crate) fn next_text(&mut self, out: &mut Output<'_>) -> Option<(u64, &str)> {
        loop {
            match self.fill() {
                Ok(None) => return None,
                Err(e) => {
                    out.problem(io_problem(&e));
                    return None;
                }
                Ok(Some(Err(p))) => out.problem(p),
                Ok(Some(Ok(len))) => {
                    let text = std::str::from_utf8(&self.buf[..len]).unwrap_or_default();
                    return Some((self.number, text));
                }
            }
        }
    }

    /// Reads the next line into the buffer: the length of its text, or its problem.
    fn fill(&mut self) -> io::Result<Option<Result<usize, InputProblem>>> {
        self.buf.clear();
        let n = (&mut self.input)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        self.number += 1;
        if self.buf.last() != Some(&b'\n') && self.buf.len() > MAX_LINE {
            self.skip_rest_of_line()?;
            let message = format!("the line is longer than {MAX_LINE} bytes");
            return Ok(Some(Err(InputProblem::at_line(self.number, None, message))));
        }
        let mut text = self.buf.as_slice();
        text = text.strip_suffix(b"\n").unwrap_or(text);
        text = text.strip_suffix(b"\r").unwrap_or(text);
        Ok(Some(match std::str::from_utf8(text) {
            Ok(t) => Ok(t.len()),
            Err(e) => Err(InputProblem::at_line(
                self.number,
                None,
                format!("the line is not UTF-8 text (byte {})", e.valid_up_to() + 1),
            )),
        }))
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
    use std::ops::ControlFlow;

    use super::*;

    /// The text lines and the problems' messages.
    fn all(input: &[u8]) -> (Vec<(u64, String)>, Vec<String>) {
        let mut sink = |_| ControlFlow::Continue(());
        let mut out = Output::new(&mut sink);
        let mut lines = Lines::new(input);
        let mut got = Vec::new();
        while let Some((n, text)) = lines.next_text(&mut out) {
            got.push((n, text.to_owned()));
        }
        let problems = match out.finish(crate::Format::Pip, Default::default()) {
            Ok(_) => Vec::new(),
            Err(crate::ReadError::Invalid(list)) => {
                list.into_iter().map(|p| p.to_string()).collect()
            }
            Err(crate::ReadError::Stopped) => unreachable!(),
        };
        (got, problems)
    }

    #[test]
    fn lines_are_numbered_without_their_endings() {
        let (got, problems) = all(b"a\r\nb\n\nc");
        assert_eq!(
            got,
            [
                (1, "a".into()),
                (2, "b".into()),
                (3, String::new()),
                (4, "c".into())
            ]
        );
        assert!(problems.is_empty());
    }

    #[test]
    fn bad_lines_are_reported_and_skipped() {
        let mut input = vec![b'x'; MAX_LINE + 10];
        input.extend_from_slice(b"\nok\n\xff\nend\n");
        let (got, problems) = all(&input);
        assert_eq!(got, [(2, "ok".into()), (4, "end".into())]);
        assert_eq!(
            problems,
            [
                format!("line 1: the line is longer than {MAX_LINE} bytes"),
                "line 3: the line is not UTF-8 text (byte 1)".into()
            ]
        );
    }
}
