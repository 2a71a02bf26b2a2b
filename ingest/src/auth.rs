//! Bearer tokens: random, shown once, stored only as their SHA-256.
//!
//! Tokens carry 256 bits of randomness, so an unsalted fast hash is the
//! right tool: it cannot be brute-forced, and lookups stay one indexed read.

use rand::RngCore;
use sha2::{Digest, Sha256};

use airlock_catalog::{CatalogStore, User};
use airlock_policies::{Principal, Role};
use airlock_zones::{Clearance, ZoneName};

use crate::{IngestError, now_ms};

/// Every token starts with this, so leaked tokens are easy to scan for.
pub const TOKEN_PREFIX: &str = "alk_";

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a user and returns it with its one bearer token. An analyst is
/// cleared to read the datasets of `zones` (at least one); other roles take
/// none.
pub async fn add_user(
    catalog: &dyn CatalogStore,
    name: &str,
    role: Role,
    zones: &[ZoneName],
) -> Result<(User, String), IngestError> {
    match (role, zones.is_empty()) {
        (Role::Analyst, true) => {
            return Err(IngestError::bad_request(
                "invalid_zones",
                "an analyst needs the zones they are cleared to read",
            ));
        }
        (Role::Analyst, false) | (_, true) => {}
        (_, false) => {
            return Err(IngestError::bad_request(
                "invalid_zones",
                "only analysts are cleared by zone; other roles take none",
            ));
        }
    }
    if name.is_empty()
        || name.len() > 64
        || name.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(IngestError::bad_request(
            "invalid_name",
            "a user name is 1-64 characters without spaces",
        ));
    }
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(secret));
    let user = User {
        id: uuid::Uuid::now_v7().to_string(),
        name: name.to_owned(),
        role,
        created_at: now_ms(),
        zones: Clearance::new(zones.to_vec()),
    };
    let user = catalog.create_user(&user, &hash_token(&token)).await?;
    Ok((user, token))
}

/// The principal behind an `Authorization` header value: an Airlock token,
/// or a JWT when OIDC is configured.
pub async fn authenticate(
    catalog: &dyn CatalogStore,
    oidc: Option<&crate::oidc::Verifier>,
    header: Option<&str>,
) -> Result<Principal, IngestError> {
    let token = header
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(IngestError::Unauthorized)?;
    if !token.starts_with(TOKEN_PREFIX) {
        return match oidc {
            Some(verifier) => crate::oidc::authenticate(verifier, catalog, token).await,
            None => Err(IngestError::Unauthorized),
        };
    }
    let user = catalog
        .user_by_token_hash(&hash_token(token))
        .await?
        .ok_or(IngestError::Unauthorized)?;
    Ok(user.principal())
}
