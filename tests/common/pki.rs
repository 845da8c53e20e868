//! A throwaway certificate authority (rcgen) for Debian peers that need a certificate
//! the collector can verify: the test trusts only this root.

use std::path::{Path, PathBuf};

pub struct TestCa {
    key: rcgen::KeyPair,
    cert: rcgen::Certificate,
}

/// A leaf certificate and its key, as PEM files.
pub struct Leaf {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Default for TestCa {
    fn default() -> Self {
        TestCa::new()
    }
}

impl TestCa {
    pub fn new() -> TestCa {
        let key = rcgen::KeyPair::generate().expect("CA key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "trustlabel test mail CA");
        let cert = params.self_signed(&key).expect("CA certificate");
        TestCa { key, cert }
    }

    pub fn root_pem(&self) -> String {
        self.cert.pem()
    }

    /// A certificate for `names`, written as `<stem>.crt` and `<stem>.key` into `dir`
    /// (readable by all: a daemon may read them after dropping privileges).
    pub fn leaf(&self, names: &[&str], dir: &Path, stem: &str) -> Leaf {
        let key = rcgen::KeyPair::generate().expect("leaf key");
        let params =
            rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .expect("params");
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .expect("leaf certificate");
        let leaf = Leaf {
            cert: dir.join(format!("{stem}.crt")),
            key: dir.join(format!("{stem}.key")),
        };
        std::fs::write(&leaf.cert, cert.pem()).expect("write certificate");
        std::fs::write(&leaf.key, key.serialize_pem()).expect("write key");
        for path in [&leaf.cert, &leaf.key] {
            readable_by_all(path);
        }
        leaf
    }
}

pub fn readable_by_all(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = if path.is_dir() { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}
