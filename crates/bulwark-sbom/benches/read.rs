//! Read throughput: a CycloneDX document of 50,000 components and a CSV of 50,000 rows, both
//! generated in memory. Run with `cargo bench -p bulwark-sbom --bench read`. `wall` is
//! elapsed time; `cpu` (Linux only) is the time the benchmark thread was on a CPU, which stays
//! meaningful when other work shares the machine.

use std::hint::black_box;
use std::ops::ControlFlow;
use std::time::Duration;

use bulwark_sbom::{Format, read};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const COMPONENTS: u64 = 50_000;

/// A CycloneDX 1.6 document shaped like real ones: npm and Maven components with purls,
/// hashes and licences, every tenth with two nested components.
fn cyclonedx() -> Vec<u8> {
    let mut doc = String::from(
        r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
  "metadata": {"component": {"type": "application", "name": "bench", "version": "1.0.0"}},
  "components": ["#,
    );
    let mut n = 0;
    let mut i = 0;
    while n < COMPONENTS {
        if i > 0 {
            doc.push(',');
        }
        let nested = if i % 10 == 0 && n + 3 <= COMPONENTS {
            n += 2;
            format!(
                r#", "components": [{}, {}]"#,
                maven(i, "core"),
                maven(i, "api")
            )
        } else {
            String::new()
        };
        doc.push_str(&format!(
            r#"
    {{"type": "library", "bom-ref": "pkg:npm/%40scope/package-{i}@1.{i}.0", "group": "@scope", "name": "package-{i}", "version": "1.{i}.0",
     "description": "A package used to measure how fast components are read",
     "hashes": [{{"alg": "SHA-512", "content": "{i:0128x}"}}],
     "licenses": [{{"license": {{"id": "MIT"}}}}],
     "purl": "pkg:npm/%40scope/package-{i}@1.{i}.0",
     "externalReferences": [{{"type": "website", "url": "https://example.org/package-{i}"}}]{nested}}}"#
        ));
        n += 1;
        i += 1;
    }
    doc.push_str("\n  ],\n  \"dependencies\": []\n}\n");
    doc.into_bytes()
}

fn maven(i: u64, artifact: &str) -> String {
    format!(
        r#"{{"type": "library", "group": "org.example.g{i}", "name": "{artifact}", "version": "2.{i}", "purl": "pkg:maven/org.example.g{i}/{artifact}@2.{i}?type=jar"}}"#
    )
}

/// A CSV inventory: ecosystem, name and version, every other row with a purl and a CPE.
fn csv() -> Vec<u8> {
    let mut doc = String::from("ecosystem,name,version,purl,cpe\n");
    for i in 0..COMPONENTS {
        if i % 2 == 0 {
            doc.push_str(&format!("pypi,Package_{i},{i}.0.1,,\n"));
        } else {
            doc.push_str(&format!(
                "cargo,crate-{i},0.{i}.0,pkg:cargo/crate-{i}@0.{i}.0,cpe:2.3:a:vendor:crate-{i}:0.{i}.0:*:*:*:*:*:*:*\n"
            ));
        }
    }
    doc.into_bytes()
}

/// Time this thread spent on a CPU, from Linux's scheduler statistics: on a shared machine
/// it does not count the time other processes held the cores.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn read_all(format: Format, doc: &[u8]) {
    let mut n = 0u64;
    let summary = read(format, black_box(doc), |c| {
        black_box(c);
        n += 1;
        ControlFlow::Continue(())
    })
    .expect("valid");
    assert_eq!((summary.components, n), (COMPONENTS, COMPONENTS));
}

fn bench(c: &mut Criterion) {
    for (name, format, doc) in [
        ("cyclonedx", Format::CycloneDx, cyclonedx()),
        ("csv", Format::Csv, csv()),
    ] {
        let mut group = c.benchmark_group(format!("read_{name}_50k"));
        group.sample_size(10);
        group.throughput(Throughput::Bytes(doc.len() as u64));
        group.bench_function("wall", |b| b.iter(|| read_all(format, &doc)));
        if cpu_time().is_some() {
            group.bench_function("cpu", |b| {
                b.iter_custom(|iters| {
                    let start = cpu_time().unwrap_or_default();
                    for _ in 0..iters {
                        read_all(format, &doc);
                    }
                    cpu_time().unwrap_or_default().saturating_sub(start)
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
