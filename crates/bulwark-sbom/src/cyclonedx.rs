//! CycloneDX JSON, spec 1.2 to 1.6: `components[]`, nested to any depth through each
//! component's own `components[]`. `metadata.component` (what the BOM describes) is not
//! delivered; it becomes the summary's subject.
//!
//! Components of type `file`, `data`, `device` or `cryptographic-asset` are not installed
//! software: they are skipped (counted) unless they carry a purl.

use std::io::Read;

use bulwark_core::InputProblem;
use serde::de::{IgnoredAny, MapAccess, SeqAccess};

use crate::component::{Claimed, display};
use crate::json::{self, Array, Elements, Handler, Leaf, Path, Shape, text};
use crate::output::{About, Output};

/// The spec versions read.
const SPEC_VERSIONS: [&str; 5] = ["1.2", "1.3", "1.4", "1.5", "1.6"];

/// Component types that are not installed software packages.
const NOT_SOFTWARE: [&str; 4] = ["file", "data", "device", "cryptographic-asset"];

/// Reads a CycloneDX JSON document.
pub(crate) fn read(input: impl Read, out: &mut Output<'_>) -> About {
    let mut top = TopFields::default();
    let walk = json::walk(
        input,
        Document {
            out: &mut *out,
            top: &mut top,
        },
    );
    let mut about = About {
        subject: top.subject,
        spec_version: None,
    };
    if !json::finished(walk, out) || !top.is_object {
        return about;
    }
    let format = json::required_top_text(
        top.bom_format,
        out,
        "bomFormat",
        "is missing: this is not a CycloneDX document",
    );
    if let Some(f) = format.filter(|f| f != "CycloneDX") {
        out.problem(json::top_problem(
            "bomFormat",
            format!("must be `CycloneDX`, not `{f}`"),
        ));
    }
    match json::required_top_text(top.spec_version, out, "specVersion", "is missing") {
        Some(v) if SPEC_VERSIONS.contains(&v.as_str()) => about.spec_version = Some(v),
        Some(v) => out.problem(json::top_problem(
            "specVersion",
            format!("CycloneDX {v} is not read: specVersion 1.2 to 1.6 are"),
        )),
        None => {}
    }
    about
}

/// What the top level says about the document.
#[derive(Default)]
struct TopFields {
    is_object: bool,
    bom_format: Option<Leaf>,
    spec_version: Option<Leaf>,
    subject: Option<String>,
}

struct Document<'a, 's> {
    out: &'a mut Output<'s>,
    top: &'a mut TopFields,
}

impl<'de> Handler<'de> for Document<'_, '_> {
    type Out = ();

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Document { out, top } = self;
        top.is_object = true;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "bomFormat" => top.bom_format = Some(map.next_value()?),
                "specVersion" => top.spec_version = Some(map.next_value()?),
                "metadata" => map.next_value_seed(Shape(Metadata {
                    out: &mut *out,
                    subject: &mut top.subject,
                }))?,
                "components" => map.next_value_seed(Shape(Array {
                    path: Path::root("components"),
                    elements: Components { out: &mut *out },
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
            "a CycloneDX document is a JSON object, not {}",
            leaf.kind()
        )));
    }
}

/// `metadata`: only its `component` is read, for the subject.
struct Metadata<'a, 's> {
    out: &'a mut Output<'s>,
    subject: &'a mut Option<String>,
}

impl<'de> Handler<'de> for Metadata<'_, '_> {
    type Out = ();

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let path = Path::root("metadata");
        let here = path.field("component");
        while let Some(key) = map.next_key::<String>()? {
            if key == "component" {
                let fields = map.next_value_seed(Shape(FieldsReader {
                    out: &mut *self.out,
                    path: here,
                    stream_nested: false,
                }))?;
                let name = text(fields.name, self.out, &here, "name");
                let group = text(fields.group, self.out, &here, "group");
                let version = text(fields.version, self.out, &here, "version");
                *self.subject = name.map(|n| {
                    let full = match group {
                        Some(g) => format!("{g}/{n}"),
                        None => n,
                    };
                    display(&full, version.as_deref())
                });
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    fn other(self, leaf: Leaf) {
        let p =
            Path::root("metadata").value_problem(format!("must be an object, not {}", leaf.kind()));
        self.out.problem(p);
    }
}

/// The elements of a `components` array.
struct Components<'a, 's> {
    out: &'a mut Output<'s>,
}

impl<'de> Elements<'de> for Components<'_, '_> {
    fn next<A: SeqAccess<'de>>(
        &mut self,
        seq: &mut A,
        _index: usize,
        at: &Path<'_>,
    ) -> Result<bool, A::Error> {
        let entry = Entry {
            out: &mut *self.out,
            path: *at,
        };
        Ok(seq.next_element_seed(Shape(entry))?.is_some())
    }

    fn problem(&mut self, p: InputProblem) {
        self.out.problem(p);
    }
}

/// One component: its fields are read, its nested components streamed on.
struct Entry<'a, 's, 'p> {
    out: &'a mut Output<'s>,
    path: Path<'p>,
}

impl<'de> Handler<'de> for Entry<'_, '_, '_> {
    type Out = ();

    fn object<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let Entry { out, path } = self;
        let f = FieldsReader {
            out: &mut *out,
            path,
            stream_nested: true,
        }
        .object(map)?;
        let before = out.problem_count();
        let kind = text(f.kind, out, &path, "type");
        let claimed = Claimed {
            group: text(f.group, out, &path, "group"),
            name: text(f.name, out, &path, "name"),
            version: text(f.version, out, &path, "version"),
            purl: text(f.purl, out, &path, "purl"),
            cpe: text(f.cpe, out, &path, "cpe"),
        };
        if out.problem_count() > before {
            // A field of the wrong type: the record cannot be read further.
            return Ok(());
        }
        if kind.is_some_and(|k| NOT_SOFTWARE.contains(&k.as_str())) && claimed.purl.is_none() {
            out.skip();
            return Ok(());
        }
        json::proceed(json::deliver(claimed, out, &path))
    }

    fn other(self, leaf: Leaf) {
        let p = self
            .path
            .value_problem(format!("a component is a JSON object, not {}", leaf.kind()));
        self.out.problem(p);
    }
}

/// The fields of a component that are used.
#[derive(Default)]
struct Fields {
    kind: Option<Leaf>,
    name: Option<Leaf>,
    group: Option<Leaf>,
    version: Option<Leaf>,
    purl: Option<Leaf>,
    cpe: Option<Leaf>,
}

/// Reads a component's fields; nested `components` are streamed on as they come, or skipped
/// with the component when it is the BOM's subject.
struct FieldsReader<'a, 's, 'p> {
    out: &'a mut Output<'s>,
    path: Path<'p>,
    stream_nested: bool,
}

impl<'de> Handler<'de> for FieldsReader<'_, '_, '_> {
    type Out = Fields;

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
        let FieldsReader {
            out,
            path,
            stream_nested,
        } = self;
        let mut f = Fields::default();
        while let Some(key) = map.next_key::<String>()? {
            let slot = match key.as_str() {
                "type" => &mut f.kind,
                "name" => &mut f.name,
                "group" => &mut f.group,
                "version" => &mut f.version,
                "purl" => &mut f.purl,
                "cpe" => &mut f.cpe,
                "components" if stream_nested => {
                    let nested = path.field("components");
                    map.next_value_seed(Shape(Array {
                        path: nested,
                        elements: Components { out: &mut *out },
                    }))?;
                    continue;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = Some(map.next_value()?);
        }
        Ok(f)
    }

    fn other(self, leaf: Leaf) -> Fields {
        let p = self
            .path
            .value_problem(format!("must be an object, not {}", leaf.kind()));
        self.out.problem(p);
        Fields::default()
    }
}

#[cfg(test)]
mod tests {
    use std::ops::ControlFlow;

    use crate::testing::{Located, problems, read_str};
    use crate::{Ecosystem, Format, ReadError};

    fn doc(spec: &str, components: &str) -> String {
        format!(
            r#"{{"bomFormat": "CycloneDX", "specVersion": "{spec}", "components": {components}}}"#
        )
    }

    fn p(record: &str, field: &str, message: &str) -> Located {
        (
            None,
            Some(record.into()),
            Some(field.into()),
            message.into(),
        )
    }

    #[test]
    fn nested_components_are_streamed_and_the_subject_skipped() {
        let text = r#"{
          "components": [
            {"type": "application", "name": "app", "version": "1.0", "purl": "pkg:npm/app@1.0",
             "components": [
               {"type": "library", "group": "org.a", "name": "b", "version": "2",
                "purl": "pkg:maven/org.a/b@2", "cpe": "cpe:/a:a:b:2",
                "components": [{"name": "deep", "version": "3", "purl": "pkg:pypi/Deep_Lib@3"}]}
             ]},
            {"type": "file", "name": "README", "hashes": []},
            {"type": "data", "name": "config", "version": "1", "purl": "pkg:generic/config@1"}
          ],
          "metadata": {"component": {"group": "acme", "name": "product", "version": "9",
                                     "components": [{"name": "hidden", "version": "1"}]}},
          "bomFormat": "CycloneDX",
          "specVersion": "1.6"
        }"#;
        let (got, s) = read_str(Format::CycloneDx, text).unwrap();
        let names: Vec<_> = got.iter().map(|c| (c.ecosystem, c.name.as_str())).collect();
        assert_eq!(
            names,
            [
                (Ecosystem::Pypi, "deep-lib"),
                (Ecosystem::Maven, "org.a:b"),
                (Ecosystem::Npm, "app"),
                (Ecosystem::Generic, "config")
            ]
        );
        assert_eq!(got[1].cpe.as_deref(), Some("cpe:2.3:a:a:b:2:*:*:*:*:*:*:*"));
        assert_eq!(s.subject.as_deref(), Some("acme/product@9"));
        assert_eq!(
            (s.components, s.skipped, s.spec_version.as_deref()),
            (4, 1, Some("1.6"))
        );
    }

    #[test]
    fn bad_json_is_located_by_line() {
        let text = "{\n  \"bomFormat\": \"CycloneDX\",\n  \"components\": [\n    {\"name\": \"a\" \"version\": \"1\"}\n  ]\n}";
        assert_eq!(
            problems(Format::CycloneDx, text),
            [(
                Some(4),
                None,
                None,
                "invalid JSON at column 18: expected `,` or `}`".into()
            )]
        );
        let truncated = doc(
            "1.4",
            r#"[{"name": "a", "version": "1", "purl": "pkg:npm/a@1"}"#,
        );
        let got = problems(Format::CycloneDx, &truncated[..truncated.len() - 1]);
        assert_eq!(got.len(), 1);
        assert!(got[0].3.contains("EOF while parsing"), "{got:?}");
    }

    #[test]
    fn unknown_spec_versions_and_other_documents_are_refused() {
        assert_eq!(
            problems(Format::CycloneDx, &doc("1.1", "[]")),
            [(
                None,
                None,
                Some("specVersion".into()),
                "CycloneDX 1.1 is not read: specVersion 1.2 to 1.6 are".into()
            )]
        );
        let spdx = r#"{"spdxVersion": "SPDX-2.3", "packages": []}"#;
        let got: Vec<_> = problems(Format::CycloneDx, spdx)
            .into_iter()
            .map(|p| p.3)
            .collect();
        assert_eq!(
            got,
            ["is missing: this is not a CycloneDX document", "is missing"]
        );
        assert_eq!(
            problems(Format::CycloneDx, "[1, 2]"),
            [(
                None,
                None,
                None,
                "a CycloneDX document is a JSON object, not an array".into()
            )]
        );
        let got = problems(
            Format::CycloneDx,
            r#"{"bomFormat": "SWID", "specVersion": 1.4}"#,
        );
        let got: Vec<_> = got.into_iter().map(|p| p.3).collect();
        assert_eq!(
            got,
            [
                "must be `CycloneDX`, not `SWID`",
                "must be a string, not a number"
            ]
        );
    }

    #[test]
    fn every_component_problem_is_reported_with_its_path() {
        let components = r#"[
            {"name": "ok", "version": "1", "purl": "pkg:npm/ok@1"},
            {"version": "1"},
            {"name": "no-version", "purl": "pkg:npm/no-version"},
            {"name": "", "version": "1"},
            {"name": "typed", "version": 2},
            {"name": "bad-purl", "version": "1", "purl": "npm/x@1", "cpe": "cpe:2.3:a:x"},
            {"name": "parent", "version": "1", "components": [{"name": "child"}, "text"]},
            "not an object"
        ]"#;
        assert_eq!(
            problems(Format::CycloneDx, &doc("1.5", components)),
            [
                p("components[1]", "name", "is missing or empty"),
                p("components[2]", "version", "is missing or empty"),
                p("components[3]", "name", "is missing or empty"),
                p("components[4]", "version", "must be a string, not a number"),
                p(
                    "components[5]",
                    "cpe",
                    "`cpe:2.3:a:x` has 4 parts; a CPE 2.3 name has 13 (`cpe:2.3:part:vendor:product:version:update:edition:language:sw_edition:target_sw:target_hw:other`)"
                ),
                p(
                    "components[5]",
                    "purl",
                    "`npm/x@1` is not a valid package URL: missing scheme"
                ),
                p(
                    "components[6].components[0]",
                    "version",
                    "is missing or empty"
                ),
                (
                    None,
                    Some("components[6].components[1]".into()),
                    None,
                    "a component is a JSON object, not a string".into()
                ),
                (
                    None,
                    Some("components[7]".into()),
                    None,
                    "a component is a JSON object, not a string".into()
                ),
            ]
        );
    }

    #[test]
    fn a_stop_from_the_sink_ends_the_read() {
        let text = doc(
            "1.4",
            r#"[{"name": "a", "version": "1"}, {"name": "b", "version": "1"}, {"name": "c", "version": "1"}]"#,
        );
        let mut seen = 0;
        let result = crate::read(Format::CycloneDx, text.as_bytes(), |_| {
            seen += 1;
            if seen == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        assert_eq!(result, Err(ReadError::Stopped));
        assert_eq!(seen, 2);
    }
}
