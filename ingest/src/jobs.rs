//! Scheduled jobs: a cron expression (with seconds) in config, and a pass
//! run at every time it gives until the daemon stops. A failed pass is
//! logged and the next one tries again; every job is written so that a
//! pass may be cut short at any point and redone.

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use tokio_util::sync::CancellationToken;

use crate::IngestError;

/// Parses a schedule, naming its config section on error.
pub fn schedule(section: &str, expr: &str) -> Result<cron::Schedule, IngestError> {
    cron::Schedule::from_str(expr).map_err(|e| {
        IngestError::Config(format!(
            "{section} schedule {expr:?}: {e} (expected `sec min hour day month weekday`)"
        ))
    })
}

/// Runs `pass` at every time `schedule` gives, and soon after `wake` (if
/// any) is notified (a burst of wake-ups makes one pass), until `stop`.
pub async fn every<F, Fut, S>(
    name: &str,
    schedule: cron::Schedule,
    wake: Option<Arc<Notify>>,
    stop: CancellationToken,
    pass: F,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<S, IngestError>>,
    S: std::fmt::Debug,
{
    loop {
        let Some(next) = schedule.upcoming(chrono::Utc).next() else {
            return;
        };
        let wait = (next - chrono::Utc::now()).to_std().unwrap_or_default();
        let woken = async {
            match &wake {
                Some(w) => w.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
            _ = woken => tokio::time::sleep(COALESCE).await,
        }
        match tokio::select! {
            _ = stop.cancelled() => return,
            done = pass() => done,
        } {
            Ok(summary) => tracing::info!(job = name, ?summary, "pass finished"),
            Err(e) => tracing::warn!(job = name, error = %e, "pass failed; the next one retries"),
        }
    }
}

/// How long a woken job waits for the rest of a burst of wake-ups.
const COALESCE: Duration = Duration::from_millis(200);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_are_cron_with_seconds_and_errors_name_the_section_and_expression() {
        assert!(schedule("[x]", "0 */15 * * * *").is_ok());
        let defaults = crate::Config::default();
        assert!(defaults.rescan_schedule().is_ok());
        assert!(defaults.retention_schedule().is_ok());
        let err = schedule("[retention]", "every hour")
            .unwrap_err()
            .to_string();
        assert!(err.contains("[retention] schedule \"every hour\""), "{err}");
        assert!(err.contains("sec min hour day month weekday"), "{err}");
    }
}
