//! Owner notifications: which label changes are worth an e-mail and what it says
//! (pure, `message.rs`), and the sender that drains the outbox over SMTP (`smtp.rs`,
//! the only I/O here). Messages are written to the store's outbox in the same
//! transaction as the change, so a mail server that is down delays a message but never
//! loses it.

mod message;
mod smtp;

pub use message::{ChangeLine, Notices, message_for, message_with_changes};
pub use smtp::{OutboxSender, SenderSettings, SmtpError, retry_delay};
