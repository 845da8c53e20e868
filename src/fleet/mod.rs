//! The local test fleet (work in progress: see the following commits).

mod spec;

pub use spec::{
    CertKind, HttpBehaviour, Route, STRICT_HEADERS, SiteSpec, TlsBehaviour, demo_specs,
};
