//! Software inventories read from SBOMs and lockfiles. No I/O: parsers read from any `BufRead`.
//!
//! [`read`] streams a file's components to a sink as they are read: memory does not grow with
//! the file's size or its number of components.
//! Every problem is collected (up to 1,000) with its line, or its record path and field for
//! JSON; a file with any problem is refused whole.
//!
//! Formats: CycloneDX JSON 1.2–1.6, SPDX JSON 2.2/2.3, the dpkg status file, pip
//! freeze/requirements, npm package-lock v2/v3, Cargo.lock v1–v4, and CSV. Each module's
//! documentation says what is taken and what is skipped.
//!
//! Every [`Component`] has an [`Ecosystem`] named as the package-URL type, a name normalised
//! for it, the version exactly as given, and a checked purl (in its canonical spelling, or
//! derived where the format implies one) and CPE 2.3 name when there are any. In SBOMs the purl
//! decides the identity; a record without one is `generic`. A file may list the same
//! ecosystem, name and version more than once: every record is delivered, and dropping the
//! repeats is the caller's job (the application does it in the database).

mod cargo_lock;
mod component;
mod cpe;
mod csv_list;
mod cyclonedx;
mod dpkg;
mod ecosystem;
mod format;
mod json;
mod lines;
mod npm;
mod output;
mod pip;
mod purl;
mod spdx;

use std::io::BufRead;
use std::ops::ControlFlow;

use bulwark_core::InputProblem;

pub use component::Component;
pub use ecosystem::Ecosystem;
pub use format::Format;
pub use output::{ReadError, Summary};

use output::{About, Output};

/// Streams components to `sink` as they are read. The sink may already have received components when
/// problems are found later: the caller must treat `Err` as "discard everything" (imports are all-or-nothing).
/// If the sink returns `ControlFlow::Break(())`, reading stops with `Err(ReadError::Stopped)`.
///
/// Once a problem is found, nothing more reaches the sink; the rest of the file is still read
/// to report every problem. A UTF-8 byte-order mark at the start is ignored.
pub fn read<R: BufRead>(
    format: Format,
    mut input: R,
    mut sink: impl FnMut(Component) -> ControlFlow<()>,
) -> Result<Summary, ReadError> {
    let mut out = Output::new(&mut sink);
    if let Err(e) = skip_bom(&mut input) {
        out.problem(InputProblem::whole(format!(
            "the file could not be read: {e}"
        )));
        return out.finish(format, About::default());
    }
    let about = match format {
        Format::CycloneDx => cyclonedx::read(input, &mut out),
        Format::Spdx => spdx::read(input, &mut out),
        Format::Dpkg => dpkg::read(input, &mut out),
        Format::Pip => pip::read(input, &mut out),
        Format::NpmLock => npm::read(input, &mut out),
        Format::CargoLock => cargo_lock::read(input, &mut out),
        Format::Csv => csv_list::read(input, &mut out),
    };
    out.finish(format, about)
}

fn skip_bom(input: &mut impl BufRead) -> std::io::Result<()> {
    if input.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        input.consume(3);
    }
    Ok(())
}

/// What the readers' tests share.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// Reads `text` whole: the components and summary, or the problems.
    pub(crate) fn read_str(
        format: Format,
        text: &str,
    ) -> Result<(Vec<Component>, Summary), Vec<InputProblem>> {
        let mut got = Vec::new();
        match read(format, text.as_bytes(), |c| {
            got.push(c);
            ControlFlow::Continue(())
        }) {
            Ok(s) => Ok((got, s)),
            Err(ReadError::Invalid(p)) => Err(p),
            Err(ReadError::Stopped) => unreachable!("the sink never stops"),
        }
    }

    /// A problem as (line, record, field, message), for comparing.
    pub(crate) type Located = (Option<u64>, Option<String>, Option<String>, String);

    /// The problems of `text`.
    pub(crate) fn problems(format: Format, text: &str) -> Vec<Located> {
        match read_str(format, text) {
            Ok((got, _)) => panic!("expected problems, read {got:?}"),
            Err(list) => list
                .into_iter()
                .map(|p| (p.line, p.record, p.field, p.message))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::testing::read_str;
    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever the bytes, every reader ends with a summary or problems, never a panic.
        #[test]
        fn no_input_makes_a_reader_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            for format in Format::ALL {
                let _ = read(format, &bytes[..], |_| ControlFlow::Continue(()));
            }
        }

        /// A generated CSV inventory reads back as the rows it holds, in order.
        #[test]
        fn csv_rows_read_back(rows in proptest::collection::vec(
            (prop_oneof![Just("npm"), Just("pypi"), Just("cargo"), Just("golang")],
             "[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,4})?",
             "[0-9]{1,2}\\.[0-9]{1,2}(\\.[0-9]{1,2})?"),
            1..40,
        )) {
            let mut text = String::from("name,version,ecosystem\n");
            for (e, n, v) in &rows {
                text.push_str(&format!("{n},{v},{e}\n"));
            }
            let (got, summary) = read_str(Format::Csv, &text).expect("valid");
            let want: Vec<_> = rows.iter().map(|(e, n, v)| (e.to_string(), n.clone(), v.clone())).collect();
            let have: Vec<_> = got.iter().map(|c| (c.ecosystem.to_string(), c.name.clone(), c.version.clone())).collect();
            prop_assert_eq!(&have, &want);
            prop_assert_eq!(summary.components, rows.len() as u64);
            for c in &got {
                let purl = format!("pkg:{}/{}@{}", c.ecosystem, c.name, c.version);
                prop_assert_eq!(c.purl.as_deref(), Some(purl.as_str()));
            }
        }
    }
}
