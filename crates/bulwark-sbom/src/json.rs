//! Streaming JSON: the JSON readers walk the document with serde visitors over
//! `serde_json::Deserializer::from_reader`, handing each record on as soon as it is read and
//! skipping everything else with `IgnoredAny`, so no document is ever held whole.
//!
//! A value of the wrong JSON type is reported as a problem and skipped, never fatal; only
//! syntax errors (and a stop asked for by the sink) end the walk.

use std::fmt;
use std::io::Read;
use std::ops::ControlFlow;

use bulwark_core::InputProblem;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::component::Claimed;
use crate::output::Output;

/// A JSON value read only as far as a reader needs: scalars kept, objects and arrays skipped.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Leaf {
    Text(String),
    Bool(bool),
    Number(serde_json::Number),
    Null,
    Object,
    Array,
}

impl Leaf {
    /// The JSON type, for messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Leaf::Text(_) => "a string",
            Leaf::Bool(_) => "a boolean",
            Leaf::Number(_) => "a number",
            Leaf::Null => "null",
            Leaf::Object => "an object",
            Leaf::Array => "an array",
        }
    }
}

impl<'de> de::Deserialize<'de> for Leaf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Shape(AsLeaf).deserialize(d)
    }
}

struct AsLeaf;

impl Handler<'_> for AsLeaf {
    type Out = Leaf;
    fn other(self, leaf: Leaf) -> Leaf {
        leaf
    }
}

/// What to do with a JSON value of each shape. Objects and arrays are skipped and passed to
/// `other` unless a handler reads them.
pub(crate) trait Handler<'de>: Sized {
    /// What handling the value gives.
    type Out;

    /// Reads an object.
    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Out, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(self.other(Leaf::Object))
    }

    /// Reads an array.
    fn array<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Out, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(self.other(Leaf::Array))
    }

    /// Takes any other value (or a skipped object or array).
    fn other(self, leaf: Leaf) -> Self::Out;
}

/// An array read element by element, each located by its index.
pub(crate) struct Array<'p, E> {
    pub path: Path<'p>,
    pub elements: E,
}

/// Reads the elements of an [`Array`].
pub(crate) trait Elements<'de> {
    /// Reads the next element, number `index` located at `at`; `false` at the end of the array.
    fn next<A: SeqAccess<'de>>(
        &mut self,
        seq: &mut A,
        index: usize,
        at: &Path<'_>,
    ) -> Result<bool, A::Error>;

    /// Reports a problem (the value is not an array).
    fn problem(&mut self, p: InputProblem);
}

impl<'de, E: Elements<'de>> Handler<'de> for Array<'_, E> {
    type Out = ();

    fn array<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        for i in 0.. {
            let at = self.path.index(i);
            if !self.elements.next(&mut seq, i, &at)? {
                break;
            }
        }
        Ok(())
    }

    fn other(mut self, leaf: Leaf) {
        let p = self
            .path
            .value_problem(format!("must be an array, not {}", leaf.kind()));
        self.elements.problem(p);
    }
}

/// The fields of an object named in `names`, in that order; other fields are skipped.
pub(crate) struct Fields<'a, 's, 'p, const N: usize> {
    out: &'a mut Output<'s>,
    path: Path<'p>,
    names: [&'static str; N],
}

impl<'a, 's, 'p, const N: usize> Fields<'a, 's, 'p, N> {
    /// Reads `names` of the object at `path`.
    pub(crate) fn new(out: &'a mut Output<'s>, path: Path<'p>, names: [&'static str; N]) -> Self {
        Fields { out, path, names }
    }
}

impl<'de, const N: usize> Handler<'de> for Fields<'_, '_, '_, N> {
    type Out = [Option<Leaf>; N];

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Out, A::Error> {
        let mut f = std::array::from_fn(|_| None);
        while let Some(key) = map.next_key::<String>()? {
            match self.names.iter().position(|n| *n == key) {
                Some(i) => f[i] = Some(map.next_value()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(f)
    }

    fn other(self, leaf: Leaf) -> Self::Out {
        let p = self
            .path
            .value_problem(format!("must be an object, not {}", leaf.kind()));
        self.out.problem(p);
        std::array::from_fn(|_| None)
    }
}

/// Deserializes any JSON value with a [`Handler`].
pub(crate) struct Shape<H>(pub H);

impl<'de, H: Handler<'de>> DeserializeSeed<'de> for Shape<H> {
    type Value = H::Out;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<H::Out, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, H: Handler<'de>> Visitor<'de> for Shape<H> {
    type Value = H::Out;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<H::Out, E> {
        Ok(self.0.other(Leaf::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<H::Out, E> {
        Ok(self.0.other(Leaf::Number(v.into())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<H::Out, E> {
        Ok(self.0.other(Leaf::Number(v.into())))
    }
    fn visit_f64<E>(self, v: f64) -> Result<H::Out, E> {
        // JSON has no NaN or infinity, so the conversion cannot fail.
        let n = serde_json::Number::from_f64(v).unwrap_or_else(|| 0.into());
        Ok(self.0.other(Leaf::Number(n)))
    }
    fn visit_str<E>(self, v: &str) -> Result<H::Out, E> {
        Ok(self.0.other(Leaf::Text(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<H::Out, E> {
        Ok(self.0.other(Leaf::Text(v)))
    }
    fn visit_unit<E>(self) -> Result<H::Out, E> {
        Ok(self.0.other(Leaf::Null))
    }
    fn visit_none<E>(self) -> Result<H::Out, E> {
        Ok(self.0.other(Leaf::Null))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<H::Out, A::Error> {
        self.0.object(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<H::Out, A::Error> {
        self.0.array(seq)
    }
}

/// Where a record is in the document (`components[12].components[0]`), built on the stack
/// and written out only for a problem.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    step: Step<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Field(&'a str),
    Index(usize),
    Key(&'a str),
}

impl<'a> Path<'a> {
    /// A top-level field.
    pub(crate) fn root(field: &'a str) -> Self {
        Path {
            parent: None,
            step: Step::Field(field),
        }
    }

    /// A field of this object.
    pub(crate) fn field(&'a self, field: &'a str) -> Path<'a> {
        self.then(Step::Field(field))
    }

    /// An element of this array.
    pub(crate) fn index(&'a self, i: usize) -> Path<'a> {
        self.then(Step::Index(i))
    }

    /// An entry of this object used as a map.
    pub(crate) fn key(&'a self, key: &'a str) -> Path<'a> {
        self.then(Step::Key(key))
    }

    fn then(&'a self, step: Step<'a>) -> Path<'a> {
        Path {
            parent: Some(self),
            step,
        }
    }

    /// A problem with `field` of the record here.
    pub(crate) fn problem(&self, field: &str, message: impl Into<String>) -> InputProblem {
        InputProblem::in_record(self.to_string(), Some(field), message)
    }

    /// A problem with the value here as a whole (for example its JSON type).
    pub(crate) fn value_problem(&self, message: impl Into<String>) -> InputProblem {
        InputProblem::in_record(self.to_string(), None, message)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = self.parent {
            write!(f, "{p}")?;
        }
        match self.step {
            Step::Field(name) if self.parent.is_some() => write!(f, ".{name}"),
            Step::Field(name) => f.write_str(name),
            Step::Index(i) => write!(f, "[{i}]"),
            Step::Key(k) => write!(f, "[{}]", serde_json::Value::from(k)),
        }
    }
}

/// A string field's value: `None` when absent, null or blank, with a problem when it is
/// another type.
pub(crate) fn text(
    value: Option<Leaf>,
    out: &mut Output<'_>,
    path: &Path<'_>,
    field: &str,
) -> Option<String> {
    string(value, out, |message| path.problem(field, message))
}

/// A top-level string field's value, as [`text`] reads it.
pub(crate) fn top_text(value: Option<Leaf>, out: &mut Output<'_>, field: &str) -> Option<String> {
    string(value, out, |message| top_problem(field, message))
}

/// A top-level string field that must be there: when it is absent, null or blank, the problem
/// says `missing`.
pub(crate) fn required_top_text(
    value: Option<Leaf>,
    out: &mut Output<'_>,
    field: &str,
    missing: &str,
) -> Option<String> {
    let absent = match &value {
        None | Some(Leaf::Null) => true,
        Some(Leaf::Text(s)) => s.trim().is_empty(),
        Some(_) => false,
    };
    if absent {
        out.problem(top_problem(field, missing));
    }
    top_text(value, out, field)
}

fn string(
    value: Option<Leaf>,
    out: &mut Output<'_>,
    problem: impl FnOnce(String) -> InputProblem,
) -> Option<String> {
    match value? {
        Leaf::Text(s) if s.trim().is_empty() => None,
        Leaf::Text(s) => Some(s),
        Leaf::Null => None,
        other => {
            out.problem(problem(format!("must be a string, not {}", other.kind())));
            None
        }
    }
}

/// Turns the sink's answer into the walk's: a stop ends the walk with an error.
pub(crate) fn proceed<E: de::Error>(flow: ControlFlow<()>) -> Result<(), E> {
    match flow {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(()) => Err(E::custom("stopped by the receiver")),
    }
}

/// Walks a whole JSON document with `handler`, then checks nothing follows it. A syntax error
/// becomes a problem located by line and column.
pub(crate) fn walk<R: Read, H>(input: R, handler: H) -> Result<(), InputProblem>
where
    H: for<'de> Handler<'de, Out = ()>,
{
    let mut de = serde_json::Deserializer::from_reader(input);
    Shape(handler)
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| syntax_problem(&e))
}

/// Reports a failed walk (unless the sink asked to stop); whether the walk went to the end.
pub(crate) fn finished(result: Result<(), InputProblem>, out: &mut Output<'_>) -> bool {
    match result {
        Ok(()) => true,
        Err(p) => {
            if !out.stopped() {
                out.problem(p);
            }
            false
        }
    }
}

/// A problem with a top-level field of the document.
pub(crate) fn top_problem(field: &str, message: impl Into<String>) -> InputProblem {
    InputProblem {
        field: Some(field.to_owned()),
        ..InputProblem::whole(message)
    }
}

/// Resolves an SBOM record and delivers it; problems are located at `path`.
pub(crate) fn deliver(claimed: Claimed, out: &mut Output<'_>, path: &Path<'_>) -> ControlFlow<()> {
    match claimed.resolve(|field, message| out.problem(path.problem(field, message))) {
        Some(c) => out.deliver(c),
        None => ControlFlow::Continue(()),
    }
}

fn syntax_problem(e: &serde_json::Error) -> InputProblem {
    if e.is_io() {
        return InputProblem::whole(format!("the file could not be read: {e}"));
    }
    if e.is_eof() && e.line() == 1 && e.column() == 0 {
        return InputProblem::whole("the file is empty");
    }
    let full = e.to_string();
    let message = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(m, _)| m);
    InputProblem::at_line(
        e.line() as u64,
        None,
        format!("invalid JSON at column {}: {message}", e.column()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_the_document() {
        let root = Path::root("components");
        let first = root.index(12);
        let nested = first.field("components");
        let leaf = nested.index(0);
        assert_eq!(leaf.to_string(), "components[12].components[0]");
        let packages = Path::root("packages");
        assert_eq!(
            packages.key("node_modules/a\"b").to_string(),
            r#"packages["node_modules/a\"b"]"#
        );
    }

    #[test]
    fn leaves_keep_scalars_and_skip_containers() {
        let v: Vec<Leaf> =
            serde_json::from_str(r#"["a", 1, -2, 1.5, true, null, {"x": [1]}, [{}]]"#).unwrap();
        let kinds: Vec<_> = v.iter().map(Leaf::kind).collect();
        assert_eq!(
            kinds,
            [
                "a string",
                "a number",
                "a number",
                "a number",
                "a boolean",
                "null",
                "an object",
                "an array"
            ]
        );
        assert_eq!(v[0], Leaf::Text("a".into()));
    }

    #[test]
    fn syntax_errors_are_located() {
        struct Skip;
        impl Handler<'_> for Skip {
            type Out = ();
            fn other(self, _: Leaf) {}
        }
        let p = walk("{\n  \"a\": 1,\n  \"b\" 2\n}".as_bytes(), Skip).unwrap_err();
        assert_eq!(p.line, Some(3));
        assert_eq!(p.message, "invalid JSON at column 7: expected `:`");
        assert_eq!(
            walk("".as_bytes(), Skip).unwrap_err().message,
            "the file is empty"
        );
        let p = walk("{} {}".as_bytes(), Skip).unwrap_err();
        assert_eq!(
            (p.line, p.message.as_str()),
            (Some(1), "invalid JSON at column 4: trailing characters")
        );
    }
}
