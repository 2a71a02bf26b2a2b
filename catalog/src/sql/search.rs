//! Catalog search's SQL: the one place where the two backends differ in
//! more than a clause. SQLite searches FTS5 tables ranked by weighted
//! bm25; PostgreSQL narrow tables of tsvectors under GIN indexes, ranked
//! by `ts_rank_cd`. Both index the same text, prepared here (only words,
//! split the way the query parser splits them), of listed datasets only,
//! and return a tier's hits the same way: a window at a time, newest
//! first (see [`crate::search`]). FTS5 walks its matches in that order
//! itself; for GIN, Airlock chooses each step's plan
//! ([`crate::search::steps`]).

/// One dialect's statements.
pub(crate) struct SearchSql {
    /// Remove a dataset's documents (`$1` its id), the first statements
    /// of a rewrite.
    pub delete: &'static [&'static str],
    /// Gives a dataset (`$1`) its place in the newest-first order, once;
    /// it also marks the dataset as indexed.
    pub prepare: &'static str,
    /// Up to `$1` datasets never indexed, oldest first.
    pub missing: &'static str,
    /// Adds a listed dataset's document: `$1` the dataset id, `$2` name,
    /// `$3` tags, `$4` column names, `$5` description, `$6` supplier, `$7`
    /// purpose. The old one is deleted first.
    pub insert: &'static str,
    /// Then derive the tiers' own indexes from it (`$1` the dataset id).
    pub derive: &'static [&'static str],
    /// How each tier's windows are found, by [`crate::search::Tier::ALL`]'s
    /// order.
    pub tiers: [TierSql; 5],
    /// The words a tier must hold, as the engine's query text.
    pub words: fn(&crate::SearchQuery) -> String,
    /// What a query excludes, as the engine's query text.
    pub excluded: fn(&crate::SearchQuery) -> Option<String>,
    /// The places, among `$2` (a JSON array of places), of datasets that
    /// hold an excluded word (`$1`, from `excluded`).
    pub exclusions: &'static str,
    /// The oldest and the newest place given (1 and 0 when none is).
    pub places: &'static str,
    /// The hits' datasets with their tags: `$1` their ids as a JSON array.
    pub load: &'static str,
    /// Every dataset by name: `$1` the zones as a JSON array, `$2`
    /// classification or NULL, `$3` tag or NULL, `$4` the published state,
    /// `$5` the limit, `$6` the offset.
    pub all: &'static str,
}

/// How a tier's windows are found. Rows: dataset id, score (higher is
/// better) and place, newest first.
pub(crate) enum TierSql {
    /// The engine walks the tier's matches newest first and stops at the
    /// window's end (FTS5: a doclist is in rowid order). `$1` the zones
    /// as a JSON array, `$2` classification or NULL, `$3` tag or NULL,
    /// `$4` the published state, `$5` the window's size, `$6` its offset,
    /// `$7` the words.
    Ordered(&'static str),
    /// The engine finds matches in no useful order (GIN): Airlock chooses
    /// step by step between `walk`, which checks the places above `$5` up
    /// to `$6` newest first, and `matches`, which takes the newest
    /// matches in that range from the index (see
    /// [`crate::search::steps`]). `$1` the zones as a JSON array, `$2`
    /// classification or NULL, `$3` tag or NULL, `$4` the most rows, `$7`
    /// the words.
    Chosen {
        walk: &'static str,
        matches: &'static str,
    },
}

/// Removes a dataset's rows from tables keyed by its place (`$place`).
macro_rules! delete_by_place {
    ($place:literal: $($table:literal),+) => {
        &[$(concat!(
            "DELETE FROM ",
            $table,
            " WHERE ",
            $place,
            " = (SELECT n FROM dataset_search_ids WHERE dataset_id = $1)"
        )),+]
    };
}

const PREPARE: &str =
    "INSERT INTO dataset_search_ids (dataset_id) VALUES ($1) ON CONFLICT (dataset_id) DO NOTHING";
const MISSING: &str = "SELECT id FROM datasets d WHERE NOT EXISTS \
     (SELECT 1 FROM dataset_search_ids i WHERE i.dataset_id = d.id) ORDER BY created_at, id LIMIT $1";
/// Apart, so that each is one step down the key's index on both engines.
const PLACES: &str = "SELECT COALESCE((SELECT min(n) FROM dataset_search_ids), 1), \
     COALESCE((SELECT max(n) FROM dataset_search_ids), 0)";

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
        TierSql::Ordered(concat!(
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
        ))
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

pub(crate) const SQLITE: SearchSql = SearchSql {
    delete: delete_by_place!("rowid": "dataset_search", "dataset_search_name", "dataset_search_fields",
        "dataset_search_description", "dataset_search_source"),
    prepare: PREPARE,
    missing: MISSING,
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
    words: crate::SearchQuery::fts5_words,
    excluded: crate::SearchQuery::fts5_excluded,
    // FTS5 walks the excluded words' doclists between the window's
    // oldest and newest places only.
    exclusions: "SELECT rowid FROM dataset_search WHERE dataset_search MATCH $1 AND rowid BETWEEN \
                 (SELECT min(value) FROM json_each($2)) AND (SELECT max(value) FROM json_each($2))",
    places: PLACES,
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

/// The filters on a PostgreSQL tier's row (`t`).
macro_rules! postgres_filters {
    () => {
        " AND t.zone IN (SELECT jsonb_array_elements_text($1::jsonb)) \
         AND ($2::text IS NULL OR t.classification = $2) \
         AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM dataset_tags g WHERE g.dataset_id = t.dataset_id AND g.tag = $3)) "
    };
}

/// PostgreSQL: a narrow table per tier (`dataset_search_name`, `_fields`,
/// `_description`, `_source`, and `_all` for words across fields), each
/// with a GIN index on its words, holding only listed datasets with their
/// zone and classification, so that neither plan touches another table
/// for a place it rejects. `walk` checks places through `ts_match_vq`,
/// which no index serves, so the planner can only walk the places' key;
/// `matches` orders by `n + 0`, which no index serves, so the planner can
/// only take the matches from GIN. Each ranks only the rows it returns.
macro_rules! postgres_tier {
    ($table:literal) => {
        TierSql::Chosen {
            walk: postgres_step!(
                $table,
                "t.n > $5 AND t.n <= $6 AND ts_match_vq(t.words, p)",
                "t.n"
            ),
            matches: postgres_step!(
                $table,
                "t.words @@ p AND t.n + 0 > $5 AND t.n + 0 <= $6",
                "t.n + 0"
            ),
        }
    };
}

/// One step's statement on a PostgreSQL tier: the newest `$4` rows of
/// `$table` that `$matching` holds, by `$order`, each then ranked.
macro_rules! postgres_step {
    ($table:literal, $matching:literal, $order:literal) => {
        concat!(
            "SELECT t.dataset_id, ts_rank_cd(t.words, t.query)::float8 AS score, t.n FROM \
             (SELECT t.dataset_id, t.n, t.words, p AS query FROM ",
            $table,
            " t, to_tsquery('english', $7) p WHERE ",
            $matching,
            postgres_filters!(),
            "ORDER BY ",
            $order,
            " DESC LIMIT $4) t ORDER BY t.n DESC"
        )
    };
}

/// PostgreSQL: one statement writes a listed dataset's row in every
/// tier's table. Weights rank within a tier: tags over column names, and
/// across fields name, then tags and columns, then description, then
/// supplier and purpose.
const POSTGRES_INSERT: &str = "WITH d AS (SELECT i.n, d.id, d.zone, d.classification FROM datasets d \
     JOIN dataset_search_ids i ON i.dataset_id = d.id WHERE d.id = $1), \
     name AS (INSERT INTO dataset_search_name SELECT n, id, zone, classification, \
       to_tsvector('english', $2) FROM d), \
     fields AS (INSERT INTO dataset_search_fields SELECT n, id, zone, classification, \
       setweight(to_tsvector('english', $3), 'A') || setweight(to_tsvector('english', $4), 'B') FROM d), \
     description AS (INSERT INTO dataset_search_description SELECT n, id, zone, classification, \
       to_tsvector('english', $5) FROM d), \
     source AS (INSERT INTO dataset_search_source SELECT n, id, zone, classification, \
       to_tsvector('english', $6 || ' ' || $7) FROM d) \
     INSERT INTO dataset_search_all SELECT n, id, zone, classification, \
       setweight(to_tsvector('english', $2), 'A') || \
       setweight(to_tsvector('english', $3 || ' ' || $4), 'B') || \
       setweight(to_tsvector('english', $5), 'C') || \
       setweight(to_tsvector('english', $6 || ' ' || $7), 'D') FROM d";

pub(crate) const POSTGRES: SearchSql = SearchSql {
    delete: delete_by_place!("n": "dataset_search_name", "dataset_search_fields",
        "dataset_search_description", "dataset_search_source", "dataset_search_all"),
    prepare: PREPARE,
    missing: MISSING,
    insert: POSTGRES_INSERT,
    derive: &[],
    tiers: [
        postgres_tier!("dataset_search_name"),
        postgres_tier!("dataset_search_fields"),
        postgres_tier!("dataset_search_description"),
        postgres_tier!("dataset_search_source"),
        postgres_tier!("dataset_search_all"),
    ],
    words: crate::SearchQuery::tsquery_words,
    excluded: crate::SearchQuery::tsquery_excluded,
    // One lookup a place of the window.
    exclusions: "SELECT t.n FROM dataset_search_all t WHERE t.n = ANY(ARRAY(\
                 SELECT jsonb_array_elements_text($2::jsonb)::bigint)) \
                 AND ts_match_vq(t.words, to_tsquery('english', $1))",
    places: PLACES,
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
