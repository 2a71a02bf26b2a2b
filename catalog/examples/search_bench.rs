//! Catalog search at scale, for `bench/search.sh`: seeds a catalog with
//! DATASETS published datasets of 20 columns each (in bulk, by SQL), builds
//! their search documents through the catalog's own indexing, then times
//! QUERIES searches of several shapes through `search_datasets` and prints
//! p50, p99 and the dataset count. A benchmark, not a test.
//!
//!   cargo run --release -p airlock-catalog --example search_bench -- URL [DATASETS] [QUERIES]

use std::time::Instant;

use airlock_catalog::{SearchQuery, SearchRequest, connect};
use airlock_zones::ZoneName;

const TOPICS: &[&str] = &[
    "labour",
    "census",
    "health",
    "housing",
    "transport",
    "education",
    "trade",
    "energy",
    "crime",
    "tourism",
    "farming",
    "wages",
    "prices",
    "migration",
    "births",
    "deaths",
    "pensions",
    "retail",
    "weather",
    "water",
];
const WORDS: &[&str] = &[
    "survey",
    "quarterly",
    "annual",
    "regional",
    "national",
    "household",
    "business",
    "panel",
    "sample",
    "estimate",
    "index",
    "register",
    "extract",
    "monthly",
    "weekly",
    "provisional",
    "revised",
    "experimental",
    "official",
    "linked",
    "cohort",
    "wave",
    "returns",
    "claims",
    "records",
    "counts",
    "rates",
    "flows",
    "stocks",
    "output",
];
const COLUMNS: &[&str] = &[
    "id",
    "region",
    "age",
    "sex",
    "income",
    "hours",
    "occupation",
    "industry",
    "postcode",
    "date",
    "weight",
    "tenure",
    "rooms",
    "price",
    "volume",
    "value",
    "count",
    "rate",
    "code",
    "status",
    "employer",
    "sector",
    "band",
    "duration",
    "distance",
    "mode",
    "school",
    "grade",
    "diagnosis",
    "ward",
];

/// A small deterministic generator, so that both backends get the same
/// catalog.
struct Lcg(u64);

impl Lcg {
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        from[(self.0 >> 33) as usize % from.len()]
    }
}

macro_rules! seed {
    ($pool:expr, $datasets:expr) => {{
        let pool = $pool;
        // A catalog seeded by an earlier run is searched as it is.
        let (seeded,): (i64,) = sqlx::query_as("SELECT count(*) FROM datasets").fetch_one(&pool).await?;
        if seeded > 0 {
            eprintln!("the catalog holds {seeded} datasets already: searching those");
            return Ok::<_, Box<dyn std::error::Error>>(());
        }
        let mut rng = Lcg(7);
        let now = airlock_catalog::now_ms();
        sqlx::query("INSERT INTO users (id, name, role, created_at) VALUES ('bench', 'bench', 'engineer', 0)")
            .execute(&pool)
            .await?;
        for a in 0..100 {
            sqlx::query(
                "INSERT INTO acquisitions (id, name, slug, description, target_zone, classification, \
                 state, owner_id, created_at, supplier, purpose) \
                 VALUES ($1, $1, $1, '', 'sandbox', 'OFFICIAL', 'approved', 'bench', 0, $2, $3)",
            )
            .bind(format!("acq{a}"))
            .bind(format!("{} statistics office", rng.pick(TOPICS)))
            .bind(format!("{} {} research", rng.pick(TOPICS), rng.pick(WORDS)))
            .execute(&pool)
            .await?;
        }
        let mut tx = pool.begin().await?;
        for i in 0..$datasets {
            let (id, file) = (format!("ds{i:06}"), format!("f{i:06}"));
            let acq = format!("acq{}", i % 100);
            let name = format!("{}.{}_{i}", rng.pick(TOPICS), rng.pick(WORDS));
            let description = format!(
                "{} {} {} of {} {}",
                rng.pick(WORDS), rng.pick(WORDS), rng.pick(TOPICS), rng.pick(WORDS), rng.pick(TOPICS)
            );
            sqlx::query(
                "INSERT INTO files (id, acquisition_id, filename, sha256, size_bytes, channel, \
                 submitted_by, state, dataset_id, version, next_attempt_at, created_at, updated_at) \
                 VALUES ($1, $2, 'data.csv', $1, 1, 'http', 'bench', 'published', $3, 1, 0, 0, 0)",
            )
            .bind(&file).bind(&acq).bind(&id)
            .execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO datasets (id, name, zone, classification, description, acquisition_id, created_at) \
                 VALUES ($1, $2, 'sandbox', 'OFFICIAL', $3, $4, $5)",
            )
            .bind(&id).bind(&name).bind(&description).bind(&acq).bind(now)
            .execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO dataset_versions (dataset_id, version, state, location, rows, size_bytes, \
                 source_file_id, created_at) VALUES ($1, 1, 'published', '', 1, 1, $2, $3)",
            )
            .bind(&id).bind(&file).bind(now)
            .execute(&mut *tx).await?;
            let mut columns = String::from(
                "INSERT INTO dataset_columns (dataset_id, version, ordinal, name, data_type, nullable) VALUES ",
            );
            for c in 0..20 {
                if c > 0 {
                    columns.push(',');
                }
                columns.push_str(&format!("('{id}', 1, {c}, '{}_{c}', 'string', 1)", rng.pick(COLUMNS)));
            }
            sqlx::query(sqlx::AssertSqlSafe(columns)).execute(&mut *tx).await?;
            if i % 2000 == 1999 {
                tx.commit().await?;
                tx = pool.begin().await?;
            }
        }
        tx.commit().await?;
    }};
}

/// The query shapes, in the order the queries take them.
const SHAPES: [&str; 5] = [
    "a word",
    "two words",
    "a prefix",
    "OR with an exclusion",
    "a phrase",
];

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let url = args
        .first()
        .ok_or("usage: search_bench URL [DATASETS] [QUERIES]")?;
    let datasets: usize = args.get(1).map_or(Ok(100_000), |n| n.parse())?;
    let queries: usize = args.get(2).map_or(Ok(1000), |n| n.parse())?;
    let store = connect(url).await?;
    let t0 = Instant::now();
    let seeding = async {
        if url.starts_with("sqlite:") {
            seed!(sqlx::SqlitePool::connect(url).await?, datasets);
        } else {
            seed!(sqlx::PgPool::connect(url).await?, datasets);
        }
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    seeding.await?;
    let seeded = t0.elapsed();
    let t0 = Instant::now();
    let mut indexed = 0;
    loop {
        let n = store.index_unsearchable(1000).await?;
        if n == 0 {
            break;
        }
        indexed += n;
    }
    eprintln!(
        "seeded {datasets} datasets in {:.1} s, indexed {indexed} in {:.1} s",
        seeded.as_secs_f64(),
        t0.elapsed().as_secs_f64()
    );
    // What a live catalog would have done by now. PostgreSQL's autovacuum
    // gathers statistics, without which its planner guesses; SQLite moves
    // the index just written from its write-ahead log into the database,
    // which searches would otherwise read through.
    if url.starts_with("sqlite:") {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&sqlx::SqlitePool::connect(url).await?)
            .await?;
    } else {
        sqlx::query("VACUUM ANALYZE")
            .execute(&sqlx::PgPool::connect(url).await?)
            .await?;
    }
    let zones: Vec<ZoneName> = vec!["sandbox".parse()?, "corporate".parse()?];
    let mut rng = Lcg(11);
    let mut times = Vec::with_capacity(queries);
    let mut by_shape: Vec<Vec<f64>> = vec![Vec::new(); SHAPES.len()];
    let mut hits = 0;
    for i in 0..queries {
        let text = match i % SHAPES.len() {
            0 => rng.pick(TOPICS).to_owned(),
            1 => format!("{} {}", rng.pick(TOPICS), rng.pick(WORDS)),
            2 => {
                let column = rng.pick(COLUMNS);
                format!("{}*", &column[..column.len().min(3)])
            }
            3 => format!(
                "{} OR {} -{}",
                rng.pick(WORDS),
                rng.pick(TOPICS),
                rng.pick(WORDS)
            ),
            _ => format!("\"{} statistics\"", rng.pick(TOPICS)),
        };
        let query = SearchQuery::parse(&text)?;
        let request = SearchRequest {
            query: Some(&query),
            zones: &zones,
            classification: None,
            tag: None,
            limit: 21,
            offset: 0,
        };
        let t = Instant::now();
        hits += store.search_datasets(&request).await?.len();
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        times.push(ms);
        by_shape[i % SHAPES.len()].push(ms);
    }
    for (shape, mut times) in SHAPES.iter().zip(by_shape) {
        times.sort_by(f64::total_cmp);
        eprintln!(
            "  {shape:<22} p50={:.2}ms p99={:.2}ms",
            percentile(&times, 0.50),
            percentile(&times, 0.99)
        );
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{} datasets={datasets} queries={queries} p50={:.2}ms p99={:.2}ms max={:.2}ms hits={hits}",
        store.backend(),
        percentile(&times, 0.50),
        percentile(&times, 0.99),
        percentile(&times, 1.0),
    );
    Ok(())
}
