//! Users, for admins: who exists, in which role and zones, whether they
//! are disabled, and how many tokens still admit them (never a token).

use serde::Serialize;
use utoipa::ToSchema;

use airlock_catalog::{User, UserEntry};
use airlock_policies::{Action, Principal};

use super::{Reader, rfc3339};
use crate::{IngestError, now_ms};

impl Reader<'_> {
    /// Every user, by name.
    pub async fn users(self, who: &Principal) -> Result<Vec<UserView>, IngestError> {
        self.policies.authorize(who, Action::ManageUsers)?;
        let users = self.catalog.users(now_ms()).await?;
        Ok(users.into_iter().map(UserView::from).collect())
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub name: String,
    /// engineer, reviewer, analyst or admin.
    pub role: String,
    /// For an analyst, the zones they may read.
    pub zones: Vec<String>,
    pub created_at: String,
    /// When the user was disabled; absent while enabled.
    pub disabled_at: Option<String>,
    /// Tokens neither revoked nor expired.
    pub live_tokens: i64,
}

impl UserView {
    /// A user just created: enabled, with one live token.
    pub fn created(user: User) -> Self {
        UserEntry {
            user,
            disabled_at: None,
            live_tokens: 1,
        }
        .into()
    }
}

impl From<UserEntry> for UserView {
    fn from(e: UserEntry) -> Self {
        UserView {
            id: e.user.id,
            name: e.user.name,
            role: e.user.role.as_str().to_owned(),
            zones: e
                .user
                .zones
                .zones()
                .iter()
                .map(ToString::to_string)
                .collect(),
            created_at: rfc3339(e.user.created_at),
            disabled_at: e.disabled_at.map(rfc3339),
            live_tokens: e.live_tokens,
        }
    }
}
