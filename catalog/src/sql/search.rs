//! Catalog search's SQL: the one place where the two backends differ in
//! more than a clause. SQLite searches an FTS5 table ranked by weighted
//! bm25; PostgreSQL a weighted tsvector, and one per field group, under
//! GIN indexes, ranked by `ts_rank_cd`. Both index the same text,
//! prepared here (only words, split the way the query parser splits
//! them), and filter and return a tier's hits the same way: a window at
//! a time, newest first (see [`crate::search`]).

/// One dialect's statements.
pub(crate) struct SearchSql {
    /// Remove a dataset's documents (`$1` its id), the first statements
    /// of a rewrite.
    pub delete: &'static [&'static str],
    /// Gives a dataset (`$1`) its place in the newest-first order, once.
    pub prepare: &'static str,
    /// Up to `$1` datasets that have no document, by id.
    pub missing: &'static str,
    /// Adds a dataset's document: `$1` the dataset id, `$2` name, `$3`
    /// tags, `$4` column names, `$5` description, `$6` supplier, `$7`
    /// purpose. The old one is deleted first.
    pub insert: &'static str,
    /// Then derive the tiers' own indexes from it (`$1` the dataset id).
    pub derive: &'static [&'static str],
    /// One window of a tier's hits, by [`crate::search::Tier::ALL`]'s order: `$1` the
    /// zones as a JSON array, `$2` classification or NULL, `$3` tag or
    /// NULL, `$4` the published state, `$5` the window's size, `$6` its
    /// offset, then the query texts from `query_texts`. Rows: dataset id,
    /// score (higher is better) and place in the newest-first order,
    /// newest first.
    pub tiers: [&'static str; 5],
    /// The query texts a tier's statement takes, from `$7` on.
    pub query_texts: fn(&crate::SearchQuery) -> Vec<String>,
    /// Where the tiers' statements cannot apply a query's exclusions:
    /// the places, between `$2` and `$3`, of datasets that hold an
    /// excluded word (`$1`, from [`crate::SearchQuery::fts5_excluded`]).
    pub exclusions: Option<&'static str>,
    /// The hits' datasets with their tags: `$1` their ids as a JSON array.
    pub load: &'static str,
    /// Every dataset by name: `$1` the zones … `$4` the published state
    /// as for `tiers`, `$5` the limit, `$6` the offset.
    pub all: &'static str,
}

/// Datasets with their tags, from the rows of `$inner` (aliased `h`).
macro_rules! with_tags {
    ($tags:literal, $inner:expr, $order:literal) => {
        concat!(
            "SELECT h.id, h.name, h.zone, h.classification, h.description, h.acquisition_id, \
             h.created_at, COALESCE(",
            $tags,
            ", '') AS tags FROM (",
            $inner,
            ") h ORDER BY ",
            $order
        )
    };
}

/// The filters and the published check that every search shares, by
/// dialect.
macro_rules! filters {
    ($zones:literal) => {
        concat!(
            " AND d.zone IN (", $zones, ") AND ($2 IS NULL OR d.classification = $2) \
             AND ($3 IS NULL OR EXISTS (SELECT 1 FROM dataset_tags t WHERE t.dataset_id = d.id AND t.tag = $3)) \
             AND EXISTS (SELECT 1 FROM dataset_versions v WHERE v.dataset_id = d.id AND v.state = $4) "
        )
    };
}

/// SQLite: each field group's tier searches a table of its own
/// (`dataset_search_name`, `_fields`, `_description`, `_source`), and
/// words across fields the whole document, so that a tier's walk meets
/// only its own matches. FTS5 walks its matches by rowid, the
/// newest-first order, and stops at the window's end.
macro_rules! sqlite_tier {
    ($table:literal, $weights:literal) => {
        concat!(
            "SELECT i.dataset_id, -bm25(",
            $table,
            ", ",
            $weights,
            ") AS score, i.n \
             FROM ",
            $table,
            " JOIN dataset_search_ids i ON i.n = ",
            $table,
            ".rowid \
             JOIN datasets d ON d.id = i.dataset_id WHERE ",
            $table,
            " MATCH $7",
            filters!("SELECT value FROM json_each($1)"),
            "ORDER BY ",
            $table,
            ".rowid DESC LIMIT $5 OFFSET $6"
        )
    };
}

/// SQLite: copies a dataset's fields from its document into a tier's
/// table (`$1` the dataset id).
macro_rules! sqlite_derive {
    ($table:literal, $columns:literal) => {
        concat!(
            "INSERT INTO ", $table, " (rowid, ", $columns, ") SELECT rowid, ", $columns,
            " FROM dataset_search WHERE rowid = (SELECT n FROM dataset_search_ids WHERE dataset_id = $1)"
        )
    };
}

macro_rules! sqlite_delete {
    ($table:literal) => {
        concat!(
            "DELETE FROM ",
            $table,
            " WHERE rowid = (SELECT n FROM dataset_search_ids WHERE dataset_id = $1)"
        )
    };
}

pub(crate) const SQLITE: SearchSql = SearchSql {
    delete: &[
        sqlite_delete!("dataset_search"),
        sqlite_delete!("dataset_search_name"),
        sqlite_delete!("dataset_search_fields"),
        sqlite_delete!("dataset_search_description"),
        sqlite_delete!("dataset_search_source"),
    ],
    prepare: "INSERT INTO dataset_search_ids (dataset_id) VALUES ($1) ON CONFLICT (dataset_id) DO NOTHING",
    missing: "SELECT id FROM datasets d WHERE NOT EXISTS \
              (SELECT 1 FROM dataset_search_ids i WHERE i.dataset_id = d.id) ORDER BY id LIMIT $1",
    insert: "INSERT INTO dataset_search (rowid, dataset_id, name, tags, columns, description, supplier, purpose) \
             VALUES ((SELECT n FROM dataset_search_ids WHERE dataset_id = $1), $1, $2, $3, $4, $5, $6, $7)",
    derive: &[
        sqlite_derive!("dataset_search_name", "name"),
        sqlite_derive!("dataset_search_fields", "tags, columns"),
        sqlite_derive!("dataset_search_description", "description"),
        sqlite_derive!("dataset_search_source", "supplier, purpose"),
    ],
    tiers: [
        sqlite_tier!("dataset_search_name", "1.0"),
        sqlite_tier!("dataset_search_fields", "5.0, 4.0"),
        sqlite_tier!("dataset_search_description", "1.0"),
        sqlite_tier!("dataset_search_source", "1.0, 1.0"),
        sqlite_tier!("dataset_search", "0.0, 10.0, 5.0, 4.0, 2.0, 1.0, 1.0"),
    ],
    query_texts: |q| vec![q.fts5_words()],
    exclusions: Some(
        "SELECT rowid FROM dataset_search WHERE dataset_search MATCH $1 AND rowid BETWEEN $2 AND $3",
    ),
    load: with_tags!(
        "(SELECT group_concat(tag, ',') FROM (SELECT tag FROM dataset_tags t WHERE t.dataset_id = h.id ORDER BY tag))",
        "SELECT d.* FROM datasets d WHERE d.id IN (SELECT value FROM json_each($1))",
        "h.id"
    ),
    all: with_tags!(
        "(SELECT group_concat(tag, ',') FROM (SELECT tag FROM dataset_tags t WHERE t.dataset_id = h.id ORDER BY tag))",
        concat!(
            "SELECT d.* FROM datasets d WHERE TRUE",
            filters!("SELECT value FROM json_each($1)"),
            "ORDER BY d.name LIMIT $5 OFFSET $6"
        ),
        "h.name"
    ),
};

/// PostgreSQL: a statement per tier. `$7` is the words the tier's own
/// tsvector must hold, `$8` the whole query (with its exclusions) that
/// the dataset's weighted document must match, which also ranks it.
/// Each field group has its own tsvector and GIN index, so a tier's
/// match is exact in its index (weights in one tsvector would need a
/// recheck of every candidate); the planner walks the `n` index newest
/// first when matches are many and a GIN index when few.
macro_rules! postgres_tier {
    ($tier:literal) => {
        concat!(
            "SELECT s.dataset_id, ts_rank_cd(s.doc, q)::float8 AS score, s.n \
             FROM dataset_search s JOIN datasets d ON d.id = s.dataset_id, \
             to_tsquery('english', $7) p, to_tsquery('english', $8) q WHERE s.doc @@ q AND ",
            $tier,
            filters!("SELECT jsonb_array_elements_text($1::jsonb)"),
            "ORDER BY s.n DESC LIMIT $5 OFFSET $6"
        )
    };
}

pub(crate) const POSTGRES: SearchSql = SearchSql {
    delete: &["DELETE FROM dataset_search WHERE dataset_id = $1"],
    prepare: "INSERT INTO dataset_search_ids (dataset_id) VALUES ($1) ON CONFLICT (dataset_id) DO NOTHING",
    missing: "SELECT id FROM datasets d WHERE NOT EXISTS \
              (SELECT 1 FROM dataset_search s WHERE s.dataset_id = d.id) ORDER BY id LIMIT $1",
    insert: "INSERT INTO dataset_search (dataset_id, n, doc, name_doc, fields_doc, description_doc, source_doc) \
             VALUES ($1, (SELECT n FROM dataset_search_ids WHERE dataset_id = $1), \
             setweight(to_tsvector('english', $2), 'A') || \
             setweight(to_tsvector('english', $3 || ' ' || $4), 'B') || \
             setweight(to_tsvector('english', $5), 'C') || \
             setweight(to_tsvector('english', $6 || ' ' || $7), 'D'), \
             to_tsvector('english', $2), to_tsvector('english', $3 || ' ' || $4), \
             to_tsvector('english', $5), to_tsvector('english', $6 || ' ' || $7))",
    derive: &[],
    tiers: [
        postgres_tier!("s.name_doc @@ p"),
        postgres_tier!("s.fields_doc @@ p"),
        postgres_tier!("s.description_doc @@ p"),
        postgres_tier!("s.source_doc @@ p"),
        postgres_tier!("TRUE"),
    ],
    query_texts: |q| vec![q.tsquery_positive(), q.tsquery()],
    exclusions: None,
    load: with_tags!(
        "(SELECT string_agg(tag, ',' ORDER BY tag) FROM dataset_tags t WHERE t.dataset_id = h.id)",
        "SELECT d.* FROM datasets d WHERE d.id IN (SELECT jsonb_array_elements_text($1::jsonb))",
        "h.id"
    ),
    all: with_tags!(
        "(SELECT string_agg(tag, ',' ORDER BY tag) FROM dataset_tags t WHERE t.dataset_id = h.id)",
        concat!(
            "SELECT d.* FROM datasets d WHERE TRUE",
            filters!("SELECT jsonb_array_elements_text($1::jsonb)"),
            "ORDER BY d.name LIMIT $5 OFFSET $6"
        ),
        "h.name"
    ),
};

/// A dataset's searchable text, each field reduced to its words.
pub(crate) struct Document {
    pub name: String,
    pub tags: String,
    pub columns: String,
    pub description: String,
    pub supplier: String,
    pub purpose: String,
}

impl Document {
    pub fn new<'a>(
        name: &str,
        tags: impl IntoIterator<Item = &'a str>,
        columns: impl IntoIterator<Item = &'a str>,
        description: &str,
        supplier: &str,
        purpose: &str,
    ) -> Document {
        let text = |s: &str| crate::search::words(s).join(" ");
        let many = |items: &mut dyn Iterator<Item = &'a str>| {
            items.map(text).collect::<Vec<_>>().join(" ")
        };
        Document {
            name: text(name),
            tags: many(&mut tags.into_iter()),
            columns: many(&mut columns.into_iter()),
            description: text(description),
            supplier: text(supplier),
            purpose: text(purpose),
        }
    }
}
