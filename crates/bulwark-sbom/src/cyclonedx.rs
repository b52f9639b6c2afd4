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
    match text(top.bom_format, out, &Path::root("bomFormat"), "bomFormat") {
        None => out.problem(json::top_problem(
            "bomFormat",
            "is missing: this is not a CycloneDX document",
        )),
        Some(f) if f != "CycloneDX" => out.problem(json::top_problem(
            "bomFormat",
            format!("must be `CycloneDX`, not `{f}`"),
        )),
        Some(_) => {}
    }
    match text(
        top.spec_version,
        out,
        &Path::root("specVersion"),
        "specVersion",
    ) {
        None => out.problem(json::top_problem("specVersion", "is missing")),
        Some(v) if SPEC_VERSIONS.contains(&v.as_str()) => about.spec_version = Some(v),
        Some(v) => out.problem(json::top_problem(
            "specVersion",
            format!("CycloneDX {v} is not read: specVersion 1.2 to 1.6 are"),
        )),
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
        let kind = text(f.kind, out, &path, "type");
        let claimed = Claimed {
            group: text(f.group, out, &path, "group"),
            name: text(f.name, out, &path, "name"),
            version: text(f.version, out, &path, "version"),
            purl: text(f.purl, out, &path, "purl"),
            cpe: text(f.cpe, out, &path, "cpe"),
        };
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
