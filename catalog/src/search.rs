//! Catalog search's one query language, parsed here and rendered for each
//! backend's full-text engine: SQLite FTS5's `MATCH` and PostgreSQL's
//! `to_tsquery`.
//!
//! Key decision: Airlock parses the caller's query itself, so both
//! backends accept the same syntax, a malformed query is refused with
//! where it went wrong (never passed on to fail, or worse to mean
//! something else, inside the database), and what reaches the engine is
//! built from plain words only. The syntax is what search boxes teach:
//! words (all must match), `"a phrase"`, `prefix*`, `this OR that`, and
//! `-excluded`.

use crate::CatalogError;

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 256;
/// Most words and phrases in one query.
pub const MAX_TERMS: usize = 32;

/// A parsed query: every clause must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    clauses: Vec<Clause>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Clause {
    /// At least one of these (one, without `OR`).
    AnyOf(Vec<Term>),
    /// None of this.
    Not(Term),
}

/// A word, or a phrase of words in order; `prefix` matches its last word
/// as a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    words: Vec<String>,
    prefix: bool,
}

/// A lexical token with its character position.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Term(Term),
    Or,
    Minus,
}

fn invalid(message: impl Into<String>) -> CatalogError {
    CatalogError::InvalidQuery(message.into())
}

/// The words of `text`: runs of letters and digits, lower-cased;
/// anything else separates them.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn tokenize(text: &str) -> Result<Vec<Token>, CatalogError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' {
            let close = chars[i + 1..]
                .iter()
                .position(|&c| c == '"')
                .ok_or_else(|| invalid(format!("the quote at character {at} is never closed")))?;
            let inner: String = chars[i + 1..i + 1 + close].iter().collect();
            let words = words(&inner);
            if words.is_empty() {
                return Err(invalid(format!(
                    "the phrase at character {at} holds no words"
                )));
            }
            i += close + 2;
            let prefix = chars.get(i) == Some(&'*');
            if prefix {
                i += 1;
            }
            tokens.push(Token::Term(Term { words, prefix }));
        } else if c == '-' && tokens_may_start(&chars, i) {
            tokens.push(Token::Minus);
            i += 1;
        } else if c == '(' || c == ')' {
            return Err(invalid(format!(
                "{c:?} at character {at} is not part of the search syntax: \
                 write words, \"phrases\", prefix*, OR and -excluded"
            )));
        } else if c == '*' {
            return Err(invalid(format!(
                "the * at character {at} follows no word: write prefix* to match words that start with prefix"
            )));
        } else {
            let end = chars[i..]
                .iter()
                .position(|&c| c.is_whitespace() || c == '"' || c == '*' || c == '(' || c == ')')
                .map_or(chars.len(), |n| i + n);
            let raw: String = chars[i..end].iter().collect();
            i = end;
            let prefix = chars.get(i) == Some(&'*');
            if prefix {
                i += 1;
            }
            if raw == "OR" {
                tokens.push(Token::Or);
                continue;
            }
            let words = words(&raw);
            if words.is_empty() {
                // Punctuation alone: nothing to search for.
                if prefix {
                    return Err(invalid(format!("the * at character {} follows no word", i)));
                }
                continue;
            }
            tokens.push(Token::Term(Term { words, prefix }));
        }
    }
    Ok(tokens)
}

/// A `-` starts an exclusion at the start of a word (not inside one, as in
/// `covid-19`).
fn tokens_may_start(chars: &[char], i: usize) -> bool {
    i == 0 || chars[i - 1].is_whitespace()
}

impl SearchQuery {
    /// Parses a query; an error says what is wrong and where.
    pub fn parse(text: &str) -> Result<SearchQuery, CatalogError> {
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(invalid(format!(
                "a query is at most {MAX_QUERY_CHARS} characters"
            )));
        }
        let tokens = tokenize(text)?;
        let mut clauses: Vec<Clause> = Vec::new();
        let mut terms = 0;
        let mut tokens = tokens.into_iter().peekable();
        while let Some(token) = tokens.next() {
            match token {
                Token::Minus => match tokens.next() {
                    Some(Token::Term(t)) => clauses.push(Clause::Not(t)),
                    _ => {
                        return Err(invalid(
                            "a - must be followed by the word or phrase to exclude",
                        ));
                    }
                },
                Token::Or => return Err(invalid("OR must stand between two words or phrases")),
                Token::Term(t) => {
                    let mut any = vec![t];
                    while tokens.peek() == Some(&Token::Or) {
                        tokens.next();
                        match tokens.next() {
                            Some(Token::Term(t)) => any.push(t),
                            _ => {
                                return Err(invalid("OR must stand between two words or phrases"));
                            }
                        }
                    }
                    clauses.push(Clause::AnyOf(any));
                }
            }
            terms = clauses
                .iter()
                .map(|c| match c {
                    Clause::AnyOf(t) => t.len(),
                    Clause::Not(_) => 1,
                })
                .sum::<usize>();
            if terms > MAX_TERMS {
                return Err(invalid(format!(
                    "a query has at most {MAX_TERMS} words and phrases"
                )));
            }
        }
        if terms == 0 {
            return Err(invalid("the query holds no words to search for"));
        }
        if !clauses.iter().any(|c| matches!(c, Clause::AnyOf(_))) {
            return Err(invalid(
                "a query needs at least one word or phrase that is not excluded",
            ));
        }
        Ok(SearchQuery { clauses })
    }

    /// The query as an FTS5 `MATCH` expression.
    pub fn fts5(&self) -> String {
        let term = |t: &Term| {
            format!(
                "\"{}\"{}",
                t.words.join(" "),
                if t.prefix { "*" } else { "" }
            )
        };
        let mut out: Vec<String> = Vec::new();
        for c in &self.clauses {
            if let Clause::AnyOf(any) = c {
                let any: Vec<String> = any.iter().map(term).collect();
                out.push(format!("({})", any.join(" OR ")));
            }
        }
        let mut text = out.join(" AND ");
        for c in &self.clauses {
            if let Clause::Not(t) = c {
                text.push_str(" NOT ");
                text.push_str(&term(t));
            }
        }
        text
    }

    /// The query as PostgreSQL `to_tsquery` text.
    pub fn tsquery(&self) -> String {
        let term = |t: &Term| {
            let last = t.words.len() - 1;
            let words: Vec<String> = t
                .words
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    let suffix = if t.prefix && i == last { ":*" } else { "" };
                    format!("'{}'{suffix}", w.replace('\'', "''"))
                })
                .collect();
            format!("({})", words.join(" <-> "))
        };
        let clauses: Vec<String> = self
            .clauses
            .iter()
            .map(|c| match c {
                Clause::AnyOf(any) => {
                    let any: Vec<String> = any.iter().map(term).collect();
                    format!("({})", any.join(" | "))
                }
                Clause::Not(t) => format!("!{}", term(t)),
            })
            .collect();
        clauses.join(" & ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(text: &str) -> (String, String) {
        let q = SearchQuery::parse(text).unwrap();
        (q.fts5(), q.tsquery())
    }

    #[test]
    fn words_phrases_prefixes_or_and_exclusions_render_for_both_engines() {
        assert_eq!(
            both("Labour survey"),
            (
                "(\"labour\") AND (\"survey\")".into(),
                "(('labour')) & (('survey'))".into()
            )
        );
        assert_eq!(
            both("\"labour force\" surv* -draft"),
            (
                "(\"labour force\") AND (\"surv\"*) NOT \"draft\"".into(),
                "(('labour' <-> 'force')) & (('surv':*)) & !('draft')".into()
            )
        );
        assert_eq!(
            both("census OR survey 2021"),
            (
                "(\"census\" OR \"survey\") AND (\"2021\")".into(),
                "(('census') | ('survey')) & (('2021'))".into()
            )
        );
        // Punctuation inside a word makes a phrase of its parts; a hyphen
        // inside a word is not an exclusion.
        assert_eq!(both("census.people").0, "(\"census people\")");
        assert_eq!(both("covid-19").1, "(('covid' <-> '19'))");
        assert_eq!(both("Straße").0, "(\"straße\")");
    }

    #[test]
    fn malformed_queries_say_what_and_where() {
        for (text, says) in [
            ("\"labour force", "quote at character 1 is never closed"),
            ("census OR", "OR must stand between"),
            ("OR census", "OR must stand between"),
            ("census OR OR survey", "OR must stand between"),
            ("-", "must be followed"),
            ("-census", "not excluded"),
            (
                "(census)",
                "'(' at character 1 is not part of the search syntax",
            ),
            ("* census", "the * at character 1 follows no word"),
            ("\"\"", "phrase at character 1 holds no words"),
            ("   ", "no words"),
            ("?!", "no words"),
        ] {
            let err = SearchQuery::parse(text).unwrap_err().to_string();
            assert!(err.contains(says), "{text:?}: {err}");
        }
        let long = "a ".repeat(MAX_QUERY_CHARS);
        assert!(SearchQuery::parse(&long).is_err());
        let many = (0..=MAX_TERMS)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            SearchQuery::parse(&many)
                .unwrap_err()
                .to_string()
                .contains("at most")
        );
    }

    #[test]
    fn quotes_in_words_cannot_reach_the_engine() {
        let (fts, ts) = both("o'brien \"x\"\"y\"");
        assert_eq!(fts, "(\"o brien\") AND (\"x\") AND (\"y\")");
        assert_eq!(ts, "(('o' <-> 'brien')) & (('x')) & (('y'))");
    }
}
