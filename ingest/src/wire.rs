//! How typed values that cross the API as text are named and bounded in
//! the OpenAPI document, and the text rules the server enforces to match.
//!
//! The key decision is that the document states exactly what the server
//! checks: a zone is one of the configured zones (the enum is filled in at
//! startup, [`crate::api`]), a classification, format, decision or role is
//! one of its names, and a line of text is bounded in characters (as JSON
//! Schema counts them), holds no control character and is not blank.
//! [`check_line`] and [`check_prose`] are the checks behind the patterns here, so a
//! request the document calls valid is one the server takes, and one it
//! calls invalid is refused.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, Object, ObjectBuilder, Schema, SchemaType, Type,
};
use utoipa::{PartialSchema, ToSchema};

use airlock_zones::Classification;

use crate::IngestError;

/// One line of text: no control characters, and something besides spaces.
pub const LINE_PATTERN: &str =
    r"^[^\u0000-\u001f\u007f]*[^\u0000-\u0020\u007f][^\u0000-\u001f\u007f]*$";

/// One line of text that may be empty: no control characters.
pub const OPTIONAL_LINE_PATTERN: &str = r"^[^\u0000-\u001f\u007f]*$";

/// Free text (several lines allowed): no NUL, which no catalog can keep.
pub const OPTIONAL_PROSE_PATTERN: &str = r"^[^\u0000]*$";

/// Free text with something besides spaces, tabs and line breaks.
pub const PROSE_PATTERN: &str = r"^[^\u0000]*[^\u0000\t\n\r ][^\u0000]*$";

/// What [`prose`] trims: the white space [`PROSE_PATTERN`] names.
const BLANK: [char; 4] = [' ', '\t', '\n', '\r'];

/// Checks one line of text (a refusal is a `400 code`) against [`LINE_PATTERN`] and `max` characters;
/// empty is allowed only when it is not `required`. Returns it trimmed.
pub fn check_line<'a>(
    code: &'static str,
    field: &str,
    value: &'a str,
    max: usize,
    required: bool,
) -> Result<&'a str, IngestError> {
    let invalid = |why: &str| IngestError::bad_request(code, format!("{field} {why}"));
    if value.chars().count() > max {
        return Err(invalid(&format!("must be at most {max} characters")));
    }
    if value.chars().any(|c| c.is_ascii_control()) {
        return Err(invalid("must be one line, without control characters"));
    }
    let trimmed = value.trim_matches(' ');
    if required && trimmed.is_empty() {
        return Err(invalid("must be given"));
    }
    Ok(trimmed)
}

/// Checks free text against [`PROSE_PATTERN`] and `max` characters; when
/// `required`, it must hold something besides white space.
pub fn check_prose<'a>(
    code: &'static str,
    field: &str,
    value: &'a str,
    max: usize,
    required: bool,
) -> Result<&'a str, IngestError> {
    let invalid = |why: &str| IngestError::bad_request(code, format!("{field} {why}"));
    if value.chars().count() > max {
        return Err(invalid(&format!("must be at most {max} characters")));
    }
    if value.contains('\0') {
        return Err(invalid("must not contain NUL characters"));
    }
    let trimmed = value.trim_matches(BLANK);
    if required && trimmed.is_empty() {
        return Err(invalid("must be given"));
    }
    Ok(trimmed)
}

fn bounded_text(max: usize, pattern: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(max))
        .pattern(Some(pattern))
        .build()
}

/// The schema [`check_line`] enforces for a required line (`schema_with`).
pub fn line_schema<const MAX: usize>() -> Object {
    bounded_text(MAX, LINE_PATTERN)
}

/// The schema [`check_line`] enforces for an optional line.
pub fn optional_line_schema<const MAX: usize>() -> Object {
    bounded_text(MAX, OPTIONAL_LINE_PATTERN)
}

/// The schema [`check_line`] enforces for an optional line that may also
/// be `null` (an `Option`).
pub fn nullable_line_schema<const MAX: usize>() -> Object {
    let mut schema = bounded_text(MAX, OPTIONAL_LINE_PATTERN);
    schema.schema_type = SchemaType::from_iter([Type::String, Type::Null]);
    schema
}

/// The schema [`check_prose`] enforces for required free text.
pub fn prose_schema<const MAX: usize>() -> Object {
    bounded_text(MAX, PROSE_PATTERN)
}

/// The schema [`check_prose`] enforces for optional free text.
pub fn optional_prose_schema<const MAX: usize>() -> Object {
    bounded_text(MAX, OPTIONAL_PROSE_PATTERN)
}

fn string_enum<'a>(names: impl IntoIterator<Item = &'a str>, about: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names))
        .description(Some(about))
        .into()
}

/// A marker type that names a schema in the document (`value_type =
/// …`), built by a function: the struct and its two utoipa impls.
macro_rules! named_schema {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $schema:path) => {
        $(#[$doc])*
        pub struct $ty;

        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                $schema()
            }
        }

        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                $name.into()
            }
        }
    };
}

named_schema!(
    /// A configured zone's name; the schema's enum is the configuration's.
    ZoneNameText, "ZoneName", zone_name_schema
);

fn zone_name_schema() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[a-z0-9_-]{1,32}$"))
        .into()
}

named_schema!(
    /// A new user's name (`auth::check_user_name`).
    UserNameText, "UserName", user_name_schema
);

fn user_name_schema() -> RefOr<Schema> {
    let pattern = format!(
        "^(?!{}){}{{1,64}}$",
        crate::auth::OIDC_NAME_PREFIX,
        crate::auth::USER_NAME_CHARACTER
    );
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(64))
        .pattern(Some(pattern))
        .description(Some(
            "1 to 64 characters, no white space or control character, \
             not starting with `oidc:` (OIDC users' names).",
        ))
        .into()
}

named_schema!(
    /// A declared schema (`airlock_catalog::Contract`): one to 10,000 columns,
    /// each a name that is not blank, a type and whether it may be missing.
    /// Names must also be unique, which JSON Schema cannot say of objects
    /// that differ elsewhere; the server refuses a repeat with `400
    /// invalid_schema`.
    ContractText, "Contract", contract_schema
);

fn contract_schema() -> RefOr<Schema> {
    use airlock_catalog::{
        COLUMN_NAME_PATTERN, MAX_COLUMN_NAME_CHARS, MAX_DECLARED_COLUMNS, column_type_pattern,
    };
    let column = ObjectBuilder::new()
        .property(
            "name",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(MAX_COLUMN_NAME_CHARS))
                .pattern(Some(COLUMN_NAME_PATTERN))
                .description(Some(
                    "As the delivery writes it (a CSV header, a JSON key).",
                )),
        )
        .required("name")
        .property(
            "type",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(column_type_pattern()))
                .description(Some(
                    "bool, int64, float64, decimal(P,S) (1 <= P <= 38, S <= P), date, \
                     timestamp, timestamp_tz or string.",
                )),
        )
        .required("type")
        .property(
            "nullable",
            ObjectBuilder::new()
                .schema_type(Type::Boolean)
                .default(Some(true.into()))
                .description(Some("Whether a value may be missing.")),
        )
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .build();
    ObjectBuilder::new()
        .property(
            "columns",
            ArrayBuilder::new()
                .items(column)
                .min_items(Some(1))
                .max_items(Some(MAX_DECLARED_COLUMNS)),
        )
        .required("columns")
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .into()
}

named_schema!(
    /// A dataset's tag (`airlock_catalog::Tag`).
    TagText, "Tag", tag_schema
);

/// What a tag may be.
pub const TAG_PATTERN: &str = r"^[a-z0-9][a-z0-9._-]{0,63}$";

fn tag_schema() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(TAG_PATTERN))
        .into()
}

named_schema!(
    /// A security classification, lowest first.
    ClassificationText, "Classification", classification_schema
);

fn classification_schema() -> RefOr<Schema> {
    string_enum(
        Classification::ALL.iter().map(|c| c.as_str()),
        "A security classification, lowest first.",
    )
}

named_schema!(
    /// A format scanning knows, to name a delivery's when its name does not.
    FileFormatText, "FileFormat", file_format_schema
);

fn file_format_schema() -> RefOr<Schema> {
    string_enum(
        airlock_scanner::FileType::FORMATS.iter().copied(),
        "A delivery's format, where its file name does not tell it.",
    )
}

named_schema!(
    /// Content scanning refuses unless an acquisition allows it.
    AllowanceText, "Allowance", allowance_schema
);

fn allowance_schema() -> RefOr<Schema> {
    string_enum(
        airlock_scanner::Allowances::NAMES.iter().copied(),
        "Content scanning refuses unless an acquisition allows it.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_bounded_in_characters_and_refuses_control_and_blank_text() {
        assert_eq!(
            check_line("invalid_text", "name", "  Survey ", 10, true).unwrap(),
            "Survey"
        );
        assert_eq!(
            check_line("invalid_text", "name", "ééééé", 5, true).unwrap(),
            "ééééé"
        );
        assert!(check_line("invalid_text", "name", "éééééé", 5, true).is_err());
        assert!(check_line("invalid_text", "name", "   ", 5, true).is_err());
        assert_eq!(
            check_line("invalid_text", "name", "", 5, false).unwrap(),
            ""
        );
        for control in ["a\nb", "a\0", "\u{7f}x", "tab\there"] {
            let err = check_line("invalid_text", "name", control, 50, true).unwrap_err();
            assert_eq!(err.public().1, "invalid_text", "{control:?}");
        }
    }

    #[test]
    fn prose_takes_lines_but_not_nul() {
        assert_eq!(
            check_prose("invalid_text", "purpose", "one\ntwo\n", 20, true).unwrap(),
            "one\ntwo"
        );
        assert!(check_prose("invalid_text", "purpose", "\n\t ", 20, true).is_err());
        assert!(check_prose("invalid_text", "purpose", "a\0b", 20, false).is_err());
        assert!(check_prose("invalid_text", "purpose", "abc", 2, false).is_err());
    }

    #[test]
    fn the_user_name_pattern_says_what_the_check_does() {
        // Without its `(?!oidc:)` look-ahead, which the regex crate lacks
        // and the check's own prefix test covers.
        let class = format!("^{}{{1,64}}$", crate::auth::USER_NAME_CHARACTER);
        let re = regex::Regex::new(&class).unwrap();
        let names = [
            "ann",
            "",
            "a b",
            "a\tb",
            "\u{a0}",
            "\u{85}",
            "\u{3000}x",
            "é",
            "\u{feff}",
            "\u{2028}",
            "x\u{7f}",
        ];
        for name in names {
            let checked = crate::auth::check_user_name(name).is_ok();
            assert_eq!(re.is_match(name), checked, "{name:?}");
        }
        assert!(
            re.is_match(&"é".repeat(64)) && crate::auth::check_user_name(&"é".repeat(64)).is_ok()
        );
        assert!(crate::auth::check_user_name(&"é".repeat(65)).is_err());
        assert!(crate::auth::check_user_name("oidc:ann").is_err());
    }

    #[test]
    fn the_patterns_say_what_the_checks_do() {
        // The document's patterns, read by a regex engine, agree with the
        // checks on every case above.
        let lines = [
            "Survey",
            " x ",
            "   ",
            "",
            "a\nb",
            "a\0",
            "\u{7f}x",
            "é",
            "tab\there",
        ];
        let proses = ["one\ntwo", "a\0b", "", "\t", " \r\n", "\u{1c}", "x\u{3000}"];
        type Check = fn(&str) -> bool;
        let cases: [(&str, &[&str], Check); 4] = [
            (LINE_PATTERN, &lines, |t| {
                check_line("invalid_text", "f", t, 100, true).is_ok()
            }),
            (OPTIONAL_LINE_PATTERN, &lines, |t| {
                check_line("invalid_text", "f", t, 100, false).is_ok()
            }),
            (PROSE_PATTERN, &proses, |t| {
                check_prose("invalid_text", "f", t, 100, true).is_ok()
            }),
            (OPTIONAL_PROSE_PATTERN, &proses, |t| {
                check_prose("invalid_text", "f", t, 100, false).is_ok()
            }),
        ];
        for (pattern, texts, check) in cases {
            let re = regex::Regex::new(pattern).unwrap();
            for text in texts {
                assert_eq!(re.is_match(text), check(text), "{pattern} {text:?}");
            }
        }
    }
}
