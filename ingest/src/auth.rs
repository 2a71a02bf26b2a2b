//! Users and their bearer tokens: who a request comes from, and the one
//! set of commands that administer users, from the command line or the
//! admin API.
//!
//! Tokens carry 256 bits of randomness, so an unsalted fast hash is the
//! right tool: it cannot be brute-forced, and lookups stay one indexed read.
//! Only the hash is stored. A token is judged on every request (expiry,
//! revocation, a disabled holder), so a refusal takes effect at once,
//! with no cache to wait out.

use rand::RngCore;
use sha2::{Digest, Sha256};

use airlock_catalog::{CatalogStore, NewToken, User};
use airlock_policies::{Action, Policies, Principal, Role};
use airlock_zones::{Clearance, ZoneError, ZoneKind, ZoneName, ZoneSet};

use crate::{IngestError, now_ms};

/// Every token starts with this, so leaked tokens are easy to scan for.
pub const TOKEN_PREFIX: &str = "alk_";

/// The longest expiry a token may be given.
pub const MAX_EXPIRY_DAYS: u32 = 3650;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token (shown once) and what the catalog stores of it.
fn mint(expires_in_days: Option<u32>) -> Result<(String, NewToken), IngestError> {
    let created_at = now_ms();
    let expires_at = match expires_in_days {
        None => None,
        Some(days @ 1..=MAX_EXPIRY_DAYS) => Some(created_at + i64::from(days) * DAY_MS),
        Some(_) => {
            return Err(IngestError::bad_request(
                "invalid_expiry",
                format!("a token expires in 1 to {MAX_EXPIRY_DAYS} days"),
            ));
        }
    };
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(secret));
    let stored = NewToken {
        hash: hash_token(&token),
        created_at,
        expires_at,
    };
    Ok((token, stored))
}

/// Who administers users: whoever runs the command line on the daemon's
/// own catalog, or a caller of the admin API, for whom Cedar decides each
/// command (`manage_users`).
#[derive(Clone, Copy)]
pub enum Administrator<'a> {
    CommandLine,
    Caller {
        who: &'a Principal,
        policies: &'a Policies,
    },
}

impl<'a> Administrator<'a> {
    /// The actor the audit log names, once the command is allowed.
    fn actor(self) -> Result<&'a str, IngestError> {
        match self {
            Administrator::CommandLine => Ok("system:cli"),
            Administrator::Caller { who, policies } => {
                policies.authorize(who, Action::ManageUsers)?;
                Ok(&who.user_id)
            }
        }
    }
}

/// A user to create, as an administrator asks for it.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub role: Role,
    /// For an analyst, the names of the zones whose datasets they may read
    /// (at least one); other roles take none.
    pub zones: Vec<String>,
    /// When the first token expires; `None`: it does not.
    pub expires_in_days: Option<u32>,
}

/// The most zones one analyst is cleared for.
pub const MAX_CLEARED_ZONES: usize = 64;

/// Creates a user in zones that exist, and returns it with its first
/// bearer token.
pub async fn create_user(
    catalog: &dyn CatalogStore,
    known: &ZoneSet,
    admin: Administrator<'_>,
    new: NewUser,
) -> Result<(User, String), IngestError> {
    let actor = admin.actor()?;
    let mut distinct = std::collections::HashSet::new();
    if new.zones.len() > MAX_CLEARED_ZONES || !new.zones.iter().all(|z| distinct.insert(z)) {
        return Err(IngestError::bad_request(
            "invalid_zones",
            format!("zones lists at most {MAX_CLEARED_ZONES} zones, each once"),
        ));
    }
    let zones = new
        .zones
        .iter()
        .map(|z| match known.get(z)? {
            zone if zone.kind == ZoneKind::Ingest => {
                Err(ZoneError::IngestIsNotALake(z.clone()).into())
            }
            zone => Ok(zone.name.clone()),
        })
        .collect::<Result<Vec<_>, IngestError>>()?;
    insert_user(
        catalog,
        actor,
        &new.name,
        new.role,
        zones,
        new.expires_in_days,
    )
    .await
}

/// A character a user name may hold: not white space, not a control
/// character (a regular expression class, as [`check_user_name`] checks).
pub const USER_NAME_CHARACTER: &str =
    r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

/// The prefix of the names OIDC users get, which no other user may take.
pub const OIDC_NAME_PREFIX: &str = "oidc:";

/// Refuses a user name of other than 1 to 64 [`USER_NAME_CHARACTER`]s, or that starts
/// with [`OIDC_NAME_PREFIX`] (`400 invalid_name`).
pub fn check_user_name(name: &str) -> Result<(), IngestError> {
    let count = name.chars().count();
    if !(1..=64).contains(&count)
        || name.chars().any(|c| c.is_control() || c.is_whitespace())
        || name.starts_with(OIDC_NAME_PREFIX)
    {
        return Err(IngestError::bad_request(
            "invalid_name",
            "a user name is 1-64 characters without spaces, not starting with oidc:",
        ));
    }
    Ok(())
}

/// Creates a user from the command line with a token that does not
/// expire: what operators and the tests start from.
pub async fn add_user(
    catalog: &dyn CatalogStore,
    name: &str,
    role: Role,
    zones: &[ZoneName],
) -> Result<(User, String), IngestError> {
    let actor = Administrator::CommandLine.actor()?;
    insert_user(catalog, actor, name, role, zones.to_vec(), None).await
}

async fn insert_user(
    catalog: &dyn CatalogStore,
    actor: &str,
    name: &str,
    role: Role,
    zones: Vec<ZoneName>,
    expires_in_days: Option<u32>,
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
    check_user_name(name)?;
    let (token, stored) = mint(expires_in_days)?;
    let user = User {
        id: uuid::Uuid::now_v7().to_string(),
        name: name.to_owned(),
        role,
        created_at: stored.created_at,
        zones: Clearance::new(zones),
    };
    let user = catalog.create_user(&user, &stored, actor).await?;
    Ok((user, token))
}

/// A user that must exist, by name.
async fn named(catalog: &dyn CatalogStore, name: &str) -> Result<User, IngestError> {
    catalog
        .user_by_name(name)
        .await?
        .ok_or_else(|| IngestError::NotFound(format!("user {name}")))
}

/// Gives a user a new token (after a revocation, say); returns it.
pub async fn issue_token(
    catalog: &dyn CatalogStore,
    admin: Administrator<'_>,
    name: &str,
    expires_in_days: Option<u32>,
) -> Result<String, IngestError> {
    let actor = admin.actor()?;
    let user = named(catalog, name).await?;
    let (token, stored) = mint(expires_in_days)?;
    catalog.issue_token(&user.id, &stored, actor).await?;
    Ok(token)
}

/// Revokes every token a user holds; how many were live.
pub async fn revoke_tokens(
    catalog: &dyn CatalogStore,
    admin: Administrator<'_>,
    name: &str,
) -> Result<u64, IngestError> {
    let actor = admin.actor()?;
    let user = named(catalog, name).await?;
    if let Administrator::Caller { who, .. } = admin
        && who.user_id == user.id
    {
        // It would lock them out; `POST /v1/tokens/rotate` replaces a token.
        return Err(IngestError::Conflict(
            "an administrator cannot revoke their own tokens; rotate instead".into(),
        ));
    }
    Ok(catalog.revoke_tokens(&user.id, actor, now_ms()).await?)
}

/// Disables a user (every token and sign-in refused at once) or enables
/// them again.
pub async fn set_disabled(
    catalog: &dyn CatalogStore,
    admin: Administrator<'_>,
    name: &str,
    disabled: bool,
) -> Result<User, IngestError> {
    let actor = admin.actor()?;
    let user = named(catalog, name).await?;
    if let Administrator::Caller { who, .. } = admin
        && who.user_id == user.id
        && disabled
    {
        return Err(IngestError::Conflict(
            "an administrator cannot disable themselves".into(),
        ));
    }
    catalog
        .set_user_disabled(&user.id, disabled, actor, now_ms())
        .await?;
    Ok(user)
}

/// Replaces the token a request was made with by a new one, revoking the
/// old one in the same transaction; returns the new token.
pub async fn rotate_token(
    catalog: &dyn CatalogStore,
    header: Option<&str>,
    expires_in_days: Option<u32>,
) -> Result<String, IngestError> {
    let presented = bearer(header)?;
    if !presented.starts_with(TOKEN_PREFIX) {
        return Err(IngestError::bad_request(
            "not_an_airlock_token",
            "only an Airlock token can be rotated; an identity provider's token is renewed there",
        ));
    }
    let (token, stored) = mint(expires_in_days)?;
    catalog
        .rotate_token(&hash_token(presented), &stored)
        .await?;
    Ok(token)
}

fn bearer(header: Option<&str>) -> Result<&str, IngestError> {
    header
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(IngestError::Unauthorized(None))
}

/// The principal behind an `Authorization` header value: an Airlock token
/// that still admits its holder, or a JWT when OIDC is configured.
pub async fn authenticate(
    catalog: &dyn CatalogStore,
    oidc: Option<&crate::oidc::Verifier>,
    header: Option<&str>,
) -> Result<Principal, IngestError> {
    let token = bearer(header)?;
    if !token.starts_with(TOKEN_PREFIX) {
        return match oidc {
            Some(verifier) => crate::oidc::authenticate(verifier, catalog, token).await,
            None => Err(IngestError::Unauthorized(None)),
        };
    }
    let holder = catalog
        .token_holder(&hash_token(token))
        .await?
        .ok_or(IngestError::Unauthorized(None))?;
    let user = holder
        .admits(now_ms())
        .map_err(|why| IngestError::Unauthorized(Some(why)))?;
    Ok(user.principal())
}
