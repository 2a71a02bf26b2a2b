//! Column statistics, as a conversion records them: bounds folded over
//! every row group of every part, nulls, and distinct values exact while
//! few and estimated past that.

use std::sync::Arc;

use object_store::memory::InMemory;
use object_store::path::Path;

use airlock_catalog::ColumnStats;
use airlock_convert::{ConvertOptions, Source, to_parquet};

async fn convert(csv: String, opts: &ConvertOptions) -> Vec<(String, ColumnStats)> {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.csv");
    std::fs::write(&src, csv).unwrap();
    let source = Source::of("in.csv", None).unwrap();
    let out = to_parquet(
        src,
        source,
        Arc::new(InMemory::new()),
        Path::from("v"),
        opts,
    )
    .await
    .unwrap();
    out.columns.into_iter().map(|c| (c.name, c.stats)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn bounds_nulls_and_distinct_values_cover_every_part() {
    let mut csv = String::from("n,word,day,note,flag\n");
    for i in 0..3000 {
        // The extremes sit in the middle parts, not the first or last.
        let n = match i {
            1500 => -7,
            1600 => 99_999,
            i => i % 500,
        };
        let note = if i % 3 == 0 {
            String::new()
        } else {
            "x".repeat(80)
        };
        let day = format!("2024-01-{:02}", 1 + i % 28);
        let flag = i % 2 == 0;
        csv += &format!("{n},w{i},{day},{note},{flag}\n");
    }
    let opts = ConvertOptions {
        row_group_rows: 200,
        part_bytes: 1,
        batch_rows: 64,
        ..ConvertOptions::default()
    };
    let stats = convert(csv, &opts).await;
    let by = |name: &str| stats.iter().find(|(n, _)| n == name).unwrap().1.clone();

    let n = by("n");
    assert_eq!(n.null_count, Some(0));
    assert_eq!(
        (n.min_value.as_deref(), n.max_value.as_deref()),
        (Some("-7"), Some("99999"))
    );
    // 0 to 499 (each also at other rows), and the two extremes.
    assert_eq!((n.distinct_count, n.distinct_estimate), (Some(502), None));

    let word = by("word");
    assert_eq!(word.min_value.as_deref(), Some("w0"));
    assert_eq!(word.max_value.as_deref(), Some("w999"));
    assert_eq!(
        word.distinct_count, None,
        "3000 distinct words are estimated"
    );
    let estimate = word.distinct_estimate.unwrap() as f64;
    assert!(
        (estimate - 3000.0).abs() / 3000.0 < 0.05,
        "estimate {estimate}"
    );

    let day = by("day");
    assert_eq!(day.min_value.as_deref(), Some("2024-01-01"));
    assert_eq!(day.max_value.as_deref(), Some("2024-01-28"));
    assert_eq!(day.distinct_count, Some(28));

    let note = by("note");
    assert_eq!(note.null_count, Some(1000));
    let max = note.max_value.unwrap();
    assert!(max.ends_with('…'), "a long value is cut: {max}");
    assert!(max.chars().count() <= 65);
    assert_eq!(note.distinct_count, Some(1));

    let flag = by("flag");
    assert_eq!(
        (flag.min_value.as_deref(), flag.max_value.as_deref()),
        (Some("false"), Some("true"))
    );
    assert_eq!(flag.distinct_count, Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_column_of_nulls_has_no_bounds() {
    let stats = convert("a,b\n1,\n2,\n".into(), &ConvertOptions::default()).await;
    let b = &stats[1].1;
    assert_eq!(b.null_count, Some(2));
    assert_eq!(
        (b.min_value.as_deref(), b.max_value.as_deref()),
        (None, None)
    );
    assert_eq!(b.distinct_count, Some(0));
}
