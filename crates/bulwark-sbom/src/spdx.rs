//! SPDX JSON 2.3 (and 2.2): `packages[]` with `name`, `versionInfo` and `externalRefs[]` — the
//! first `PACKAGE-MANAGER` (or `PACKAGE_MANAGER`) `purl`, the first `SECURITY` `cpe23Type`
//! (else `cpe22Type`). `NOASSERTION` and `NONE` versions count as none.
//!
//! The packages the document describes (`documentDescribes`, or `DESCRIBES` relationships of
//! `SPDXRef-DOCUMENT`) name the summary's subject. Such a package is skipped only when it is
//! clearly not software: its `primaryPackagePurpose` is `CONTAINER`, `FILE`, `ARCHIVE` or
//! `DEVICE`, or it has nothing to match advisories on (no version, purl or CPE), as tools
//! write for a scanned folder or image. Otherwise (PostgreSQL described by its own SBOM) it is
//! software and is kept. Packages that might be skipped are held until the end of the document,
//! since the relationships may come after the packages.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use bulwark_core::InputProblem;
use serde::de::{IgnoredAny, MapAccess, SeqAccess};

use crate::component::{Claimed, display};
use crate::json::{self, Array, Elements, Fields, Handler, Leaf, Path, Shape, text};
use crate::output::{About, Output};

/// The versions read, as `spdxVersion` spells them.
const SPDX_VERSIONS: [&str; 2] = ["SPDX-2.2", "SPDX-2.3"];

/// The document's own identifier, fixed by the specification.
const DOCUMENT: &str = "SPDXRef-DOCUMENT";

/// Package purposes that are not software to match advisories against.
const NOT_SOFTWARE: [&str; 4] = ["CONTAINER", "FILE", "ARCHIVE", "DEVICE"];

/// Reads an SPDX JSON document.
pub(crate) fn read(input: impl Read, out: &mut Output<'_>) -> About {
    let mut doc = Doc::default();
    let walk = json::walk(
        input,
        Document {
            out: &mut *out,
            doc: &mut doc,
        },
    );
    if !json::finished(walk, out) || !doc.is_object {
        return About::default();
    }
    let mut about = About::default();
    let missing = "is missing: this is not an SPDX document";
    match json::required_top_text(doc.spdx_version.take(), out, "spdxVersion", missing) {
        Some(v) if SPDX_VERSIONS.contains(&v.as_str()) => {
            about.spec_version = Some(v.trim_start_matches("SPDX-").to_owned());
        }
        Some(v) => out.problem(json::top_problem(
            "spdxVersion",
            format!("`{v}` is not read: SPDX-2.2 and SPDX-2.3 are"),
        )),
        None => {}
    }
    let described: HashSet<&str> = doc.described.iter().map(String::as_str).collect();
    let packages = Path::root("packages");
    for held in doc.held.drain(..) {
        if described.contains(held.id.as_str()) {
            out.skip();
        } else if json::deliver(held.claimed, out, &packages.index(held.index)).is_break() {
            return about;
        }
    }
    let mut seen = HashSet::new();
    let subjects: Vec<&str> = doc
        .described
        .iter()
        .filter(|id| seen.insert(id.as_str()))
        .filter_map(|id| doc.names.get(id).map(String::as_str))
        .collect();
    about.subject = if subjects.is_empty() {
        json::top_text(doc.name.take(), out, "name")
    } else {
        Some(subjects.join(", "))
    };
    about
}

/// What the walk gathers beyond the packages it delivers at once.
#[derive(Default)]
struct Doc {
    is_object: bool,
    spdx_version: Option<Leaf>,
    name: Option<Leaf>,
    /// The SPDX ids the document describes, in order.
    described: Vec<String>,
    /// `name@version` per package SPDX id, for the subject.
    names: HashMap<String, String>,
    /// Packages to skip if they turn out to be described.
    held: Vec<Held>,
}

struct Held {
    index: usize,
    id: String,
    claimed: Claimed,
}

struct Document<'a, 's> {
    out: &'a mut Output<'s>,
    doc: &'a mut Doc,
}

impl<'de> Handler<'de> for Document<'_, '_> {
    type Out = ();

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Document { out, doc } = self;
        doc.is_object = true;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "spdxVersion" => doc.spdx_version = Some(map.next_value()?),
                "name" => doc.name = Some(map.next_value()?),
                "documentDescribes" => map.next_value_seed(Shape(Array {
                    path: Path::root("documentDescribes"),
                    elements: Describes {
                        out: &mut *out,
                        described: &mut doc.described,
                    },
                }))?,
                "packages" => map.next_value_seed(Shape(Array {
                    path: Path::root("packages"),
                    elements: Packages {
                        out: &mut *out,
                        doc: &mut *doc,
                    },
                }))?,
                "relationships" => map.next_value_seed(Shape(Array {
                    path: Path::root("relationships"),
                    elements: Relationships {
                        out: &mut *out,
                        described: &mut doc.described,
                    },
                }))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn other(self, leaf: Leaf) {
        self.out.problem(InputProblem::whole(format!(
            "an SPDX document is a JSON object, not {}",
            leaf.kind()
        )));
    }
}

/// `documentDescribes`: SPDX ids.
struct Describes<'a, 's> {
    out: &'a mut Output<'s>,
    described: &'a mut Vec<String>,
}

impl<'de> Elements<'de> for Describes<'_, '_> {
    fn next<A: SeqAccess<'de>>(
        &mut self,
        seq: &mut A,
        _index: usize,
        at: &Path<'_>,
    ) -> Result<bool, A::Error> {
        let Some(leaf) = seq.next_element::<Leaf>()? else {
            return Ok(false);
        };
        match leaf {
            Leaf::Text(id) => self.described.push(id),
            other => self.problem(at.value_problem(format!(
                "must be an SPDX id (a string), not {}",
                other.kind()
            ))),
        }
        Ok(true)
    }

    fn problem(&mut self, p: InputProblem) {
        self.out.problem(p);
    }
}

/// `relationships`: only the document's `DESCRIBES` (and `DESCRIBED_BY`) are kept.
struct Relationships<'a, 's> {
    out: &'a mut Output<'s>,
    described: &'a mut Vec<String>,
}

impl<'de> Elements<'de> for Relationships<'_, '_> {
    fn next<A: SeqAccess<'de>>(
        &mut self,
        seq: &mut A,
        _index: usize,
        at: &Path<'_>,
    ) -> Result<bool, A::Error> {
        let names = ["spdxElementId", "relationshipType", "relatedSpdxElement"];
        let Some([element, kind, related]) =
            seq.next_element_seed(Shape(Fields::new(&mut *self.out, *at, names)))?
        else {
            return Ok(false);
        };
        let mut get = |leaf, field| text(leaf, self.out, at, field);
        let element = get(element, "spdxElementId");
        let kind = get(kind, "relationshipType");
        let related = get(related, "relatedSpdxElement");
        match (element, kind.as_deref(), related) {
            (Some(e), Some("DESCRIBES"), Some(r)) if e == DOCUMENT => self.described.push(r),
            (Some(e), Some("DESCRIBED_BY"), Some(r)) if r == DOCUMENT => self.described.push(e),
            _ => {}
        }
        Ok(true)
    }

    fn problem(&mut self, p: InputProblem) {
        self.out.problem(p);
    }
}

/// `packages`: each is delivered, or held if it might be the document's non-software subject.
struct Packages<'a, 's> {
    out: &'a mut Output<'s>,
    doc: &'a mut Doc,
}

impl<'de> Elements<'de> for Packages<'_, '_> {
    fn next<A: SeqAccess<'de>>(
        &mut self,
        seq: &mut A,
        index: usize,
        at: &Path<'_>,
    ) -> Result<bool, A::Error> {
        let mut refs = Refs::default();
        let before = self.out.problem_count();
        let Some(fields) = seq.next_element_seed(Shape(Package {
            out: &mut *self.out,
            path: *at,
            refs: &mut refs,
        }))?
        else {
            return Ok(false);
        };
        let [id, name, version, purpose] = fields;
        let out = &mut *self.out;
        let id = text(id, out, at, "SPDXID");
        let name = text(name, out, at, "name");
        let version =
            text(version, out, at, "versionInfo").filter(|v| v != "NOASSERTION" && v != "NONE");
        let purpose = text(purpose, out, at, "primaryPackagePurpose");
        if out.problem_count() > before {
            // Not an object, or a field of the wrong type: the package cannot be read further.
            return Ok(true);
        }
        if let (Some(id), Some(name)) = (&id, &name) {
            self.doc
                .names
                .insert(id.clone(), display(name, version.as_deref()));
        }
        let claimed = Claimed {
            group: None,
            name,
            version,
            purl: refs.purl,
            cpe: refs.cpe23.or(refs.cpe22),
        };
        let not_software = purpose.is_some_and(|p| NOT_SOFTWARE.contains(&p.as_str()))
            || (claimed.version.is_none() && claimed.purl.is_none() && claimed.cpe.is_none());
        match id {
            Some(id) if not_software => {
                self.doc.held.push(Held { index, id, claimed });
                Ok(true)
            }
            _ => json::proceed(json::deliver(claimed, out, at)).map(|()| true),
        }
    }

    fn problem(&mut self, p: InputProblem) {
        self.out.problem(p);
    }
}

/// A package's fields: SPDXID, name, versionInfo, primaryPackagePurpose; the external
/// references go to `refs`.
struct Package<'a, 's, 'p> {
    out: &'a mut Output<'s>,
    path: Path<'p>,
    refs: &'a mut Refs,
}

impl<'de> Handler<'de> for Package<'_, '_, '_> {
    type Out = [Option<Leaf>; 4];

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Out, A::Error> {
        let Package { out, path, refs } = self;
        let mut f: [Option<Leaf>; 4] = Default::default();
        while let Some(key) = map.next_key::<String>()? {
            let slot = match key.as_str() {
                "SPDXID" => 0,
                "name" => 1,
                "versionInfo" => 2,
                "primaryPackagePurpose" => 3,
                "externalRefs" => {
                    let at = path.field("externalRefs");
                    map.next_value_seed(Shape(Array {
                        path: at,
                        elements: RefList {
                            out: &mut *out,
                            refs: &mut *refs,
                        },
                    }))?;
                    continue;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            f[slot] = Some(map.next_value()?);
        }
        Ok(f)
    }

    fn other(self, leaf: Leaf) -> Self::Out {
        let p = self
            .path
            .value_problem(format!("a package is a JSON object, not {}", leaf.kind()));
        self.out.problem(p);
        Default::default()
    }
}

/// The references that identify a package.
#[derive(Default)]
struct Refs {
    purl: Option<String>,
    cpe23: Option<String>,
    cpe22: Option<String>,
}

struct RefList<'a, 's> {
    out: &'a mut Output<'s>,
    refs: &'a mut Refs,
}

impl<'de> Elements<'de> for RefList<'_, '_> {
    fn next<A: SeqAccess<'de>>(
        &mut self,
        seq: &mut A,
        _index: usize,
        at: &Path<'_>,
    ) -> Result<bool, A::Error> {
        let names = ["referenceCategory", "referenceType", "referenceLocator"];
        let Some([category, kind, locator]) =
            seq.next_element_seed(Shape(Fields::new(&mut *self.out, *at, names)))?
        else {
            return Ok(false);
        };
        let mut get = |leaf, field| text(leaf, self.out, at, field);
        let category = get(category, "referenceCategory").map(|c| c.replace('_', "-"));
        let kind = get(kind, "referenceType");
        let locator = get(locator, "referenceLocator");
        let slot = match (category.as_deref(), kind.as_deref()) {
            (Some("PACKAGE-MANAGER"), Some("purl")) => &mut self.refs.purl,
            (Some("SECURITY"), Some("cpe23Type")) => &mut self.refs.cpe23,
            (Some("SECURITY"), Some("cpe22Type")) => &mut self.refs.cpe22,
            _ => return Ok(true),
        };
        if slot.is_none() {
            *slot = locator;
        }
        Ok(true)
    }

    fn problem(&mut self, p: InputProblem) {
        self.out.problem(p);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{problems, read_str};
    use crate::{Ecosystem, Format};

    fn package(id: &str, name: &str, extra: &str) -> String {
        format!(r#"{{"SPDXID": "{id}", "name": "{name}"{extra}}}"#)
    }

    #[test]
    fn a_described_package_is_skipped_only_when_not_software() {
        let purl = |p: &str| {
            format!(
                r#", "externalRefs": [{{"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl", "referenceLocator": "{p}"}}]"#
            )
        };
        let packages = [
            package(
                "SPDXRef-image",
                "registry.example/app:latest",
                r#", "primaryPackagePurpose": "CONTAINER""#,
            ),
            package("SPDXRef-dir", "/src", ""),
            package("SPDXRef-lib", "left-pad", &purl("pkg:npm/left-pad@1.3.0")),
            package("SPDXRef-loose", "tool", r#", "versionInfo": "NOASSERTION""#),
        ]
        .join(",");
        // The relationships come after the packages, as most tools write them.
        let text = format!(
            r#"{{"spdxVersion": "SPDX-2.2", "name": "doc", "packages": [{packages}],
                "relationships": [
                  {{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-image"}},
                  {{"spdxElementId": "SPDXRef-dir", "relationshipType": "DESCRIBED_BY", "relatedSpdxElement": "SPDXRef-DOCUMENT"}},
                  {{"spdxElementId": "SPDXRef-image", "relationshipType": "CONTAINS", "relatedSpdxElement": "SPDXRef-lib"}}
                ]}}"#
        );
        // `tool` has nothing to match on and is not described: it is reported, not skipped.
        assert_eq!(
            problems(Format::Spdx, &text),
            [(
                None,
                Some("packages[3]".into()),
                Some("version".into()),
                "is missing or empty".into()
            )]
        );
        let text = text.replace(r#""versionInfo": "NOASSERTION""#, r#""versionInfo": "2.0""#);
        let (got, s) = read_str(Format::Spdx, &text).unwrap();
        let names: Vec<_> = got.iter().map(|c| (c.ecosystem, c.name.as_str())).collect();
        assert_eq!(
            names,
            [(Ecosystem::Npm, "left-pad"), (Ecosystem::Generic, "tool")]
        );
        assert_eq!((s.skipped, s.spec_version.as_deref()), (2, Some("2.2")));
        assert_eq!(
            s.subject.as_deref(),
            Some("registry.example/app:latest, /src")
        );
    }

    #[test]
    fn references_give_purl_and_cpe() {
        let refs = r#", "versionInfo": "1.1.1k", "externalRefs": [
            {"referenceCategory": "SECURITY", "referenceType": "cpe22Type", "referenceLocator": "cpe:/a:openssl:openssl:1.1.1k"},
            {"referenceCategory": "SECURITY", "referenceType": "advisory", "referenceLocator": "https://nvd.nist.gov/vuln/detail/CVE-2021-3711"},
            {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:deb/debian/openssl@1.1.1k-1"}
        ]"#;
        let text = format!(
            r#"{{"spdxVersion": "SPDX-2.3", "documentDescribes": ["SPDXRef-x"], "packages": [{}]}}"#,
            package("SPDXRef-x", "OpenSSL", refs)
        );
        let (got, s) = read_str(Format::Spdx, &text).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(
            (
                got[0].ecosystem,
                got[0].name.as_str(),
                got[0].version.as_str()
            ),
            (Ecosystem::Deb, "openssl", "1.1.1k-1")
        );
        assert_eq!(
            got[0].cpe.as_deref(),
            Some("cpe:2.3:a:openssl:openssl:1.1.1k:*:*:*:*:*:*:*")
        );
        assert_eq!(s.subject.as_deref(), Some("OpenSSL@1.1.1k"));
    }

    #[test]
    fn versions_and_fields_are_checked() {
        assert_eq!(
            problems(
                Format::Spdx,
                r#"{"spdxVersion": "SPDX-3.0", "packages": []}"#
            ),
            [(
                None,
                None,
                Some("spdxVersion".into()),
                "`SPDX-3.0` is not read: SPDX-2.2 and SPDX-2.3 are".into()
            )]
        );
        let text = r#"{"spdxVersion": "SPDX-2.3", "packages": [{"SPDXID": "a", "versionInfo": "1"}, {"name": 7}, 3],
                       "documentDescribes": [1]}"#;
        let got: Vec<_> = problems(Format::Spdx, text)
            .into_iter()
            .map(|p| (p.1.unwrap(), p.2, p.3))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "packages[0]".into(),
                    Some("name".into()),
                    "is missing or empty".into()
                ),
                (
                    "packages[1]".into(),
                    Some("name".into()),
                    "must be a string, not a number".into()
                ),
                (
                    "packages[2]".into(),
                    None,
                    "a package is a JSON object, not a number".into()
                ),
                (
                    "documentDescribes[0]".into(),
                    None,
                    "must be an SPDX id (a string), not a number".into()
                ),
            ]
        );
        assert_eq!(
            problems(Format::Spdx, r#"{"bomFormat": "CycloneDX"}"#)[0].3,
            "is missing: this is not an SPDX document"
        );
    }
}
