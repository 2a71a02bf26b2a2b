//! Zones, classifications and the one-way flow rules between them.
//!
//! Key decision: the flow rules are *structural* and live here, in plain
//! Rust that no configuration can override. `sandbox → corporate` is never
//! allowed and data never enters a zone above its classification ceiling.
//! A [`ZoneSet`] is validated when it is built, so a daemon whose
//! configuration would open a forbidden flow refuses to start. Cedar
//! policies (in `policies/`) may narrow what is allowed, never widen it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

mod allowances;
pub use allowances::Allowances;

/// Everything that can go wrong with zones and classifications.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ZoneError {
    #[error("unknown classification {0:?} (expected one of {list})", list = Classification::NAMES.join(", "))]
    UnknownClassification(String),
    #[error("unknown zone {0:?}")]
    UnknownZone(String),
    /// The message names the unknown allowance and the known ones.
    #[error("{0}")]
    UnknownAllowance(String),
    #[error("invalid zone name {0:?}: use 1-32 characters of a-z, 0-9, '-' or '_'")]
    InvalidName(String),
    #[error("zone {0:?} is defined twice")]
    Duplicate(String),
    #[error("the ingest zone {0:?} is missing from the configuration")]
    MissingIngest(String),
    #[error("zone {zone:?} may not accept data from {from:?}: {why}")]
    ForbiddenFlow {
        zone: String,
        from: String,
        why: &'static str,
    },
    #[error("zone {0:?} is the ingest zone; it holds quarantine only and is never a lake")]
    IngestIsNotALake(String),
    #[error("classification {classification} is above zone {zone:?}'s ceiling {ceiling}")]
    AboveCeiling {
        zone: String,
        classification: Classification,
        ceiling: Classification,
    },
}

/// UK Government Security Classifications, with PUBLIC below OFFICIAL.
/// The order of the variants is the order of sensitivity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Classification {
    Public,
    Official,
    OfficialSensitive,
    Secret,
    TopSecret,
}

impl Classification {
    pub const ALL: [Classification; 5] = [
        Self::Public,
        Self::Official,
        Self::OfficialSensitive,
        Self::Secret,
        Self::TopSecret,
    ];
    const NAMES: [&'static str; 5] = [
        "PUBLIC",
        "OFFICIAL",
        "OFFICIAL-SENSITIVE",
        "SECRET",
        "TOP-SECRET",
    ];

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Classification {
    type Err = ZoneError;
    /// Case-insensitive; `_` and ` ` are accepted for `-`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_uppercase().replace(['_', ' '], "-");
        Self::NAMES
            .iter()
            .position(|n| *n == norm)
            .map(|i| Self::ALL[i])
            .ok_or_else(|| ZoneError::UnknownClassification(s.to_owned()))
    }
}

impl TryFrom<String> for Classification {
    type Error = ZoneError;
    fn try_from(s: String) -> Result<Self, ZoneError> {
        s.parse()
    }
}

impl Serialize for Classification {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Classification {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A validated zone name: 1-32 characters of `a-z0-9-_`. Safe to use as a
/// path segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ZoneName(String);

impl ZoneName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ZoneName {
    type Err = ZoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ZoneError::InvalidName(s.to_owned()))
        }
    }
}

/// A zone name reads as the text it is, wherever a `&str` is wanted.
impl std::ops::Deref for ZoneName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ZoneName {
    type Error = ZoneError;
    fn try_from(s: String) -> Result<Self, ZoneError> {
        s.parse()
    }
}

/// The zones an analyst is cleared to read. Stored as their names joined
/// by commas (a zone name holds no comma).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Clearance(Vec<ZoneName>);

impl Clearance {
    pub fn new(zones: Vec<ZoneName>) -> Self {
        Self(zones)
    }

    pub fn zones(&self) -> &[ZoneName] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Clearance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(ZoneName::as_str).collect();
        f.write_str(&names.join(","))
    }
}

impl FromStr for Clearance {
    type Err = ZoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(',')
            .filter(|z| !z.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl TryFrom<String> for Clearance {
    type Error = ZoneError;
    fn try_from(s: String) -> Result<Self, ZoneError> {
        s.parse()
    }
}

impl<'de> Deserialize<'de> for ZoneName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// What a zone is for. The kind, not the name, decides the structural rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneKind {
    /// The ingest zone: quarantine and staging, never a lake analysts read.
    Ingest,
    /// A sensitive lake (the default `corporate`).
    Sensitive,
    /// A non-sensitive lake for experimentation (the default `sandbox`).
    NonSensitive,
}

/// One zone as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    pub name: ZoneName,
    pub kind: ZoneKind,
    pub ceiling: Classification,
    /// An object_store URL (`file:///…`, `s3://…`, `hdfs://…`). `None` for
    /// the ingest zone, and for lakes placed under the data directory.
    #[serde(default)]
    pub lake: Option<String>,
    /// Zones this zone accepts data from.
    #[serde(default)]
    pub accepts_from: Vec<ZoneName>,
}

impl Zone {
    /// The zone, if data of `classification` is at or below its ceiling.
    fn admit(&self, classification: Classification) -> Result<&Zone, ZoneError> {
        if classification > self.ceiling {
            return Err(ZoneError::AboveCeiling {
                zone: self.name.0.clone(),
                classification,
                ceiling: self.ceiling,
            });
        }
        Ok(self)
    }
}

/// The validated set of zones. Construction fails on any configuration that
/// would open a forbidden flow.
#[derive(Debug, Clone)]
pub struct ZoneSet {
    zones: Vec<Zone>,
}

impl ZoneSet {
    /// `trusted` (ingest), `corporate` (OFFICIAL-SENSITIVE) and `sandbox`
    /// (OFFICIAL), with lakes under the data directory.
    pub fn defaults() -> Self {
        let name = |s: &str| ZoneName(s.to_owned());
        let zones = vec![
            Zone {
                name: name("trusted"),
                kind: ZoneKind::Ingest,
                ceiling: Classification::OfficialSensitive,
                lake: None,
                accepts_from: vec![],
            },
            Zone {
                name: name("corporate"),
                kind: ZoneKind::Sensitive,
                ceiling: Classification::OfficialSensitive,
                lake: None,
                accepts_from: vec![name("trusted")],
            },
            Zone {
                name: name("sandbox"),
                kind: ZoneKind::NonSensitive,
                ceiling: Classification::Official,
                lake: None,
                // Exports from corporate, each released by a reviewer.
                accepts_from: vec![name("trusted"), name("corporate")],
            },
        ];
        Self::new(zones).expect("the default zones are valid")
    }

    /// Validates the structural one-way rules:
    /// - exactly one ingest zone, and it accepts from nobody;
    /// - a sensitive zone never accepts from a non-sensitive one;
    /// - every flow goes down or level in ceiling, never up from a
    ///   lower-ceiling lake into a higher one (that would launder data
    ///   through a less protected zone);
    /// - every named source zone exists.
    pub fn new(zones: Vec<Zone>) -> Result<Self, ZoneError> {
        let mut seen = std::collections::BTreeSet::new();
        for z in &zones {
            if !seen.insert(z.name.clone()) {
                return Err(ZoneError::Duplicate(z.name.0.clone()));
            }
        }
        let ingest: Vec<_> = zones
            .iter()
            .filter(|z| z.kind == ZoneKind::Ingest)
            .collect();
        if ingest.is_empty() {
            return Err(ZoneError::MissingIngest("trusted".into()));
        }
        let set = Self { zones };
        for z in &set.zones {
            for from in &z.accepts_from {
                let src = set.get(from.as_str())?;
                let forbidden = |why| ZoneError::ForbiddenFlow {
                    zone: z.name.0.clone(),
                    from: from.0.clone(),
                    why,
                };
                if z.kind == ZoneKind::Ingest {
                    return Err(forbidden(
                        "the ingest zone accepts only deliveries from outside",
                    ));
                }
                if z.kind == ZoneKind::Sensitive && src.kind == ZoneKind::NonSensitive {
                    return Err(forbidden(
                        "non-sensitive data never enters a sensitive zone",
                    ));
                }
                if src.kind != ZoneKind::Ingest && src.ceiling < z.ceiling {
                    return Err(forbidden(
                        "data never moves from a lower-ceiling lake into a higher one",
                    ));
                }
                if src.name == z.name {
                    return Err(forbidden("a zone cannot feed itself"));
                }
            }
        }
        Ok(set)
    }

    pub fn get(&self, name: &str) -> Result<&Zone, ZoneError> {
        self.zones
            .iter()
            .find(|z| z.name.as_str() == name)
            .ok_or_else(|| ZoneError::UnknownZone(name.to_owned()))
    }

    /// Whether moving data from `from` to `to` is an export: out of a
    /// sensitive zone into a non-sensitive one.
    pub fn is_export(&self, from: &str, to: &str) -> Result<bool, ZoneError> {
        Ok(self.get(from)?.kind == ZoneKind::Sensitive
            && self.get(to)?.kind == ZoneKind::NonSensitive)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Zone> {
        self.zones.iter()
    }

    /// The ingest zone (quarantine and staging).
    pub fn ingest(&self) -> &Zone {
        self.zones
            .iter()
            .find(|z| z.kind == ZoneKind::Ingest)
            .expect("validated: an ingest zone exists")
    }

    /// May data of `classification` be delivered from outside into `target`?
    /// Deliveries always enter through the ingest zone, so `target` must be a
    /// lake that accepts from it, and the data must be at or below its ceiling.
    pub fn check_ingest(
        &self,
        target: &str,
        classification: Classification,
    ) -> Result<&Zone, ZoneError> {
        let zone = self.get(target)?;
        if zone.kind == ZoneKind::Ingest {
            return Err(ZoneError::IngestIsNotALake(target.to_owned()));
        }
        let ingest = self.ingest();
        if !zone.accepts_from.contains(&ingest.name) {
            return Err(ZoneError::ForbiddenFlow {
                zone: target.to_owned(),
                from: ingest.name.0.clone(),
                why: "the zone does not accept deliveries",
            });
        }
        zone.admit(classification)
    }

    /// May a dataset of `classification` held in lake `from` be transferred
    /// into lake `to`? Only along a flow the configuration opens (`to`
    /// accepts from `from`), at or below `to`'s ceiling, and never from a
    /// non-sensitive zone into a sensitive one, whatever the configuration
    /// says. Deliveries from outside are [`ZoneSet::check_ingest`]'s.
    pub fn check_transfer(
        &self,
        from: &str,
        to: &str,
        classification: Classification,
    ) -> Result<&Zone, ZoneError> {
        let (src, dst) = (self.get(from)?, self.get(to)?);
        let forbidden = |why| ZoneError::ForbiddenFlow {
            zone: to.to_owned(),
            from: from.to_owned(),
            why,
        };
        if dst.kind == ZoneKind::Ingest {
            return Err(ZoneError::IngestIsNotALake(to.to_owned()));
        }
        if src.kind == ZoneKind::Ingest {
            return Err(forbidden("deliveries enter by ingestion, not by transfer"));
        }
        if src.kind == ZoneKind::NonSensitive && dst.kind == ZoneKind::Sensitive {
            return Err(forbidden(
                "non-sensitive data never enters a sensitive zone",
            ));
        }
        if !dst.accepts_from.contains(&src.name) {
            return Err(forbidden("the zone does not accept data from it"));
        }
        dst.admit(classification)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zn(s: &str) -> ZoneName {
        s.parse().unwrap()
    }

    #[test]
    fn classifications_parse_leniently_and_print_canonically() {
        for c in Classification::ALL {
            assert_eq!(c.as_str().parse::<Classification>().unwrap(), c);
        }
        assert_eq!(
            "official_sensitive".parse::<Classification>().unwrap(),
            Classification::OfficialSensitive
        );
        assert!(matches!(
            "restricted".parse::<Classification>(),
            Err(ZoneError::UnknownClassification(_))
        ));
        assert!(Classification::Official < Classification::OfficialSensitive);
    }

    #[test]
    fn zone_names_are_safe_path_segments() {
        for bad in ["", "..", "a/b", "Corp", "x".repeat(33).as_str(), "a b"] {
            assert!(bad.parse::<ZoneName>().is_err(), "{bad:?} accepted");
        }
        assert_eq!(zn("sandbox-2").as_str(), "sandbox-2");
    }

    #[test]
    fn defaults_enforce_ceilings() {
        let z = ZoneSet::defaults();
        assert!(z.check_ingest("sandbox", Classification::Official).is_ok());
        assert_eq!(
            z.check_ingest("sandbox", Classification::OfficialSensitive)
                .unwrap_err(),
            ZoneError::AboveCeiling {
                zone: "sandbox".into(),
                classification: Classification::OfficialSensitive,
                ceiling: Classification::Official
            }
        );
        assert!(
            z.check_ingest("corporate", Classification::OfficialSensitive)
                .is_ok()
        );
        assert!(z.check_ingest("corporate", Classification::Secret).is_err());
        assert!(matches!(
            z.check_ingest("trusted", Classification::Public),
            Err(ZoneError::IngestIsNotALake(_))
        ));
        assert!(matches!(
            z.check_ingest("nowhere", Classification::Public),
            Err(ZoneError::UnknownZone(_))
        ));
    }

    #[test]
    fn sandbox_to_corporate_refuses_to_start() {
        let mut zones: Vec<Zone> = ZoneSet::defaults().iter().cloned().collect();
        zones[1].accepts_from.push(zn("sandbox"));
        let err = ZoneSet::new(zones).unwrap_err();
        assert!(
            matches!(err, ZoneError::ForbiddenFlow { ref zone, ref from, .. } if zone == "corporate" && from == "sandbox"),
            "{err}"
        );
    }

    #[test]
    fn upward_flow_between_lakes_refuses_to_start() {
        let mut zones: Vec<Zone> = ZoneSet::defaults().iter().cloned().collect();
        zones.push(Zone {
            name: zn("vault"),
            kind: ZoneKind::Sensitive,
            ceiling: Classification::Secret,
            lake: None,
            accepts_from: vec![zn("corporate")],
        });
        assert!(matches!(
            ZoneSet::new(zones),
            Err(ZoneError::ForbiddenFlow { .. })
        ));
    }

    #[test]
    fn ingest_zone_is_required_and_unique_names() {
        let zones: Vec<Zone> = ZoneSet::defaults().iter().skip(1).cloned().collect();
        assert!(matches!(
            ZoneSet::new(zones),
            Err(ZoneError::MissingIngest(_))
        ));
        let mut zones: Vec<Zone> = ZoneSet::defaults().iter().cloned().collect();
        zones.push(zones[2].clone());
        assert!(matches!(ZoneSet::new(zones), Err(ZoneError::Duplicate(_))));
    }
}
