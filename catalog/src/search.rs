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
//!
//! Ranking is bounded: neither engine can find the best k of many matches
//! without scoring them all (FTS5's bm25 and PostgreSQL's `ts_rank_cd`
//! cost about a microsecond a match), so a common word in 100,000
//! datasets would cost 50 ms or more. Hits come instead in [`Tier`]s, by
//! the best field that holds the whole query (a name before tags and
//! columns, before the description, before supplier and purpose, before
//! words found across fields), and within a tier in windows of
//! [`RANK_WINDOW`] matches, newest first, each window ranked by the
//! engine's score. Each field group has an index of its own, so a tier's
//! walk meets only its own matches and the earlier tiers' (fewer than a
//! page, since a tier is reached only once those ran out), which
//! [`ranked_page`] drops. A page reads only as many windows as it needs,
//! each an index walk that stops at the window's end.

use crate::CatalogError;

pub mod steps;

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 256;
/// Most words and phrases in one query.
pub const MAX_TERMS: usize = 32;

/// Matches a tier ranks at a time (see the module's documentation).
pub const RANK_WINDOW: usize = 256;

/// Where a dataset's match was found, best first: every hit of a tier
/// ranks above every hit of the next. A dataset belongs to the first tier
/// whose fields hold the whole query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Name,
    TagsOrColumns,
    Description,
    SupplierOrPurpose,
    /// The query's words found, but in different fields.
    AcrossFields,
}

impl Tier {
    pub const ALL: [Tier; 5] = [
        Tier::Name,
        Tier::TagsOrColumns,
        Tier::Description,
        Tier::SupplierOrPurpose,
        Tier::AcrossFields,
    ];
}

/// A window of a tier's hits, newest first.
#[derive(Debug, Default)]
pub struct Window {
    /// Each dataset's id and score (higher is better).
    pub hits: Vec<(String, f64)>,
    /// Whether the window took all [`RANK_WINDOW`] matches it could
    /// (before any exclusion): if not, the tier has no more.
    pub full: bool,
}

/// The ids of hits `offset..offset + limit` in rank order: tier by tier,
/// window by window, each window ranked by score (ties newest first).
/// `window(tier, n)` fetches a tier's `n`th window of [`RANK_WINDOW`]
/// matches, newest first. Reads only the windows the page needs.
pub async fn ranked_page<F, Fut>(
    offset: usize,
    limit: usize,
    mut window: F,
) -> Result<Vec<String>, CatalogError>
where
    F: FnMut(Tier, usize) -> Fut,
    Fut: std::future::Future<Output = Result<Window, CatalogError>>,
{
    let need = offset.saturating_add(limit);
    let mut ranked: Vec<String> = Vec::new();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    'tiers: for tier in Tier::ALL {
        for n in 0.. {
            let Window { mut hits, full } = window(tier, n).await?;
            // A dataset an earlier tier ranked is not ranked again. A tier
            // is only reached once every earlier one ran out, so all their
            // hits are here, and fewer than a page.
            hits.retain(|(id, _)| !seen.contains(id));
            // Stable: equal scores keep the window's newest-first order.
            hits.sort_by(|a, b| b.1.total_cmp(&a.1));
            for (id, _) in hits {
                seen.insert(id.clone());
                ranked.push(id);
            }
            if ranked.len() >= need {
                break 'tiers;
            }
            if !full {
                break;
            }
        }
    }
    Ok(ranked.into_iter().skip(offset).take(limit).collect())
}

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

    /// The words that must be found, without the exclusions, as an FTS5
    /// `MATCH` expression: what a tier's table must hold (the exclusions
    /// are [`Self::fts5_excluded`]).
    pub fn fts5_words(&self) -> String {
        let mut out: Vec<String> = Vec::new();
        for c in &self.clauses {
            if let Clause::AnyOf(any) = c {
                let any: Vec<String> = any.iter().map(Term::fts5).collect();
                out.push(format!("({})", any.join(" OR ")));
            }
        }
        out.join(" AND ")
    }

    /// The excluded words and phrases as one FTS5 expression that any of
    /// them matches; `None` when nothing is excluded.
    pub fn fts5_excluded(&self) -> Option<String> {
        let excluded: Vec<String> = self
            .clauses
            .iter()
            .filter_map(|c| match c {
                Clause::Not(t) => Some(t.fts5()),
                Clause::AnyOf(_) => None,
            })
            .collect();
        (!excluded.is_empty()).then(|| excluded.join(" OR "))
    }

    /// The words that must be found, without the exclusions, as
    /// `to_tsquery` text: what a tier's fields must hold (the exclusions
    /// are [`Self::tsquery_excluded`]).
    pub fn tsquery_words(&self) -> String {
        let clauses: Vec<String> = self
            .clauses
            .iter()
            .filter_map(|c| match c {
                Clause::AnyOf(any) => Some(Term::tsquery_any(any)),
                Clause::Not(_) => None,
            })
            .collect();
        clauses.join(" & ")
    }

    /// Whether a word that must be found is a phrase: an engine that
    /// finds places by their words must check its positions after.
    pub fn has_phrase(&self) -> bool {
        self.clauses.iter().any(|c| match c {
            Clause::AnyOf(any) => any.iter().any(|t| t.words.len() > 1),
            Clause::Not(_) => false,
        })
    }

    /// The excluded words and phrases as one `to_tsquery` text that any
    /// of them matches; `None` when nothing is excluded.
    pub fn tsquery_excluded(&self) -> Option<String> {
        let excluded: Vec<String> = self
            .clauses
            .iter()
            .filter_map(|c| match c {
                Clause::Not(t) => Some(t.tsquery()),
                Clause::AnyOf(_) => None,
            })
            .collect();
        (!excluded.is_empty()).then(|| excluded.join(" | "))
    }
}

impl Term {
    fn fts5(&self) -> String {
        format!(
            "\"{}\"{}",
            self.words.join(" "),
            if self.prefix { "*" } else { "" }
        )
    }

    fn tsquery(&self) -> String {
        let last = self.words.len() - 1;
        let words: Vec<String> = self
            .words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let suffix = if self.prefix && i == last { ":*" } else { "" };
                format!("'{}'{suffix}", w.replace('\'', "''"))
            })
            .collect();
        format!("({})", words.join(" <-> "))
    }

    fn tsquery_any(any: &[Term]) -> String {
        let any: Vec<String> = any.iter().map(Term::tsquery).collect();
        format!("({})", any.join(" | "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(text: &str) -> (String, String) {
        let q = SearchQuery::parse(text).unwrap();
        (q.fts5_words(), q.tsquery_words())
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
        // FTS5 is given the words and, apart, what they exclude.
        let q = SearchQuery::parse("\"labour force\" surv* -draft -\"pilot run\"").unwrap();
        assert_eq!(q.fts5_words(), "(\"labour force\") AND (\"surv\"*)");
        assert_eq!(
            q.fts5_excluded().as_deref(),
            Some("\"draft\" OR \"pilot run\"")
        );
        // So is PostgreSQL.
        assert_eq!(q.tsquery_words(), "(('labour' <-> 'force')) & (('surv':*))");
        assert_eq!(
            q.tsquery_excluded().as_deref(),
            Some("('draft') | ('pilot' <-> 'run')")
        );
        assert!(q.has_phrase());
        let plain = SearchQuery::parse("labour -\"pilot run\"").unwrap();
        assert!(!plain.has_phrase());
        let plain = SearchQuery::parse("labour").unwrap();
        assert_eq!(
            (plain.fts5_excluded(), plain.tsquery_excluded()),
            (None, None)
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

    /// A tier's hits as the engine would give them: `(id, score)` newest
    /// first, cut into windows.
    fn windows(
        tiers: &[Vec<(String, f64)>],
    ) -> impl FnMut(Tier, usize) -> std::future::Ready<Result<Window, CatalogError>> + '_ {
        move |tier, n| {
            let all = &tiers[tier as usize];
            let hits: Vec<_> = all
                .iter()
                .skip(n * RANK_WINDOW)
                .take(RANK_WINDOW)
                .cloned()
                .collect();
            let full = hits.len() == RANK_WINDOW;
            std::future::ready(Ok(Window { hits, full }))
        }
    }

    #[test]
    fn pages_come_tier_by_tier_and_window_by_window_without_repeats() {
        let hit = |id: &str, score: f64| (id.to_owned(), score);
        // Names: a window and a bit, scores rising with age, so that each
        // window's ranking is visible. Tags hold one name hit again.
        let names: Vec<_> = (0..RANK_WINDOW + 2)
            .map(|i| hit(&format!("n{i:03}"), i as f64))
            .collect();
        let tags = vec![hit("t1", 1.0), hit("n000", 9.0), hit("t2", 2.0)];
        let tiers = vec![
            names,
            tags,
            vec![],
            vec![hit("s1", 1.0)],
            vec![hit("x1", 1.0)],
        ];
        let all = run_ready(ranked_page(0, 1000, windows(&tiers))).unwrap();
        // The first window best first, then the second, then the tags'
        // own hits (n000 was ranked already), then supplier, then across.
        let mut expected: Vec<String> =
            (0..RANK_WINDOW).rev().map(|i| format!("n{i:03}")).collect();
        expected.extend(["n257", "n256", "t2", "t1", "s1", "x1"].map(String::from));
        assert_eq!(all, expected);
        // Any page is the same slice of that order.
        for (offset, limit) in [(0, 3), (250, 10), (258, 2), (261, 5)] {
            let page = run_ready(ranked_page(offset, limit, windows(&tiers))).unwrap();
            let end = (offset + limit).min(expected.len());
            assert_eq!(page, expected[offset..end], "{offset}+{limit}");
        }
    }

    /// Runs a future that never waits.
    fn run_ready<T>(f: impl std::future::Future<Output = T>) -> T {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => unreachable!("the windows are ready at once"),
        }
    }

    #[test]
    fn quotes_in_words_cannot_reach_the_engine() {
        let (fts, ts) = both("o'brien \"x\"\"y\"");
        assert_eq!(fts, "(\"o brien\") AND (\"x\") AND (\"y\")");
        assert_eq!(ts, "(('o' <-> 'brien')) & (('x')) & (('y'))");
    }
}
