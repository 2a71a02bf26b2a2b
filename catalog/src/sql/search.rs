//! Catalog search's SQL: the one place where the two backends differ in
//! more than a clause. SQLite searches an FTS5 table ranked by weighted
//! bm25; PostgreSQL a weighted tsvector under a GIN index, ranked by
//! `ts_rank_cd`. Both index the same text, prepared here (only words,
//! split the way the query parser splits them), and filter, page and
//! return rows the same way.

/// One dialect's statements.
pub(crate) struct SearchSql {
    /// Removes a dataset's document (`$1` its id), the first statement
    /// of a rewrite.
    pub delete: &'static str,
    /// Prepares a dataset (`$1`) for its document.
    pub prepare: &'static str,
    /// Up to `$1` datasets that have no document, by id.
    pub missing: &'static str,
    /// Adds a dataset's document: `$1` the dataset id, `$2` name, `$3`
    /// tags, `$4` column names, `$5` description, `$6` supplier, `$7`
    /// purpose. The old one is deleted first.
    pub insert: &'static str,
    /// A ranked full-text search: `$1` the rendered query, `$2` the zones
    /// as a JSON array, `$3` classification or NULL, `$4` tag or NULL, `$5`
    /// the published state, `$6` limit, `$7` offset.
    pub text: &'static str,
    /// Every dataset by name: the same binds without the query (`$1` the
    /// zones … `$6` the offset).
    pub all: &'static str,
    /// Renders a parsed query for `text`.
    pub render: fn(&crate::SearchQuery) -> String,
}

/// A page of hits: the inner query ranks, filters and limits over the
/// index; only the page's rows get their tags, then keep their order.
/// `filters!` are the filters and the published check that every search
/// shares, by dialect.
macro_rules! page {
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

macro_rules! filters {
    ($zones:literal, $class:literal, $tag:literal, $state:literal) => {
        concat!(
            " AND d.zone IN (", $zones, ") AND (", $class, " IS NULL OR d.classification = ", $class,
            ") AND (", $tag, " IS NULL OR EXISTS (SELECT 1 FROM dataset_tags t WHERE t.dataset_id = d.id AND t.tag = ",
            $tag, ")) AND EXISTS (SELECT 1 FROM dataset_versions v WHERE v.dataset_id = d.id AND v.state = ",
            $state, ") "
        )
    };
}

pub(crate) const SQLITE: SearchSql = SearchSql {
    delete: "DELETE FROM dataset_search WHERE rowid = \
             (SELECT n FROM dataset_search_ids WHERE dataset_id = $1)",
    prepare: "INSERT INTO dataset_search_ids (dataset_id) VALUES ($1) ON CONFLICT (dataset_id) DO NOTHING",
    missing: "SELECT id FROM datasets d WHERE NOT EXISTS \
              (SELECT 1 FROM dataset_search_ids i WHERE i.dataset_id = d.id) ORDER BY id LIMIT $1",
    insert: "INSERT INTO dataset_search (rowid, dataset_id, name, tags, columns, description, supplier, purpose) \
             VALUES ((SELECT n FROM dataset_search_ids WHERE dataset_id = $1), $1, $2, $3, $4, $5, $6, $7)",
    text: page!(
        "(SELECT group_concat(tag, ',') FROM (SELECT tag FROM dataset_tags t WHERE t.dataset_id = h.id ORDER BY tag))",
        concat!(
            "SELECT d.*, bm25(dataset_search, 0.0, 10.0, 5.0, 4.0, 2.0, 1.0, 1.0) AS score \
             FROM dataset_search JOIN dataset_search_ids i ON i.n = dataset_search.rowid \
             JOIN datasets d ON d.id = i.dataset_id WHERE dataset_search MATCH $1",
            filters!("SELECT value FROM json_each($2)", "$3", "$4", "$5"),
            "ORDER BY score, d.name LIMIT $6 OFFSET $7"
        ),
        "h.score, h.name"
    ),
    all: page!(
        "(SELECT group_concat(tag, ',') FROM (SELECT tag FROM dataset_tags t WHERE t.dataset_id = h.id ORDER BY tag))",
        concat!(
            "SELECT d.* FROM datasets d WHERE TRUE",
            filters!("SELECT value FROM json_each($1)", "$2", "$3", "$4"),
            "ORDER BY d.name LIMIT $5 OFFSET $6"
        ),
        "h.name"
    ),
    render: crate::SearchQuery::fts5,
};

pub(crate) const POSTGRES: SearchSql = SearchSql {
    delete: "DELETE FROM dataset_search WHERE dataset_id = $1",
    prepare: "SELECT $1::text",
    missing: "SELECT id FROM datasets d WHERE NOT EXISTS \
              (SELECT 1 FROM dataset_search s WHERE s.dataset_id = d.id) ORDER BY id LIMIT $1",
    insert: "INSERT INTO dataset_search (dataset_id, doc) VALUES ($1, \
             setweight(to_tsvector('english', $2), 'A') || \
             setweight(to_tsvector('english', $3 || ' ' || $4), 'B') || \
             setweight(to_tsvector('english', $5), 'C') || \
             setweight(to_tsvector('english', $6 || ' ' || $7), 'D'))",
    text: page!(
        "(SELECT string_agg(tag, ',' ORDER BY tag) FROM dataset_tags t WHERE t.dataset_id = h.id)",
        concat!(
            "SELECT d.*, ts_rank_cd(s.doc, q) AS score \
             FROM dataset_search s JOIN datasets d ON d.id = s.dataset_id, to_tsquery('english', $1) q \
             WHERE s.doc @@ q",
            filters!(
                "SELECT jsonb_array_elements_text($2::jsonb)",
                "$3",
                "$4",
                "$5"
            ),
            "ORDER BY score DESC, d.name LIMIT $6 OFFSET $7"
        ),
        "h.score DESC, h.name"
    ),
    all: page!(
        "(SELECT string_agg(tag, ',' ORDER BY tag) FROM dataset_tags t WHERE t.dataset_id = h.id)",
        concat!(
            "SELECT d.* FROM datasets d WHERE TRUE",
            filters!(
                "SELECT jsonb_array_elements_text($1::jsonb)",
                "$2",
                "$3",
                "$4"
            ),
            "ORDER BY d.name LIMIT $5 OFFSET $6"
        ),
        "h.name"
    ),
    render: crate::SearchQuery::tsquery,
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
