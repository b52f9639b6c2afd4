//! Package URLs: given ones checked and split, missing ones derived. Parsing, the per-type rules
//! and the canonical spelling come from the `packageurl` crate (kept up to date with the
//! purl-spec test suite); this module only maps purls to Bulwark's ecosystems and names.

use std::str::FromStr;

use packageurl::PackageUrl;

use crate::Ecosystem;

/// A checked package URL and what it says about the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Purl {
    /// The purl type's ecosystem; `generic` for types Bulwark does not know.
    pub ecosystem: Ecosystem,
    /// Namespace and name joined and normalised as [`Ecosystem::join_name`] does.
    pub name: String,
    /// The version, if the purl has one.
    pub version: Option<String>,
    /// The canonical spelling.
    pub text: String,
}

/// Checks and splits a package URL; the error says what is wrong.
pub(crate) fn parse(s: &str) -> Result<Purl, String> {
    let p = PackageUrl::from_str(s.trim())
        .map_err(|e| format!("`{s}` is not a valid package URL: {e}"))?;
    let ecosystem = Ecosystem::from_purl_type(p.ty()).unwrap_or(Ecosystem::Generic);
    Ok(Purl {
        ecosystem,
        name: ecosystem.join_name(p.namespace(), p.name()),
        version: p.version().filter(|v| !v.is_empty()).map(str::to_owned),
        text: p.to_string(),
    })
}

/// The package URL for a package known by ecosystem, full name and version. For ecosystems
/// whose purl namespace is the distribution (deb, apk, rpm, …) there is none unless `distro`
/// is given. The error says why the name cannot form one.
pub(crate) fn derive(
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
    distro: Option<&str>,
    qualifiers: &[(&str, &str)],
) -> Result<Option<String>, String> {
    let (namespace, short) = if ecosystem.namespace_is_distro() {
        match distro {
            Some(d) => (Some(d), name),
            None => return Ok(None),
        }
    } else if ecosystem == Ecosystem::Maven {
        match name.split_once(':') {
            Some((group, artifact)) if !group.is_empty() && !artifact.is_empty() => {
                (Some(group), artifact)
            }
            _ => return Err(format!("a Maven name is `group:artifact`, not `{name}`")),
        }
    } else {
        match name.rsplit_once('/') {
            Some((ns, n)) => (Some(ns), n),
            None => (None, name),
        }
    };
    let built = (|| {
        let mut p = PackageUrl::new(ecosystem.as_str(), short)?;
        if let Some(ns) = namespace {
            p.with_namespace(ns)?;
        }
        p.with_version(version)?;
        for (k, v) in qualifiers {
            p.add_qualifier(*k, *v)?;
        }
        p.validate()?;
        Ok::<_, packageurl::Error>(p.to_string())
    })();
    built
        .map(Some)
        .map_err(|e| format!("`{name}` cannot form a package URL: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_maps_to_ecosystem_names() {
        let p = parse("pkg:npm/%40babel/polyfill@7.10.4").unwrap();
        assert_eq!(p.ecosystem, Ecosystem::Npm);
        assert_eq!(p.name, "@babel/polyfill");
        assert_eq!(p.version.as_deref(), Some("7.10.4"));
        assert_eq!(p.text, "pkg:npm/%40babel/polyfill@7.10.4");

        let p = parse("pkg:maven/org.bouncycastle/bcprov-jdk15on@1.62?type=jar").unwrap();
        assert_eq!(
            (p.ecosystem, p.name.as_str()),
            (Ecosystem::Maven, "org.bouncycastle:bcprov-jdk15on")
        );

        let p = parse("pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=3.20.3").unwrap();
        assert_eq!((p.ecosystem, p.name.as_str()), (Ecosystem::Apk, "musl"));

        let p = parse("pkg:pypi/PyYAML@5.3").unwrap();
        assert_eq!(
            (p.name.as_str(), p.text.as_str()),
            ("pyyaml", "pkg:pypi/pyyaml@5.3")
        );

        let p = parse("pkg:alpine/openssl@3.0.4").unwrap();
        assert_eq!(
            (p.ecosystem, p.name.as_str()),
            (Ecosystem::Generic, "openssl")
        );

        assert_eq!(parse("pkg:cargo/serde").unwrap().version, None);
    }

    #[test]
    fn refuses_what_is_not_a_purl() {
        for bad in [
            "",
            "npm/left-pad@1.0",
            "pkg:",
            "pkg:npm/",
            "pkg:cargo/ns/serde@1",
            "pkg:swift/Alamofire@5",
        ] {
            assert!(parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn derives_purls() {
        let d = |e, n, v| derive(e, n, v, None, &[]).unwrap();
        assert_eq!(
            d(Ecosystem::Pypi, "jinja2", "2.10").as_deref(),
            Some("pkg:pypi/jinja2@2.10")
        );
        assert_eq!(
            d(Ecosystem::Npm, "@babel/core", "7.1.0").as_deref(),
            Some("pkg:npm/%40babel/core@7.1.0")
        );
        assert_eq!(
            d(Ecosystem::Maven, "org.a:b", "1").as_deref(),
            Some("pkg:maven/org.a/b@1")
        );
        assert_eq!(
            d(Ecosystem::Golang, "github.com/pkg/errors", "v0.9.1").as_deref(),
            Some("pkg:golang/github.com/pkg/errors@v0.9.1")
        );
        assert_eq!(d(Ecosystem::Deb, "bash", "5.2"), None);
        assert_eq!(
            derive(
                Ecosystem::Deb,
                "libc6",
                "2.36-9+deb12u4",
                Some("debian"),
                &[("arch", "amd64")]
            )
            .unwrap()
            .as_deref(),
            Some("pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64")
        );
        assert!(derive(Ecosystem::Maven, "no-group", "1", None, &[]).is_err());
        assert!(derive(Ecosystem::Cargo, "a/b", "1", None, &[]).is_err());
    }
}
