//! How a tier's window is found where the engine finds matches in no
//! useful order (PostgreSQL's GIN): step by step, choosing each time the
//! cheaper of two plans from what the earlier steps saw.
//!
//! A window is the newest [`RANK_WINDOW`](super::RANK_WINDOW) matches below
//! a place (a dataset's place in the newest-first order). Two plans find
//! them:
//! - **walk** the places newest first, checking each, and stop once the
//!   window is full: cheap when matches are dense, a walk of the whole
//!   catalog when they are rare;
//! - take **every match** below the place from the index and keep the
//!   newest: cheap when matches are rare, all of them when they are many.
//!
//! Key decision: Airlock chooses, not the database's planner. The planner
//! chooses from estimates, and a wrong one costs a walk of every place
//! (a prefix that no name holds was estimated at 2,000 names: 300 ms at
//! 100,000 datasets). Here the first step walks a few places, which
//! measures the density of matches, and each later step compares the two
//! plans' costs at that density; the worst case, matches just dense
//! enough that both plans cost the same, is a few milliseconds at
//! 100,000 datasets. A window's result does not depend on the plans
//! chosen, only its cost does.

/// Places the first step of a tier walks, to measure the density of its
/// matches.
pub const FIRST_WALK: i64 = 512;
/// What taking a match from the index costs, in places walked: about
/// 0.7 to 1 µs against 0.25 to 0.4 µs on PostgreSQL 15 (a bitmap heap
/// scan against an index scan of the places, on narrow tables).
pub const MATCH_COST: f64 = 3.0;
/// The same for a query with a phrase. The index finds the places that
/// hold the phrase's words, and each is checked again on the heap with
/// its positions: such candidates outnumber the matches (3.5 to one for
/// a supplier's name in `bench/search.sh`) and cost more (1.5 µs).
pub const PHRASE_MATCH_COST: f64 = 12.0;

/// One step of the search for a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Check the places above `low` up to `high`, newest first.
    Walk { low: i64, high: i64 },
    /// Take the newest matches up to `high` from the index.
    Matches { high: i64 },
}

/// A tier's progress through its places, kept from window to window.
#[derive(Debug, Clone)]
pub struct Steps {
    /// The oldest place, and the newest not yet looked at.
    oldest: i64,
    high: i64,
    /// What a match from the index costs, in places walked.
    match_cost: f64,
    /// Places walked, and the matches found there.
    walked: i64,
    found: i64,
    /// Whether matches are so rare that the index takes the rest.
    sparse: bool,
}

impl Steps {
    /// A tier whose places run from `oldest` to `newest`, for a query
    /// whose matches from the index cost `match_cost` places walked
    /// ([`MATCH_COST`] or [`PHRASE_MATCH_COST`]).
    pub fn new(oldest: i64, newest: i64, match_cost: f64) -> Self {
        Self {
            oldest,
            high: newest,
            match_cost,
            walked: 0,
            found: 0,
            sparse: false,
        }
    }

    /// The next step towards `need` more matches; `None` once every place
    /// has been looked at.
    pub fn next(&self, need: usize) -> Option<Step> {
        if self.high < self.oldest || need == 0 {
            return None;
        }
        let (high, low) = (self.high, self.oldest - 1);
        let left = (high - low) as f64;
        if self.sparse {
            return Some(Step::Matches { high });
        }
        if self.walked == 0 {
            return Some(Step::Walk {
                low: (high - FIRST_WALK).max(low),
                high,
            });
        }
        if self.found == 0 {
            return Some(Step::Matches { high });
        }
        let density = self.found as f64 / self.walked as f64;
        let to_fill = need as f64 / density;
        let walk = to_fill.min(left);
        let matches = self.match_cost * density * left;
        if walk <= matches {
            // Half as far again as the density says, so that a window is
            // mostly filled in one step.
            let span = ((to_fill * 1.5).ceil() as i64).max(FIRST_WALK);
            Some(Step::Walk {
                low: (high - span).max(low),
                high,
            })
        } else {
            Some(Step::Matches { high })
        }
    }

    /// What `step` found: `rows` matches, for `need` wanted, the oldest of
    /// them at `oldest`.
    pub fn record(&mut self, step: Step, rows: usize, need: usize, oldest: Option<i64>) {
        let filled = rows >= need;
        match step {
            Step::Walk { low, high } => {
                // A filled window stopped at its oldest match: the places
                // below it are still to be looked at.
                let end = match oldest {
                    Some(oldest) if filled => oldest - 1,
                    _ => low,
                };
                self.walked += high - end;
                self.found += rows as i64;
                self.high = end;
            }
            Step::Matches { .. } => {
                self.sparse = true;
                self.high = match oldest {
                    Some(oldest) if filled => oldest - 1,
                    _ => self.oldest - 1,
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: usize = 256;

    /// Finds up to `most` windows of the matches at `places` (newest
    /// first) among places `oldest..=newest`, by the steps; returns the
    /// windows and what they cost, in places walked (MATCH_COST a match
    /// taken).
    fn run(oldest: i64, newest: i64, places: &[i64], most: usize) -> (Vec<Vec<i64>>, f64) {
        let mut steps = Steps::new(oldest, newest, MATCH_COST);
        let (mut windows, mut cost) = (Vec::new(), 0.0);
        while windows.len() < most {
            let mut got: Vec<i64> = Vec::new();
            while let Some(step) = steps.next(WINDOW - got.len()) {
                let need = WINDOW - got.len();
                let (low, high) = match step {
                    Step::Walk { low, high } => (low, high),
                    Step::Matches { high } => (0, high),
                };
                let within = places.iter().copied().filter(|&p| p > low && p <= high);
                let rows: Vec<i64> = within.clone().take(need).collect();
                cost += match step {
                    Step::Walk { .. } => {
                        let stop = rows.last().filter(|_| rows.len() == need);
                        (high - stop.map_or(low, |s| s - 1)) as f64
                    }
                    Step::Matches { .. } => MATCH_COST * within.count() as f64,
                };
                steps.record(step, rows.len(), need, rows.last().copied());
                got.extend(rows);
            }
            let last = got.len() < WINDOW;
            windows.push(got);
            if last {
                break;
            }
        }
        (windows, cost)
    }

    /// Every `every`th place of `oldest..=newest`, newest first.
    fn spaced(oldest: i64, newest: i64, every: i64) -> Vec<i64> {
        (oldest..=newest).rev().filter(|p| p % every == 0).collect()
    }

    #[test]
    fn windows_are_the_newest_matches_in_turn_whatever_the_density() {
        // Places need not start at 1: a rebuilt index numbers on.
        for (oldest, newest) in [(1, 100_000), (100_001, 200_000)] {
            for every in [1, 2, 7, 40, 300, 5_000, 200_000] {
                let places = spaced(oldest, newest, every);
                let (windows, _) = run(oldest, newest, &places, usize::MAX);
                assert_eq!(windows.concat(), places, "every {every}th place");
                let (last, full) = windows.split_last().unwrap();
                assert!(
                    full.iter().all(|w| w.len() == WINDOW),
                    "every {every}th place"
                );
                assert!(last.len() < WINDOW, "every {every}th place");
            }
        }
    }

    #[test]
    fn a_first_window_costs_little_at_every_density() {
        // The worst density costs both plans the same: about
        // sqrt(MATCH_COST * 256 * places) places, some 9,000 at 100,000;
        // a choice by a wrong estimate would cost up to 100,000 walked or
        // 300,000 taken.
        for every in [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 100_000] {
            let (windows, cost) = run(1, 100_000, &spaced(1, 100_000, every), 1);
            assert_eq!(windows[0].len(), WINDOW.min(100_000 / every as usize));
            assert!(cost < 25_000.0, "every {every}th place cost {cost}");
        }
    }

    #[test]
    fn a_phrase_walks_where_a_word_would_take_matches_from_the_index() {
        // One match in 50 places: the index for words, a walk for phrases.
        let seen = |match_cost| {
            let mut steps = Steps::new(1, 100_000, match_cost);
            steps.record(steps.next(WINDOW).unwrap(), 10, WINDOW, None);
            steps.next(WINDOW - 10).unwrap()
        };
        assert!(matches!(seen(MATCH_COST), Step::Matches { .. }));
        assert!(matches!(seen(PHRASE_MATCH_COST), Step::Walk { .. }));
    }

    #[test]
    fn rare_matches_go_to_the_index_after_one_short_walk() {
        let mut steps = Steps::new(1, 100_000, MATCH_COST);
        let first = steps.next(WINDOW).unwrap();
        let walked = 100_000 - FIRST_WALK;
        assert_eq!(
            first,
            Step::Walk {
                low: walked,
                high: 100_000
            }
        );
        steps.record(first, 0, WINDOW, None);
        let second = steps.next(WINDOW).unwrap();
        assert_eq!(second, Step::Matches { high: walked });
        steps.record(second, 3, WINDOW, Some(7));
        assert_eq!(steps.next(WINDOW), None);
    }
}
