//! npm `package-lock.json`, lockfileVersion 2 and 3: the `packages` map, keyed by install path.
//!
//! A package's name is its `name` field (set for aliases and workspace packages), else what
//! follows the last `node_modules/` of its path. The root entry `""` (the project itself, the
//! summary's subject) and `link: true` entries are skipped. Workspace packages (paths outside
//! `node_modules/`) are kept without a purl, as are packages whose `resolved` is not an
//! http(s) URL (git or file dependencies): their purl would name a registry package they are
//! not. lockfileVersion 1 (npm 6) has no `packages` map and is refused.

use std::io::Read;

use bulwark_core::InputProblem;
use serde::de::{IgnoredAny, MapAccess};

use crate::component::display;
use crate::json::{self, Fields, Handler, Leaf, Path, Shape, text};
use crate::output::{About, Output};
use crate::{Component, Ecosystem, purl};

/// Reads a package-lock.json.
pub(crate) fn read(input: impl Read, out: &mut Output<'_>) -> About {
    let mut top = Top::default();
    let walk = json::walk(
        input,
        Document {
            out: &mut *out,
            top: &mut top,
        },
    );
    let mut about = About {
        spec_version: None,
        subject: top.root.take(),
    };
    if !json::finished(walk, out) || !top.is_object {
        return about;
    }
    match top.lockfile_version.as_ref().and_then(|v| match v {
        Leaf::Number(n) => n.as_u64(),
        _ => None,
    }) {
        Some(v @ (2 | 3)) => {
            about.spec_version = Some(v.to_string());
            if !top.has_packages {
                out.problem(json::top_problem("packages", "is missing"));
            }
        }
        Some(1) => out.problem(json::top_problem(
            "lockfileVersion",
            "lockfileVersion 1 (npm 6 and older) is not read: upgrade the lockfile with npm 7 or \
             newer (`npm install --package-lock-only`) and import the new file",
        )),
        Some(v) => out.problem(json::top_problem(
            "lockfileVersion",
            format!("lockfileVersion {v} is not read: 2 and 3 are"),
        )),
        None => out.problem(json::top_problem(
            "lockfileVersion",
            match &top.lockfile_version {
                None => "is missing: this is not an npm package-lock.json".to_owned(),
                Some(other) => format!("must be a whole number, not {}", other.kind()),
            },
        )),
    }
    if about.subject.is_none()
        && let Some(name) = json::top_text(top.name.take(), out, "name")
    {
        about.subject = Some(display(&name, None));
    }
    about
}

#[derive(Default)]
struct Top {
    is_object: bool,
    lockfile_version: Option<Leaf>,
    name: Option<Leaf>,
    has_packages: bool,
    /// The root entry as `name@version`.
    root: Option<String>,
}

struct Document<'a, 's> {
    out: &'a mut Output<'s>,
    top: &'a mut Top,
}

impl<'de> Handler<'de> for Document<'_, '_> {
    type Out = ();

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Document { out, top } = self;
        top.is_object = true;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "lockfileVersion" => top.lockfile_version = Some(map.next_value()?),
                "name" => top.name = Some(map.next_value()?),
                "packages" => {
                    top.has_packages = true;
                    map.next_value_seed(Shape(Packages {
                        out: &mut *out,
                        root: &mut top.root,
                    }))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn other(self, leaf: Leaf) {
        self.out.problem(InputProblem::whole(format!(
            "a package-lock.json is a JSON object, not {}",
            leaf.kind()
        )));
    }
}

/// The `packages` map.
struct Packages<'a, 's> {
    out: &'a mut Output<'s>,
    root: &'a mut Option<String>,
}

impl<'de> Handler<'de> for Packages<'_, '_> {
    type Out = ();

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let packages = Path::root("packages");
        while let Some(key) = map.next_key::<String>()? {
            let at = packages.key(&key);
            let names = ["name", "version", "link", "resolved"];
            let fields = map.next_value_seed(Shape(Fields::new(&mut *self.out, at, names)))?;
            if key.is_empty() {
                self.out.skip();
                let [name, version, ..] = fields;
                let name = text(name, self.out, &at, "name");
                let version = text(version, self.out, &at, "version");
                *self.root = name.map(|n| display(&n, version.as_deref()));
            } else if let Some(c) = entry(&key, fields, self.out, &at) {
                json::proceed(self.out.deliver(c))?;
            }
        }
        Ok(())
    }

    fn other(self, leaf: Leaf) {
        let p =
            Path::root("packages").value_problem(format!("must be an object, not {}", leaf.kind()));
        self.out.problem(p);
    }
}

/// The component for one entry, `None` when it is skipped or has problems.
fn entry(
    key: &str,
    [name, version, link, resolved]: [Option<Leaf>; 4],
    out: &mut Output<'_>,
    at: &Path<'_>,
) -> Option<Component> {
    match link {
        Some(Leaf::Bool(true)) => {
            out.skip();
            return None;
        }
        None | Some(Leaf::Bool(false)) | Some(Leaf::Null) => {}
        Some(other) => {
            out.problem(at.problem(
                "link",
                format!("must be true or false, not {}", other.kind()),
            ));
            return None;
        }
    }
    let installed = key.rsplit_once("node_modules/").map(|(_, n)| n);
    let name = text(name, out, at, "name").or_else(|| installed.map(str::to_owned));
    let version = text(version, out, at, "version");
    let resolved = text(resolved, out, at, "resolved");
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        out.problem(at.problem("name", "is missing, and the path names no package"));
        return None;
    };
    let Some(version) = version else {
        out.problem(at.problem("version", "is missing or empty"));
        return None;
    };
    let from_registry = installed.is_some()
        && resolved.is_none_or(|r| r.starts_with("https://") || r.starts_with("http://"));
    let purl = if from_registry {
        match purl::derive(Ecosystem::Npm, &name, &version, None, &[]) {
            Ok(p) => p,
            Err(e) => {
                out.problem(at.problem("name", e));
                return None;
            }
        }
    } else {
        None
    };
    Some(Component {
        ecosystem: Ecosystem::Npm,
        name,
        version,
        purl,
        cpe: None,
    })
}

#[cfg(test)]
mod tests {
    use crate::testing::{problems, read_str};
    use crate::{Ecosystem, Format};

    #[test]
    fn entries_become_components() {
        let text = r#"{"name": "app", "version": "1.0.0", "lockfileVersion": 2, "packages": {
            "": {"name": "app", "version": "1.0.0"},
            "node_modules/JSONStream": {"version": "1.3.5", "resolved": "https://registry.npmjs.org/JSONStream/-/JSONStream-1.3.5.tgz"},
            "node_modules/@types/node": {"version": "20.1.0", "dev": true},
            "node_modules/a/node_modules/@types/node": {"version": "20.1.0"},
            "node_modules/alias": {"name": "real", "version": "2.0.0"},
            "node_modules/from-git": {"version": "3.0.0", "resolved": "git+ssh://git@github.com/x/from-git.git#abc"},
            "node_modules/linked": {"resolved": "packages/linked", "link": true},
            "packages/linked": {"name": "linked", "version": "0.1.0"}
        }, "dependencies": {"JSONStream": {"version": "1.3.5"}}}"#;
        let (got, s) = read_str(Format::NpmLock, text).unwrap();
        let got: Vec<_> = got
            .iter()
            .map(|c| (c.name.as_str(), c.version.as_str(), c.purl.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("JSONStream", "1.3.5", Some("pkg:npm/jsonstream@1.3.5")),
                (
                    "@types/node",
                    "20.1.0",
                    Some("pkg:npm/%40types/node@20.1.0")
                ),
                (
                    "@types/node",
                    "20.1.0",
                    Some("pkg:npm/%40types/node@20.1.0")
                ),
                ("real", "2.0.0", Some("pkg:npm/real@2.0.0")),
                ("from-git", "3.0.0", None),
                ("linked", "0.1.0", None),
            ]
        );
        assert_eq!((s.components, s.skipped), (6, 2));
        assert_eq!(
            (s.spec_version.as_deref(), s.subject.as_deref()),
            (Some("2"), Some("app@1.0.0"))
        );
        assert!(
            read_str(Format::NpmLock, text)
                .unwrap()
                .0
                .iter()
                .all(|c| c.ecosystem == Ecosystem::Npm)
        );
    }

    #[test]
    fn lockfile_version_1_is_refused() {
        let text = r#"{"name": "old", "version": "1.0.0", "lockfileVersion": 1, "requires": true,
                       "dependencies": {"left-pad": {"version": "1.3.0"}}}"#;
        let got = problems(Format::NpmLock, text);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].2.as_deref(), Some("lockfileVersion"));
        assert!(
            got[0]
                .3
                .starts_with("lockfileVersion 1 (npm 6 and older) is not read"),
            "{}",
            got[0].3
        );
        assert_eq!(
            problems(Format::NpmLock, r#"{"lockfileVersion": 4, "packages": {}}"#)[0].3,
            "lockfileVersion 4 is not read: 2 and 3 are"
        );
        assert_eq!(
            problems(
                Format::NpmLock,
                r#"{"lockfileVersion": "3", "packages": {}}"#
            )[0]
            .3,
            "must be a whole number, not a string"
        );
        assert_eq!(
            problems(Format::NpmLock, r#"{"lockfileVersion": 3}"#)[0]
                .2
                .as_deref(),
            Some("packages")
        );
    }

    #[test]
    fn entry_problems_name_the_path() {
        let text = r#"{"lockfileVersion": 3, "packages": {
            "node_modules/no-version": {"resolved": "https://registry.npmjs.org/x"},
            "packages/nameless": {"version": "1.0.0"},
            "node_modules/odd": {"version": "1.0.0", "link": "yes"}
        }}"#;
        let got: Vec<_> = problems(Format::NpmLock, text)
            .into_iter()
            .map(|p| (p.1.unwrap(), p.2.unwrap(), p.3))
            .collect();
        assert_eq!(
            got,
            [
                (
                    r#"packages["node_modules/no-version"]"#.into(),
                    "version".into(),
                    "is missing or empty".into()
                ),
                (
                    r#"packages["packages/nameless"]"#.into(),
                    "name".into(),
                    "is missing, and the path names no package".into()
                ),
                (
                    r#"packages["node_modules/odd"]"#.into(),
                    "link".into(),
                    "must be true or false, not a string".into()
                ),
            ]
        );
    }
}
