//! `pip freeze` output and requirements files pinned to exact versions: `name==version` or
//! `name===version`, with extras (`name[x]==v`), environment markers (`; python_version < "3"`,
//! taken as applying), per-requirement options (`--hash=…`), comments and `\` line
//! continuations.
//!
//! Whatever cannot be matched to one released version is a problem on its line: unpinned or
//! ranged requirements, wildcards (`==1.*`), editable installs (`-e`), direct references
//! (`name @ url`), bare URLs and paths, and included files (`-r`, whose packages this file
//! would silently miss). Index and install options (`--index-url`, `-c`, …) are ignored.

use std::io::BufRead;
use std::ops::ControlFlow;

use bulwark_core::InputProblem;

use crate::lines::{Lines, MAX_LINE};
use crate::output::{About, Output};
use crate::{Component, Ecosystem, purl};

/// Options that only say where or how to install: nothing to inventory.
const IGNORED_OPTIONS: [&str; 16] = [
    "-i",
    "--index-url",
    "--extra-index-url",
    "--no-index",
    "-f",
    "--find-links",
    "-c",
    "--constraint",
    "--pre",
    "--trusted-host",
    "--prefer-binary",
    "--require-hashes",
    "--only-binary",
    "--no-binary",
    "--use-feature",
    "--config-settings",
];

/// Reads pinned requirements.
pub(crate) fn read(input: impl BufRead, out: &mut Output<'_>) -> About {
    let mut lines = Lines::new(input);
    let mut logical = String::new();
    let mut start = 0;
    while let Some((number, text)) = lines.next_text(out) {
        if logical.is_empty() {
            start = number;
        }
        if logical.len() + text.len() > MAX_LINE {
            out.problem(InputProblem::at_line(
                start,
                None,
                format!("the continued line is longer than {MAX_LINE} bytes"),
            ));
            logical.clear();
            continue;
        }
        // As pip does, a comment line never continues, and ends a continued line.
        let comment = text.trim_start().starts_with('#');
        match text.strip_suffix('\\') {
            Some(continued) if !comment => {
                logical.push_str(continued);
                continue;
            }
            _ if comment => {
                logical.push(' ');
                logical.push_str(text);
            }
            _ => logical.push_str(text),
        }
        if requirement(&logical, start, out).is_break() {
            return About::default();
        }
        logical.clear();
    }
    if !logical.is_empty() {
        let _ = requirement(&logical, start, out);
    }
    About::default()
}

/// Handles one logical line.
fn requirement(line: &str, number: u64, out: &mut Output<'_>) -> ControlFlow<()> {
    match parse(line) {
        Ok(None) => ControlFlow::Continue(()),
        Ok(Some(c)) => out.deliver(c),
        Err(message) => {
            out.problem(InputProblem::at_line(number, None, message));
            ControlFlow::Continue(())
        }
    }
}

/// The component a line pins, `None` for blank, comment and option lines.
fn parse(line: &str) -> Result<Option<Component>, String> {
    let line = strip_comment(line).trim();
    if line.is_empty() {
        return Ok(None);
    }
    if line.starts_with('-') {
        return option(line).map(|()| None);
    }
    // Per-requirement options (`--hash=…`) follow the requirement after a space.
    let options = line
        .match_indices("--")
        .find(|&(i, _)| i > 0 && line.as_bytes()[i - 1].is_ascii_whitespace());
    let requirement = options.map_or(line, |(i, _)| &line[..i]);
    // Environment markers are taken as applying.
    let requirement = requirement.split(';').next().unwrap_or_default().trim();
    let name_end = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .unwrap_or(requirement.len());
    let name = &requirement[..name_end];
    let mut rest = requirement[name_end..].trim_start();
    if !is_name(name) || rest.starts_with([':', '/', '\\']) {
        return Err(format!(
            "`{requirement}` is not a `name==version` requirement (URLs and paths cannot be matched to a release)"
        ));
    }
    if let Some(extras) = rest.strip_prefix('[') {
        let close = extras
            .find(']')
            .ok_or_else(|| format!("`{name}`: the extras list has no closing `]`"))?;
        rest = extras[close + 1..].trim_start();
    }
    if rest.starts_with('@') {
        return Err(format!(
            "`{name}` is installed from a URL (`{name} @ …`), which names no released version to match"
        ));
    }
    let version = rest
        .strip_prefix("===")
        .or_else(|| rest.strip_prefix("=="))
        .map(str::trim);
    match version {
        Some(v) if !v.is_empty() && !v.contains([',', '*', ' ', '\t', '=', '<', '>', '!', '~']) => {
            let name = Ecosystem::Pypi.normalise_name(name);
            let purl = purl::derive(Ecosystem::Pypi, &name, v, None, &[])?;
            Ok(Some(Component {
                ecosystem: Ecosystem::Pypi,
                name,
                version: v.to_owned(),
                purl,
                cpe: None,
            }))
        }
        _ if rest.is_empty() => Err(format!(
            "`{name}` is not pinned: write `{name}==<version>` (as `pip freeze` does)"
        )),
        _ => Err(format!(
            "`{name}{rest}` is not pinned to one version: only `==version` can be matched exactly"
        )),
    }
}

/// Checks an option line.
fn option(line: &str) -> Result<(), String> {
    let flag = line
        .split(|c: char| c == '=' || c.is_whitespace())
        .next()
        .unwrap_or_default();
    if flag == "-e" || flag == "--editable" || line.starts_with("-e") {
        Err("an editable install (`-e`) has no released version to match".into())
    } else if flag == "-r" || flag == "--requirement" || line.starts_with("-r") {
        Err(
            "includes another requirements file (`-r`): import that file's packages here instead"
                .into(),
        )
    } else if IGNORED_OPTIONS.contains(&flag) {
        Ok(())
    } else {
        Err(format!("`{flag}` is not a requirements-file option"))
    }
}

/// The line without its comment: `#` at the start or after whitespace.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    match (0..bytes.len())
        .find(|&i| bytes[i] == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()))
    {
        Some(i) => &line[..i],
        None => line,
    }
}

/// A PEP 508 name: letters and digits, with `.`, `_` and `-` only inside.
fn is_name(name: &str) -> bool {
    let inner = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pinned(line: &str) -> (String, String) {
        let c = parse(line).unwrap().unwrap();
        (c.name, c.version)
    }

    #[test]
    fn pinned_lines_are_read() {
        assert_eq!(pinned("Django==3.2"), ("django".into(), "3.2".into()));
        assert_eq!(
            pinned("zope.interface == 5.4.0  # comment"),
            ("zope-interface".into(), "5.4.0".into())
        );
        assert_eq!(
            pinned("requests[security,socks]==2.19.0"),
            ("requests".into(), "2.19.0".into())
        );
        assert_eq!(
            pinned("pywin32==306 ; sys_platform == \"win32\""),
            ("pywin32".into(), "306".into())
        );
        assert_eq!(
            pinned("foo===1.0-custom"),
            ("foo".into(), "1.0-custom".into())
        );
        assert_eq!(
            pinned("torch==2.1.0+cpu --hash=sha256:abc --hash=sha256:def"),
            ("torch".into(), "2.1.0+cpu".into())
        );
        let c = parse("PyYAML==5.3").unwrap().unwrap();
        assert_eq!(c.purl.as_deref(), Some("pkg:pypi/pyyaml@5.3"));
        for skipped in [
            "",
            "   ",
            "# comment",
            "--index-url https://example.org/simple",
            "-c constraints.txt",
            "--pre",
        ] {
            assert_eq!(parse(skipped), Ok(None), "{skipped}");
        }
    }

    #[test]
    fn unpinned_lines_are_problems() {
        for (line, says) in [
            ("requests", "is not pinned"),
            ("requests>=2.0", "not pinned to one version"),
            ("requests==2.*", "not pinned to one version"),
            ("requests==2.0,!=2.1", "not pinned to one version"),
            ("requests~=2.0", "not pinned to one version"),
            ("-e git+https://github.com/a/b.git#egg=b", "editable"),
            ("--editable=./src", "editable"),
            ("mypkg @ file:///tmp/mypkg", "installed from a URL"),
            (
                "https://example.org/pkg-1.0.whl",
                "is not a `name==version` requirement",
            ),
            ("./local/pkg", "is not a `name==version` requirement"),
            ("-r base.txt", "includes another requirements file"),
            ("--bogus", "is not a requirements-file option"),
            ("pkg[extra==1.0", "no closing"),
        ] {
            let e = parse(line).unwrap_err();
            assert!(e.contains(says), "{line}: {e}");
        }
    }

    #[test]
    fn continued_lines_are_joined_and_problems_keep_their_first_line() {
        let text = "# pinned\nDjango==3.2 \\\n    --hash=sha256:aaa \\\n    --hash=sha256:bbb\n\
                    requests>=2 \\\n  ; python_version > \"3\"\n\
                    # a comment \\\nsix==1.15.0\n-e ./src\nflask\n";
        let got = crate::testing::problems(crate::Format::Pip, text);
        let got: Vec<_> = got.iter().map(|p| (p.0, p.3.as_str())).collect();
        assert_eq!(
            got,
            [
                (
                    Some(5),
                    "`requests>=2` is not pinned to one version: only `==version` can be matched exactly"
                ),
                (
                    Some(9),
                    "an editable install (`-e`) has no released version to match"
                ),
                (
                    Some(10),
                    "`flask` is not pinned: write `flask==<version>` (as `pip freeze` does)"
                ),
            ]
        );
        let ok = "Django==3.2 \\\n  --hash=sha256:aaa\n# note \\\nsix==1.15.0\n";
        let (got, _) = crate::testing::read_str(crate::Format::Pip, ok).unwrap();
        let got: Vec<_> = got.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(got, ["django", "six"]);
    }
}
