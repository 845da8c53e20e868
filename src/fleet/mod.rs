//! The local test fleet (work in progress: see the following commits).

mod aia;
mod dns;
mod http;
mod pki;
mod server;
mod spec;
mod weak_rsa;

pub use pki::{PkiError, WRONG_HOST_SAN};
pub use spec::{
    CertKind, HttpBehaviour, Route, STRICT_HEADERS, SiteSpec, TlsBehaviour, demo_specs,
};
pub use weak_rsa::WeakKeyError;
