//! Issuing and revoking the batch API's tokens, the same way from the command line and
//! from the staff pages: the request checked, the token made, only its hash stored, the
//! act audited under the staff member's name.

use crate::auth::{new_token, token_hash};
use time::{Duration, OffsetDateTime};
use trustlabel_store::{ApiScope, Audit, Store, StoreError};

/// The longest an agency name may be (it files the sites the agency submits).
pub const MAX_NAME_CHARS: usize = 200;
/// The longest a token may stay valid.
pub const MAX_DAYS: i64 = 3650;

#[derive(Debug, thiserror::Error)]
pub enum TokenRequestError {
    #[error("an agency name has 1 to {MAX_NAME_CHARS} characters and no control characters")]
    BadName,
    #[error("a token is valid for 1 to {MAX_DAYS} days")]
    BadDays,
    #[error("unknown scope `{0}`: the scopes are `batch` and `findings`")]
    UnknownScope(String),
    #[error("no live API token {0}")]
    NoSuchToken(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A token just made: shown once, never again.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub id: i64,
    pub token: String,
    pub name: String,
    pub scopes: Vec<ApiScope>,
    pub expires_at: OffsetDateTime,
}

/// `batch` always, `findings` when asked: reading findings widens submitting batches,
/// never replaces it.
pub fn parse_scopes<'a>(
    requested: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<ApiScope>, TokenRequestError> {
    let mut scopes = vec![ApiScope::Batch];
    for text in requested.into_iter().flat_map(|s| s.split(',')) {
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let scope =
            ApiScope::parse(text).ok_or_else(|| TokenRequestError::UnknownScope(text.into()))?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    Ok(scopes)
}

pub fn scope_list(scopes: &[ApiScope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub async fn issue(
    store: &Store,
    name: &str,
    scopes: Vec<ApiScope>,
    days: i64,
    actor: &str,
    now: OffsetDateTime,
) -> Result<IssuedToken, TokenRequestError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(TokenRequestError::BadName);
    }
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(TokenRequestError::BadDays);
    }
    let token = new_token();
    let expires_at = now + Duration::days(days);
    let id = store
        .create_api_token(name, &token_hash(&token), &scopes, actor, now, expires_at)
        .await?;
    let detail = format!(
        "token {id} for {name} ({}), expires {}",
        scope_list(&scopes),
        expires_at.date()
    );
    store
        .record_audit(
            Audit {
                actor,
                action: "api_token",
                host: None,
                detail: &detail,
            },
            now,
        )
        .await?;
    Ok(IssuedToken {
        id,
        token,
        name: name.to_string(),
        scopes,
        expires_at,
    })
}

pub async fn revoke(
    store: &Store,
    id: i64,
    actor: &str,
    now: OffsetDateTime,
) -> Result<(), TokenRequestError> {
    if !store.revoke_api_token(id, now).await? {
        return Err(TokenRequestError::NoSuchToken(id));
    }
    store
        .record_audit(
            Audit {
                actor,
                action: "api_token_revoke",
                host: None,
                detail: &format!("token {id}"),
            },
            now,
        )
        .await?;
    Ok(())
}
