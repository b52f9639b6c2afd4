//! The readers against the real files in `shared/data/sbom/` (see `shared/data/README.md` for
//! where each comes from and what it holds).

use std::collections::HashSet;
use std::io::BufReader;
use std::ops::ControlFlow;
use std::path::PathBuf;

use bulwark_sbom::{Component, Ecosystem, Format, ReadError, Summary, read};

/// Reads a data file whole, with the format `Format::detect` finds for it: the distinct
/// components in file order (repeats dropped, as the application drops them) and the summary.
fn read_file(name: &str, format: Format) -> (Vec<Component>, Summary) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/sbom")
        .join(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| {
        panic!(
            "test data file {} is missing ({e}): the tests need shared/data/sbom/ beside the clone, as CI has it",
            path.display()
        )
    });
    let mut head = vec![0; 4096];
    let n = std::io::Read::read(&mut &file, &mut head).expect("readable");
    assert_eq!(
        Format::detect(name, &head[..n]),
        Some(format),
        "detecting {name}"
    );
    let file = std::fs::File::open(&path).expect("readable");
    let mut got = Vec::new();
    let mut seen = HashSet::new();
    match read(format, BufReader::new(file), |c| {
        if seen.insert((c.ecosystem, c.name.clone(), c.version.clone())) {
            got.push(c);
        }
        ControlFlow::Continue(())
    }) {
        Ok(summary) => (got, summary),
        Err(ReadError::Invalid(problems)) => panic!("{name} was refused: {problems:#?}"),
        Err(ReadError::Stopped) => unreachable!("the sink never stops"),
    }
}

fn find<'a>(got: &'a [Component], ecosystem: Ecosystem, name: &str) -> &'a Component {
    got.iter()
        .find(|c| c.ecosystem == ecosystem && c.name == name)
        .unwrap_or_else(|| panic!("{ecosystem}/{name} not found"))
}

/// Distinct components, repeats of one already read, and records skipped.
fn counts(s: &Summary, got: &[Component]) -> (u64, u64, u64) {
    let distinct = got.len() as u64;
    (distinct, s.components - distinct, s.skipped)
}

#[test]
fn juice_shop_cyclonedx_1_4() {
    let (got, s) = read_file("juice-shop.cdx.json", Format::CycloneDx);
    // 1,115 components; 137 repeat a name and version already listed (nested node_modules).
    assert_eq!(counts(&s, &got), (978, 137, 0));
    assert_eq!(got.len(), 978);
    assert_eq!(s.spec_version.as_deref(), Some("1.4"));
    assert_eq!(s.subject.as_deref(), Some("juice-shop@14.1.1"));
    assert!(
        got.iter()
            .all(|c| c.ecosystem == Ecosystem::Npm && c.purl.is_some())
    );
    let express = find(&got, Ecosystem::Npm, "express");
    assert_eq!(express.version, "4.18.2");
    assert_eq!(express.purl.as_deref(), Some("pkg:npm/express@4.18.2"));
    let parser = find(&got, Ecosystem::Npm, "@babel/parser");
    assert_eq!(
        parser.purl.as_deref(),
        Some("pkg:npm/%40babel/parser@7.21.2#packages/babel-parser")
    );
}

#[test]
fn protonmail_cyclonedx_1_2() {
    let (got, s) = read_file("protonmail.cdx.json", Format::CycloneDx);
    assert_eq!(counts(&s, &got), (883, 0, 0));
    assert_eq!(s.spec_version.as_deref(), Some("1.2"));
    assert_eq!(s.subject.as_deref(), Some("protonmail-web@4.0.0-beta.20"));
    let polyfill = find(&got, Ecosystem::Npm, "@babel/polyfill");
    assert_eq!(polyfill.version, "7.10.4");
    assert_eq!(
        polyfill.purl.as_deref(),
        Some("pkg:npm/%40babel/polyfill@7.10.4")
    );
    assert_eq!(find(&got, Ecosystem::Npm, "angular").version, "1.8.0");
}

#[test]
fn keycloak_cyclonedx_maven() {
    let (got, s) = read_file("keycloak.cdx.json", Format::CycloneDx);
    // The test-jar of integration-arquillian-tests-base repeats its jar's name and version.
    assert_eq!(counts(&s, &got), (902, 1, 0));
    assert_eq!(
        s.subject.as_deref(),
        Some("org.keycloak/keycloak-parent@10.0.2")
    );
    assert!(got.iter().all(|c| c.ecosystem == Ecosystem::Maven));
    let databind = find(
        &got,
        Ecosystem::Maven,
        "com.fasterxml.jackson.core:jackson-databind",
    );
    assert_eq!(databind.version, "2.10.1");
    assert_eq!(
        databind.purl.as_deref(),
        Some("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.1?type=jar")
    );
    assert_eq!(
        find(&got, Ecosystem::Maven, "org.keycloak:keycloak-core").version,
        "10.0.2"
    );
}

#[test]
fn cyclonedx_1_5_kitchen_sink() {
    let (got, s) = read_file("cyclonedx-1.5-kitchen-sink.cdx.json", Format::CycloneDx);
    assert_eq!(counts(&s, &got), (2, 0, 0));
    assert_eq!(s.spec_version.as_deref(), Some("1.5"));
    assert_eq!(s.subject.as_deref(), Some("Acme Application@9.1.1"));
    // The first component's purl (npm acme/component 1.0.0) disagrees with its name and
    // version (com.acme tomcat-catalina 9.0.14): the purl decides.
    let first = find(&got, Ecosystem::Npm, "acme/component");
    assert_eq!(first.version, "1.0.0");
    // No purl: a generic component named group/name.
    let second = find(&got, Ecosystem::Generic, "org.example/mylibrary");
    assert_eq!(
        (second.version.as_str(), second.purl.as_deref()),
        ("1.0.0", None)
    );
}

#[test]
fn container_image_cyclonedx_1_6() {
    let (got, s) = read_file("container-image-1.6.cdx.json", Format::CycloneDx);
    // 23 components: dom4j twice, and the operating system without a purl.
    assert_eq!(counts(&s, &got), (22, 1, 0));
    assert_eq!(s.spec_version.as_deref(), Some("1.6"));
    assert_eq!(s.subject.as_deref(), Some("trivy-test-image"));
    let musl = find(&got, Ecosystem::Apk, "musl");
    assert_eq!(musl.version, "1.2.5-r0");
    assert_eq!(
        musl.purl.as_deref(),
        Some("pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=3.20.3")
    );
    assert_eq!(
        find(&got, Ecosystem::Maven, "org.dom4j:dom4j").version,
        "2.1.4"
    );
    let os = find(&got, Ecosystem::Generic, "alpine");
    assert_eq!((os.version.as_str(), os.purl.as_deref()), ("3.20.3", None));
    assert_eq!(
        got.iter().filter(|c| c.ecosystem == Ecosystem::Apk).count(),
        20
    );
}

#[test]
fn spdx_example11_deb_and_cargo() {
    let (got, s) = read_file("spdx-example11.spdx.json", Format::Spdx);
    assert_eq!(counts(&s, &got), (4, 0, 0));
    assert_eq!(s.spec_version.as_deref(), Some("2.3"));
    assert_eq!(s.subject.as_deref(), Some("hello-server-src@0.1.0"));
    assert_eq!(find(&got, Ecosystem::Cargo, "tokio").version, "1.19.2");
    let logger = find(&got, Ecosystem::Cargo, "pretty_env_logger");
    assert_eq!(
        logger.purl.as_deref(),
        Some("pkg:cargo/pretty_env_logger@0.4.0")
    );
    // The described package's purl names a Debian package, which decides its identity.
    let deb = find(&got, Ecosystem::Deb, "libselinux1-dev");
    assert_eq!(
        deb.purl.as_deref(),
        Some("pkg:deb/debian/libselinux1-dev@3.1-3?arch=s390x")
    );
}

#[test]
fn spdx_acme() {
    let (got, s) = read_file("spdx-acme.spdx.json", Format::Spdx);
    // The described application has a version, so it is software and kept (generic).
    assert_eq!(counts(&s, &got), (4, 0, 0));
    assert_eq!(s.subject.as_deref(), Some("Acme Applcation@2.3"));
    assert_eq!(find(&got, Ecosystem::Npm, "elliptic").version, "6.5.2");
    assert_eq!(
        find(&got, Ecosystem::Generic, "Acme Applcation").version,
        "2.3"
    );
    assert_eq!(find(&got, Ecosystem::Generic, "alpine").version, "latest");
    // `pkg:alpine/…` is not a registered purl type (that is `apk`): generic, purl kept.
    let openssl = find(&got, Ecosystem::Generic, "openssl");
    assert_eq!(openssl.purl.as_deref(), Some("pkg:alpine/openssl@3.0.4"));
}

#[test]
fn spdx_postgresql_with_cpes() {
    let (got, s) = read_file("postgresql-bitnami.spdx.json", Format::Spdx);
    assert_eq!(counts(&s, &got), (4, 0, 0));
    assert_eq!(s.subject.as_deref(), Some("PostgreSQL@15.3.0"));
    assert!(
        got.iter()
            .all(|c| c.ecosystem == Ecosystem::Bitnami && c.cpe.is_some())
    );
    let pg = find(&got, Ecosystem::Bitnami, "postgresql");
    assert_eq!(pg.version, "15.3.0");
    assert_eq!(pg.purl.as_deref(), Some("pkg:bitnami/postgresql@15.3.0"));
    assert_eq!(
        pg.cpe.as_deref(),
        Some("cpe:2.3:*:postgresql:postgresql:15.3.0:*:*:*:*:*:*:*")
    );
    assert_eq!(
        find(&got, Ecosystem::Bitnami, "gdal").cpe.as_deref(),
        Some("cpe:2.3:*:osgeo:gdal:3.7.1:*:*:*:*:*:*:*")
    );
}

#[test]
fn debian_dpkg_status() {
    let (got, s) = read_file("debian-dpkg-status", Format::Dpkg);
    assert_eq!(counts(&s, &got), (720, 0, 0));
    assert!(got.iter().all(|c| c.ecosystem == Ecosystem::Deb));
    let bash = find(&got, Ecosystem::Deb, "bash");
    assert_eq!(bash.version, "5.2.15-2+b8");
    assert_eq!(
        bash.purl.as_deref(),
        Some("pkg:deb/debian/bash@5.2.15-2%2Bb8?arch=amd64")
    );
    let libc = find(&got, Ecosystem::Deb, "libc6");
    assert_eq!(libc.version, "2.36-9+deb12u14");
    let adduser = find(&got, Ecosystem::Deb, "adduser");
    assert_eq!(
        adduser.purl.as_deref(),
        Some("pkg:deb/debian/adduser@3.134?arch=all")
    );
}

#[test]
fn pip_freeze_names_follow_pep_503() {
    let (got, s) = read_file("requirements-freeze.txt", Format::Pip);
    assert_eq!(counts(&s, &got), (21, 0, 0));
    let names: Vec<_> = got.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "asgiref",
            "certifi",
            "cffi",
            "chardet",
            "click",
            "cryptography",
            "django",
            "flask",
            "idna",
            "itsdangerous",
            "jinja2",
            "markupsafe",
            "paramiko",
            "pycparser",
            "pytz",
            "pyyaml",
            "requests",
            "six",
            "sqlparse",
            "urllib3",
            "werkzeug"
        ]
    );
    let django = find(&got, Ecosystem::Pypi, "django");
    assert_eq!(django.version, "3.2");
    assert_eq!(django.purl.as_deref(), Some("pkg:pypi/django@3.2"));
    assert_eq!(find(&got, Ecosystem::Pypi, "pyyaml").version, "5.3");
}

#[test]
fn cargo_lock_v4() {
    let (got, s) = read_file("rust-project.Cargo.lock", Format::CargoLock);
    assert_eq!(counts(&s, &got), (678, 0, 0));
    assert_eq!(s.spec_version.as_deref(), Some("4"));
    assert_eq!(got.iter().filter(|c| c.purl.is_some()).count(), 669);
    let serde = find(&got, Ecosystem::Cargo, "serde");
    assert_eq!(serde.version, "1.0.229");
    assert_eq!(serde.purl.as_deref(), Some("pkg:cargo/serde@1.0.229"));
    let own = find(&got, Ecosystem::Cargo, "rsigma");
    assert_eq!(
        (own.version.as_str(), own.purl.as_deref()),
        ("0.21.0", None)
    );
}

#[test]
fn npm_package_lock_v3() {
    let (got, s) = read_file("package-lock.json", Format::NpmLock);
    // 1,589 entries besides the root: 19 links skipped, 92 repeat a name and version.
    assert_eq!(counts(&s, &got), (1478, 92, 20));
    assert_eq!(s.spec_version.as_deref(), Some("3"));
    assert_eq!(s.subject.as_deref(), Some("probo"));
    let react = find(&got, Ecosystem::Npm, "react");
    assert_eq!(react.version, "19.2.8");
    assert_eq!(react.purl.as_deref(), Some("pkg:npm/react@19.2.8"));
    // In file order: apps/compliance-portal's own copy comes before the hoisted one.
    let babel: Vec<_> = got
        .iter()
        .filter(|c| c.name == "@babel/core")
        .map(|c| (c.version.as_str(), c.purl.as_deref().unwrap_or_default()))
        .collect();
    assert_eq!(
        babel,
        [
            ("8.0.1", "pkg:npm/%40babel/core@8.0.1"),
            ("7.29.7", "pkg:npm/%40babel/core@7.29.7")
        ]
    );
    // Installed under an alias: the real name comes from the `name` field.
    assert!(
        got.iter()
            .any(|c| c.name == "web-vitals" && c.version == "6.0.0")
    );
    // A workspace package: kept, without a registry purl.
    let ui = find(&got, Ecosystem::Npm, "@probo/ui");
    assert_eq!((ui.version.as_str(), ui.purl.as_deref()), ("1.0.0", None));
}
