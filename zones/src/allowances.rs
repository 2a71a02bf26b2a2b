//! What an acquisition explicitly allows that scanning otherwise refuses:
//! executables, scripts, macro-bearing documents and encrypted archives.
//!
//! The key decision is a closed set of named flags, stored as their names,
//! so an acquisition's record says in words what it lets through and an
//! unknown name is refused when the acquisition is registered, never
//! ignored.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::ZoneError;

/// Content refused unless an acquisition explicitly allows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Allowances {
    pub executables: bool,
    pub scripts: bool,
    pub macros: bool,
    pub encrypted: bool,
}

impl Allowances {
    /// The names an acquisition lists: `executables`, `scripts`, `macros`,
    /// `encrypted`.
    pub const NAMES: [&str; 4] = ["executables", "scripts", "macros", "encrypted"];

    fn flags(&self) -> [bool; 4] {
        [self.executables, self.scripts, self.macros, self.encrypted]
    }

    /// Parses names separated by commas (an empty list allows nothing).
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut a = Self::default();
        for name in names.into_iter().map(str::trim).filter(|n| !n.is_empty()) {
            let flag = match name {
                "executables" => &mut a.executables,
                "scripts" => &mut a.scripts,
                "macros" => &mut a.macros,
                "encrypted" => &mut a.encrypted,
                other => {
                    return Err(format!(
                        "unknown allowance {other:?}: expected one of {}",
                        Self::NAMES.join(", ")
                    ));
                }
            };
            *flag = true;
        }
        Ok(a)
    }

    /// The allowed names, in canonical order.
    pub fn names(&self) -> Vec<&'static str> {
        Self::NAMES
            .iter()
            .zip(self.flags())
            .filter_map(|(n, on)| on.then_some(*n))
            .collect()
    }
}

impl fmt::Display for Allowances {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(","))
    }
}

impl FromStr for Allowances {
    type Err = ZoneError;
    fn from_str(s: &str) -> Result<Self, ZoneError> {
        Self::parse(s.split(',')).map_err(ZoneError::UnknownAllowance)
    }
}

impl TryFrom<String> for Allowances {
    type Error = ZoneError;
    fn try_from(s: String) -> Result<Self, ZoneError> {
        s.parse()
    }
}

impl Serialize for Allowances {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.names().serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowances_round_trip_by_name() {
        let a = Allowances::parse("macros, executables".split(',')).unwrap();
        assert!(a.macros && a.executables && !a.scripts && !a.encrypted);
        assert_eq!(a.names(), ["executables", "macros"]);
        assert_eq!(
            Allowances::parse("".split(',')).unwrap(),
            Allowances::default()
        );
        assert!(Allowances::parse(["everything"]).is_err());
    }

    #[test]
    fn allowances_are_stored_as_their_names() {
        let a: Allowances = "scripts,encrypted".parse().unwrap();
        assert_eq!(a.to_string(), "scripts,encrypted");
        assert_eq!(Allowances::try_from(a.to_string()).unwrap(), a);
        assert!("everything".parse::<Allowances>().is_err());
    }
}
