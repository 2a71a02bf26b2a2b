//! Zone configuration shared by the daemon tests and the API tests.

/// The `[[zones]]` TOML of an ingest zone, a sandbox whose lake is `url`,
/// and a corporate zone with the default local lake.
pub fn sandbox_lake(url: &str) -> String {
    format!(
        r#"
[[zones]]
name = "trusted"
kind = "ingest"
ceiling = "OFFICIAL-SENSITIVE"

[[zones]]
name = "sandbox"
kind = "non_sensitive"
ceiling = "OFFICIAL"
accepts_from = ["trusted"]
lake = "{url}"

[[zones]]
name = "corporate"
kind = "sensitive"
ceiling = "OFFICIAL-SENSITIVE"
accepts_from = ["trusted"]
"#
    )
}
