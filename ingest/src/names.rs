//! Validated names. A delivered file's name is only ever metadata: it never
//! becomes a path. Dataset names become object keys, so they are slugs.

use std::fmt;

use crate::IngestError;

/// What a [`FileName`] may be, as a regular expression: one or more
/// characters, none a slash, backslash or control character, and not `.`
/// or `..` (at most 255 of them, which JSON Schema says with `maxLength`).
pub const FILE_NAME_PATTERN: &str = concat!(
    r"^(?:[^./\\\u0000-\u001f\u007f-\u009f][^/\\\u0000-\u001f\u007f-\u009f]*",
    r"|\.[^./\\\u0000-\u001f\u007f-\u009f][^/\\\u0000-\u001f\u007f-\u009f]*",
    r"|\.\.[^/\\\u0000-\u001f\u007f-\u009f]+)$"
);

/// The most characters a [`FileName`] holds.
pub const MAX_FILE_NAME_CHARS: usize = 255;

/// A delivered file's name: one path segment, printable, at most 255
/// characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    pub fn parse(s: &str) -> Result<Self, IngestError> {
        let bad = |why: &str| {
            IngestError::bad_request(
                "invalid_filename",
                format!("invalid file name {s:?}: {why}"),
            )
        };
        if s.is_empty() || s.chars().count() > MAX_FILE_NAME_CHARS {
            return Err(bad("it must be 1 to 255 characters"));
        }
        if s == "." || s == ".." {
            return Err(bad("it must name a file"));
        }
        if s.chars().any(|c| c == '/' || c == '\\' || c.is_control()) {
            return Err(bad("it must not contain slashes or control characters"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name of a file a drop endpoint found, which nobody can be asked
    /// to fix: the name itself if it is valid, else with every slash,
    /// backslash and control character made `_` and cut to 255 characters.
    pub fn lossy(s: &str) -> Self {
        if let Ok(name) = Self::parse(s) {
            return name;
        }
        let out: String = s
            .chars()
            .map(|c| match c {
                '/' | '\\' => '_',
                c if c.is_control() => '_',
                c => c,
            })
            .take(MAX_FILE_NAME_CHARS)
            .collect();
        match out.as_str() {
            "" | "." | ".." => Self(format!("unnamed{out}")),
            _ => Self(out),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lower-cased extension, if any.
    pub fn extension(&self) -> Option<String> {
        let (stem, ext) = self.0.rsplit_once('.')?;
        (!stem.is_empty()).then(|| ext.to_ascii_lowercase())
    }

    /// The name without its extension.
    pub fn stem(&self) -> &str {
        match self.0.rsplit_once('.') {
            Some((stem, _)) if !stem.is_empty() => stem,
            _ => &self.0,
        }
    }
}

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A lower-case `a-z0-9-` slug of at most 48 characters; `fallback` when
/// nothing usable is left.
pub fn slug(s: &str, fallback: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 48 {
            break;
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        fallback.to_owned()
    } else {
        out.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_single_segments() {
        for bad in [
            "",
            ".",
            "..",
            "../etc/passwd",
            "a/b",
            "a\\b",
            "x\0y",
            "a\nb",
        ] {
            assert!(FileName::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(FileName::parse(&"a".repeat(256)).is_err());
        let f = FileName::parse("Survey 2026.CSV").unwrap();
        assert_eq!(f.extension().as_deref(), Some("csv"));
        assert_eq!(f.stem(), "Survey 2026");
        assert_eq!(FileName::parse(".hidden").unwrap().extension(), None);
    }

    #[test]
    fn the_file_name_pattern_says_what_parse_does() {
        let re = regex::Regex::new(FILE_NAME_PATTERN).unwrap();
        let names = [
            "",
            ".",
            "..",
            "...",
            ".a",
            "..a",
            "a.",
            "a",
            "a/b",
            "a\\b",
            "x\0y",
            "a\nb",
            "\u{85}",
            "é",
            " ",
            ". ",
            "Survey 2026.csv",
        ];
        for name in names {
            assert_eq!(re.is_match(name), FileName::parse(name).is_ok(), "{name:?}");
        }
        let long = "é".repeat(MAX_FILE_NAME_CHARS);
        assert!(FileName::parse(&long).is_ok());
        assert!(FileName::parse(&format!("{long}é")).is_err());
    }

    #[test]
    fn names_found_by_drop_endpoints_are_made_valid() {
        assert_eq!(FileName::lossy("ok.csv").as_str(), "ok.csv");
        assert_eq!(FileName::lossy("a\\b\tc.csv").as_str(), "a_b_c.csv");
        assert_eq!(FileName::lossy("").as_str(), "unnamed");
        assert_eq!(FileName::lossy("..").as_str(), "unnamed..");
        let long = FileName::lossy(&format!("{}\n.csv", "é".repeat(200)));
        assert_eq!(long.as_str().chars().count(), 205);
        for name in ["a\\b\tc.csv", "", "..", &"é".repeat(200)] {
            let made = FileName::lossy(name);
            assert_eq!(
                FileName::parse(made.as_str()).ok(),
                Some(made.clone()),
                "{name:?}"
            );
        }
    }

    #[test]
    fn slugs_are_safe_path_segments() {
        assert_eq!(
            slug("Labour Force Survey (2026)", "x"),
            "labour-force-survey-2026"
        );
        assert_eq!(slug("../../etc", "x"), "etc");
        assert_eq!(slug("日本", "data"), "data");
        assert_eq!(slug(&"a".repeat(100), "x").len(), 48);
    }
}
