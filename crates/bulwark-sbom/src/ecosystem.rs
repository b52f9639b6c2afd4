//! Package ecosystems, named as package-URL types, and how each one spells a package's name.

use std::fmt;

/// Declares [`Ecosystem`] from one list: variant, purl type, and other names accepted by `parse`.
macro_rules! ecosystems {
    ($($(#[$doc:meta])* $variant:ident = $purl:literal $(| $alias:literal)*,)*) => {
        /// A package ecosystem, named as its package-URL type (`npm`, `pypi`, `cargo`, `deb`, …).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Ecosystem {
            $($(#[$doc])* $variant,)*
        }

        impl Ecosystem {
            /// Every ecosystem, in declaration order.
            pub const ALL: &'static [Ecosystem] = &[$(Ecosystem::$variant,)*];

            /// The package-URL type, which is also the ecosystem's name in Bulwark.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Ecosystem::$variant => $purl,)*
                }
            }

            /// Reads a name given by a person: the purl type or the OSV ecosystem name
            /// (`PyPI`, `crates.io`, `Go`, `Debian`, …), in any letter case.
            pub fn parse(s: &str) -> Option<Ecosystem> {
                let s = s.trim();
                $(
                    if s.eq_ignore_ascii_case($purl) $(|| s.eq_ignore_ascii_case($alias))* {
                        return Some(Ecosystem::$variant);
                    }
                )*
                None
            }

            /// The ecosystem of an (already lower-cased) purl type, if Bulwark knows it.
            pub(crate) fn from_purl_type(ty: &str) -> Option<Ecosystem> {
                match ty {
                    $($purl => Some(Ecosystem::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

ecosystems! {
    /// Arch Linux packages.
    Alpm = "alpm" | "Arch Linux",
    /// Alpine Linux packages.
    Apk = "apk" | "Alpine",
    /// Bitbucket repositories.
    Bitbucket = "bitbucket",
    /// Bitnami packages.
    Bitnami = "bitnami" | "Bitnami",
    /// Rust crates.
    Cargo = "cargo" | "crates.io",
    /// CocoaPods.
    Cocoapods = "cocoapods" | "CocoaPods",
    /// PHP Composer (Packagist).
    Composer = "composer" | "Packagist",
    /// C/C++ Conan packages.
    Conan = "conan" | "ConanCenter",
    /// Conda packages.
    Conda = "conda",
    /// Perl CPAN distributions.
    Cpan = "cpan" | "CPAN",
    /// R packages from CRAN.
    Cran = "cran" | "CRAN",
    /// Debian and Ubuntu packages.
    Deb = "deb" | "Debian" | "Ubuntu",
    /// Docker images.
    Docker = "docker",
    /// Ruby gems.
    Gem = "gem" | "RubyGems",
    /// Anything without a more precise ecosystem.
    Generic = "generic",
    /// GitHub repositories.
    Github = "github" | "GitHub Actions",
    /// Go modules.
    Golang = "golang" | "Go",
    /// Haskell packages.
    Hackage = "hackage" | "Hackage",
    /// Erlang and Elixir packages from Hex.
    Hex = "hex" | "Hex",
    /// Hugging Face models.
    Huggingface = "huggingface",
    /// Julia packages.
    Julia = "julia" | "Julia",
    /// Lua rocks.
    Luarocks = "luarocks",
    /// Java Maven artifacts.
    Maven = "maven" | "Maven",
    /// MLflow models.
    Mlflow = "mlflow",
    /// Node.js npm packages.
    Npm = "npm",
    /// .NET NuGet packages.
    Nuget = "nuget" | "NuGet",
    /// OCI images.
    Oci = "oci",
    /// Dart and Flutter pub packages.
    Pub = "pub" | "Pub",
    /// Python packages from PyPI.
    Pypi = "pypi" | "PyPI",
    /// QNAP packages.
    Qpkg = "qpkg",
    /// RPM packages (Red Hat, Fedora, SUSE, …).
    Rpm = "rpm" | "Red Hat" | "Rocky Linux" | "AlmaLinux" | "SUSE" | "openSUSE",
    /// Software identification tags (ISO/IEC 19770-2).
    Swid = "swid",
    /// Swift packages.
    Swift = "swift" | "SwiftURL",
}

impl Ecosystem {
    /// Whether the purl namespace is the distribution (`pkg:deb/debian/…`) rather than part of
    /// the package's name.
    pub(crate) fn namespace_is_distro(self) -> bool {
        matches!(
            self,
            Ecosystem::Alpm | Ecosystem::Apk | Ecosystem::Deb | Ecosystem::Rpm | Ecosystem::Qpkg
        )
    }

    /// The name as Bulwark keeps it: PyPI names per PEP 503 (lower case, runs of `-_.` become
    /// `-`), Debian and Alpine names in lower case, every other name as given.
    pub fn normalise_name(self, name: &str) -> String {
        match self {
            Ecosystem::Pypi => pep503(name),
            Ecosystem::Deb | Ecosystem::Apk => name.to_lowercase(),
            _ => name.to_owned(),
        }
    }

    /// The full name from a purl-style namespace and name: `group:artifact` for Maven, the bare
    /// name where the namespace is a distribution, `namespace/name` otherwise (npm `@scope/name`,
    /// Go module paths, Composer `vendor/package`); then normalised.
    pub(crate) fn join_name(self, namespace: Option<&str>, name: &str) -> String {
        match namespace.filter(|ns| !ns.is_empty()) {
            Some(ns) if self == Ecosystem::Maven => self.normalise_name(&format!("{ns}:{name}")),
            Some(ns) if !self.namespace_is_distro() => self.normalise_name(&format!("{ns}/{name}")),
            _ => self.normalise_name(name),
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// PEP 503 normalisation: lower case, and every run of `-`, `_` and `.` becomes one `-`.
fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_round_trip_and_aliases_are_accepted() {
        for &e in Ecosystem::ALL {
            assert_eq!(Ecosystem::parse(e.as_str()), Some(e));
            assert_eq!(Ecosystem::from_purl_type(e.as_str()), Some(e));
        }
        assert_eq!(Ecosystem::parse("PyPI"), Some(Ecosystem::Pypi));
        assert_eq!(Ecosystem::parse(" crates.io "), Some(Ecosystem::Cargo));
        assert_eq!(Ecosystem::parse("Go"), Some(Ecosystem::Golang));
        assert_eq!(Ecosystem::parse("NPM"), Some(Ecosystem::Npm));
        assert_eq!(Ecosystem::parse("cobol"), None);
        assert_eq!(Ecosystem::from_purl_type("PyPI"), None);
    }

    #[test]
    fn names_are_normalised_per_ecosystem() {
        assert_eq!(Ecosystem::Pypi.normalise_name("Jinja2"), "jinja2");
        assert_eq!(
            Ecosystem::Pypi.normalise_name("zope.interface"),
            "zope-interface"
        );
        assert_eq!(
            Ecosystem::Pypi.normalise_name("Foo__Bar-._baz"),
            "foo-bar-baz"
        );
        assert_eq!(Ecosystem::Deb.normalise_name("LibFoo"), "libfoo");
        assert_eq!(Ecosystem::Npm.normalise_name("JSONStream"), "JSONStream");
        assert_eq!(
            Ecosystem::Maven.join_name(Some("org.keycloak"), "keycloak-core"),
            "org.keycloak:keycloak-core"
        );
        assert_eq!(
            Ecosystem::Npm.join_name(Some("@babel"), "core"),
            "@babel/core"
        );
        assert_eq!(Ecosystem::Deb.join_name(Some("debian"), "Bash"), "bash");
        assert_eq!(
            Ecosystem::Golang.join_name(Some("github.com/pkg"), "errors"),
            "github.com/pkg/errors"
        );
        assert_eq!(Ecosystem::Cargo.join_name(None, "serde"), "serde");
    }

    proptest! {
        #[test]
        fn pep503_is_idempotent_and_has_no_runs(name in "[A-Za-z0-9._-]{1,30}") {
            let once = pep503(&name);
            prop_assert_eq!(pep503(&once), once.clone());
            prop_assert!(!once.contains("--") && !once.contains('_') && !once.contains('.'));
            prop_assert_eq!(once.to_lowercase(), once);
        }
    }
}
