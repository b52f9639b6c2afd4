//! One installed software component, and how an SBOM's record becomes one.

use crate::{Ecosystem, cpe, purl};

/// One software component installed on an asset.
///
/// When `purl` is set, `ecosystem`, `name` and `version` are the purl's: an npm name keeps the
/// letter case its record gave (purls lower-case npm names), and a purl type Bulwark does not
/// know (`pkg:alpine/…`, not the registered `apk`) gives the `generic` ecosystem.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Component {
    /// The ecosystem, named as the purl type.
    pub ecosystem: Ecosystem,
    /// The name, normalised for the ecosystem: PyPI per PEP 503, Maven `group:artifact`, npm
    /// `@scope/name` as is, deb and apk in lower case, others as given.
    pub name: String,
    /// The version exactly as given, never normalised.
    pub version: String,
    /// The package URL, in its canonical spelling.
    pub purl: Option<String>,
    /// The CPE as a 2.3 formatted string.
    pub cpe: Option<String>,
}

/// What an SBOM record (CycloneDX component, SPDX package) says about a package.
#[derive(Debug, Default)]
pub(crate) struct Claimed {
    pub group: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub purl: Option<String>,
    pub cpe: Option<String>,
}

impl Claimed {
    /// The component, or each problem as `(field, message)`.
    ///
    /// The purl, when there is one, decides the ecosystem, the name and the version: SBOM tools
    /// fill `group` and `name` loosely (SPDX names are display names such as `OpenSSL`, some
    /// tools leave the Maven group out of `group`), while the purl is what advisories are keyed
    /// on. Without a purl the component is `generic`, named `group/name`.
    pub(crate) fn resolve(self, mut report: impl FnMut(&'static str, String)) -> Option<Component> {
        let mut ok = true;
        let cpe = self.cpe.and_then(|c| {
            cpe::normalise(&c)
                .map_err(|e| {
                    ok = false;
                    report("cpe", e);
                })
                .ok()
        });
        let purl = self.purl.and_then(|p| {
            purl::parse(&p)
                .map_err(|e| {
                    ok = false;
                    report("purl", e);
                })
                .ok()
        });
        let Some(name) = self.name else {
            report("name", "is missing or empty".into());
            return None;
        };
        let (ecosystem, name, version, purl) = match purl {
            Some(p) => {
                let given = p.ecosystem.join_name(self.group.as_deref(), &name);
                let name = if p.ecosystem == Ecosystem::Npm && given.eq_ignore_ascii_case(&p.name) {
                    given
                } else {
                    p.name
                };
                (p.ecosystem, name, p.version.or(self.version), Some(p.text))
            }
            None => {
                let name = match self.group.filter(|g| !g.is_empty()) {
                    Some(g) => format!("{g}/{name}"),
                    None => name,
                };
                (Ecosystem::Generic, name, self.version, None)
            }
        };
        let Some(version) = version else {
            report("version", "is missing or empty".into());
            return None;
        };
        ok.then_some(Component {
            ecosystem,
            name,
            version,
            purl,
            cpe,
        })
    }
}

/// `name@version`, or the name alone, for a summary's subject.
pub(crate) fn display(name: &str, version: Option<&str>) -> String {
    match version {
        Some(v) => format!("{name}@{v}"),
        None => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(c: Claimed) -> Result<Component, Vec<(&'static str, String)>> {
        let mut problems = Vec::new();
        match c.resolve(|f, m| problems.push((f, m))) {
            Some(c) if problems.is_empty() => Ok(c),
            _ => Err(problems),
        }
    }

    fn claimed(
        group: Option<&str>,
        name: &str,
        version: Option<&str>,
        purl: Option<&str>,
    ) -> Claimed {
        Claimed {
            group: group.map(Into::into),
            name: Some(name.into()),
            version: version.map(Into::into),
            purl: purl.map(Into::into),
            cpe: None,
        }
    }

    #[test]
    fn the_purl_decides_the_identity() {
        let c = resolve(claimed(
            None,
            "OpenSSL",
            Some("3.0.4"),
            Some("pkg:apk/alpine/openssl@3.0.4"),
        ))
        .unwrap();
        assert_eq!(
            (c.ecosystem, c.name.as_str(), c.version.as_str()),
            (Ecosystem::Apk, "openssl", "3.0.4")
        );
        let c = resolve(claimed(
            None,
            "jackson-databind",
            Some("2.9"),
            Some("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9"),
        ))
        .unwrap();
        assert_eq!(c.name, "com.fasterxml.jackson.core:jackson-databind");
        let c = resolve(claimed(
            None,
            "JSONStream",
            Some("1.3.5"),
            Some("pkg:npm/jsonstream@1.3.5"),
        ))
        .unwrap();
        assert_eq!(
            (c.name.as_str(), c.purl.as_deref()),
            ("JSONStream", Some("pkg:npm/jsonstream@1.3.5"))
        );
        let c = resolve(claimed(
            Some("@babel"),
            "core",
            None,
            Some("pkg:npm/%40babel/core@7.1.0"),
        ))
        .unwrap();
        assert_eq!(
            (c.name.as_str(), c.version.as_str()),
            ("@babel/core", "7.1.0")
        );
        let c = resolve(claimed(
            None,
            "serde",
            Some("1.0.1"),
            Some("pkg:cargo/serde"),
        ))
        .unwrap();
        assert_eq!(c.version, "1.0.1");
    }

    #[test]
    fn without_a_purl_the_component_is_generic() {
        let c = resolve(claimed(
            Some("org.example"),
            "mylibrary",
            Some("1.0.0"),
            None,
        ))
        .unwrap();
        assert_eq!(
            (c.ecosystem, c.name.as_str(), c.purl),
            (Ecosystem::Generic, "org.example/mylibrary", None)
        );
    }

    #[test]
    fn every_problem_is_reported() {
        let mut c = claimed(None, "x", None, Some("pkg:cargo/serde"));
        c.cpe = Some("cpe:2.3:a:broken".into());
        let problems = resolve(c).unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.0).collect();
        assert_eq!(fields, ["cpe", "version"]);
        let problems = resolve(Claimed {
            purl: Some("nope".into()),
            ..Claimed::default()
        })
        .unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.0).collect();
        assert_eq!(fields, ["purl", "name"]);
    }
}
