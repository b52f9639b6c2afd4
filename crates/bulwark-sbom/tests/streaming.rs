//! Reading does not hold the file: documents of 200,000 components are produced lazily by a
//! `Read` that is never whole in memory, and components reach the sink while almost all of the
//! document is still unproduced.

use std::cell::Cell;
use std::io::{BufReader, Read};
use std::ops::ControlFlow;
use std::rc::Rc;

use bulwark_sbom::{Format, read};

const COMPONENTS: u64 = 200_000;

/// Produces a document piece by piece from an iterator, counting the bytes handed out.
struct Generated<I> {
    pieces: I,
    pending: Vec<u8>,
    at: usize,
    produced: Rc<Cell<u64>>,
}

impl<I: Iterator<Item = String>> Read for Generated<I> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.pending.len() {
            match self.pieces.next() {
                Some(piece) => {
                    self.pending = piece.into_bytes();
                    self.at = 0;
                }
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        self.produced.set(self.produced.get() + n as u64);
        Ok(n)
    }
}

/// Reads a generated document; returns how many bytes had been produced when the 1,000th
/// component arrived, and in all.
fn read_generated(format: Format, pieces: impl Iterator<Item = String>) -> (u64, u64) {
    let produced = Rc::new(Cell::new(0));
    let input = Generated {
        pieces,
        pending: Vec::new(),
        at: 0,
        produced: produced.clone(),
    };
    let (mut seen, mut at_thousand) = (0u64, 0);
    let summary = read(format, BufReader::new(input), |_| {
        seen += 1;
        if seen == 1000 {
            at_thousand = produced.get();
        }
        ControlFlow::Continue(())
    })
    .expect("the generated document is valid");
    assert_eq!((summary.components, seen), (COMPONENTS, COMPONENTS));
    (at_thousand, produced.get())
}

#[test]
fn cyclonedx_is_streamed() {
    let pieces = std::iter::once(
        r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": ["#.to_owned(),
    )
    .chain((0..COMPONENTS).map(|i| {
        format!(
            r#"{}{{"type": "library", "name": "package-{i}", "version": "1.0.{i}", "purl": "pkg:npm/package-{i}@1.0.{i}", "description": "{}", "hashes": [{{"alg": "SHA-256", "content": "{:064x}"}}]}}"#,
            if i == 0 { "" } else { "," },
            "padding ".repeat(8),
            i
        )
    }))
    .chain(std::iter::once("]}".to_owned()));
    let (at_thousand, total) = read_generated(Format::CycloneDx, pieces);
    assert!(total > 40_000_000, "the document is large: {total} bytes");
    assert!(
        at_thousand < 500_000,
        "the 1,000th component came after {at_thousand} bytes"
    );
}

#[test]
fn csv_is_streamed() {
    let pieces = std::iter::once("ecosystem,name,version,purl\n".to_owned()).chain(
        (0..COMPONENTS).map(|i| format!("cargo,crate-{i},0.{i}.0,pkg:cargo/crate-{i}@0.{i}.0\n")),
    );
    let (at_thousand, total) = read_generated(Format::Csv, pieces);
    assert!(total > 10_000_000, "the file is large: {total} bytes");
    assert!(
        at_thousand < 200_000,
        "the 1,000th component came after {at_thousand} bytes"
    );
}
