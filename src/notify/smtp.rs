//! Drains the notification outbox over SMTP (lettre). The only network code outside
//! the collector and the web server: it talks to the authority's own mail server.

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration as StdDuration;
use time::{Duration, OffsetDateTime};
use trustlabel_store::{OutboxMessage, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("the SMTP URL is not usable: {0}")]
    Url(String),
    #[error("`{0}` is not a valid sender address")]
    From(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `[notify]` resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderSettings {
    /// lettre's URL form: `smtp://host:25`, `smtp://host:587?tls=required`,
    /// `smtps://user:pass@host`.
    pub smtp_url: String,
    pub from: String,
    /// Messages claimed per round.
    pub batch: u32,
    /// How long one SMTP exchange may take.
    pub timeout: StdDuration,
}

/// Waits before the next attempt after `attempts` failed ones: one minute, doubling,
/// at most six hours, so a mail server that is down for a day is not hammered and a
/// short outage delays messages by minutes.
pub fn retry_delay(attempts: u32) -> Duration {
    let minutes = 1i64 << attempts.min(9);
    Duration::minutes(minutes.min(6 * 60))
}

pub struct OutboxSender {
    store: Store,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    batch: u32,
    /// Lease owner name of this process.
    name: String,
}

impl OutboxSender {
    pub fn new(store: Store, settings: &SenderSettings) -> Result<OutboxSender, SmtpError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.smtp_url)
            .map_err(|e| SmtpError::Url(redact(&settings.smtp_url, &e.to_string())))?
            .timeout(Some(settings.timeout))
            .build();
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|_| SmtpError::From(settings.from.clone()))?;
        Ok(OutboxSender {
            store,
            transport,
            from,
            batch: settings.batch.max(1),
            name: format!("notify-{}", std::process::id()),
        })
    }

    /// One round: claims due messages and tries each once. Returns (sent, failed).
    pub async fn send_due(&self, now: OffsetDateTime) -> Result<(usize, usize), SmtpError> {
        // The lease covers a slow server; an unfinished round's messages come back after it.
        let lease = Duration::minutes(10);
        let claimed = self
            .store
            .claim_notifications(&self.name, now, lease, self.batch)
            .await?;
        let (mut sent, mut failed) = (0, 0);
        for message in claimed {
            match self.send(&message).await {
                Ok(()) => {
                    self.store
                        .notification_sent(message.id, OffsetDateTime::now_utc())
                        .await?;
                    sent += 1;
                }
                Err(error) => {
                    let retry_at = OffsetDateTime::now_utc() + retry_delay(message.attempts);
                    tracing::warn!("notification {} not sent: {error}", message.id);
                    self.store
                        .notification_failed(message.id, &error, retry_at)
                        .await?;
                    failed += 1;
                }
            }
        }
        Ok((sent, failed))
    }

    async fn send(&self, queued: &OutboxMessage) -> Result<(), String> {
        let to: Mailbox = queued
            .message
            .recipient
            .parse()
            .map_err(|e| format!("recipient `{}`: {e}", queued.message.recipient))?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(queued.message.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(queued.message.body.clone())
            .map_err(|e| format!("cannot build the message: {e}"))?;
        self.transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Sends until `stop` resolves, one round every `every`.
    pub async fn run(&self, every: StdDuration, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            if let Err(e) = self.send_due(OffsetDateTime::now_utc()).await {
                tracing::warn!("notification outbox unavailable: {e}");
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }
}

/// An error text about `url` with its password removed.
fn redact(url: &str, text: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) if parsed.password().is_some() => {
            let password = parsed.password().unwrap_or_default();
            text.replace(password, "***")
        }
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_a_minute_to_six_hours() {
        assert_eq!(retry_delay(0), Duration::minutes(1));
        assert_eq!(retry_delay(1), Duration::minutes(2));
        assert_eq!(retry_delay(5), Duration::minutes(32));
        assert_eq!(retry_delay(9), Duration::hours(6));
        assert_eq!(retry_delay(40), Duration::hours(6));
    }
}
