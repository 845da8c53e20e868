//! Debian's `openssl s_server` as a real legacy TLS peer on loopback, with an RSA
//! certificate made here (the `rsa` crate makes the key, since ring cannot, and rcgen signs
//! it). A missing `openssl` binary fails the test: `.ci/run` installs it.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use tempfile::TempDir;

/// A 1024-bit DH group (`openssl dhparam 1024`), for the weak-DHE peer.
pub fn dh1024() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dh1024.pem")
}

/// A self-signed RSA-2048 certificate and key for `host`, as PEM files in a temp dir.
pub struct RsaCert {
    pub dir: TempDir,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl RsaCert {
    pub fn generate(host: &str) -> RsaCert {
        use rsa::pkcs8::EncodePrivateKey;
        let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("RSA key");
        let pem = key
            .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
            .expect("PKCS#8 PEM");
        let pair = rcgen::KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256)
            .expect("rcgen accepts the RSA key");
        let params = rcgen::CertificateParams::new(vec![host.to_string()]).expect("params");
        let cert = params.self_signed(&pair).expect("self-signed certificate");
        let dir = tempfile::tempdir().expect("temp dir");
        let cert_path = dir.path().join("cert.pem");
        let key_path = dir.path().join("key.pem");
        std::fs::write(&cert_path, cert.pem()).expect("write cert");
        std::fs::write(&key_path, pem.as_bytes()).expect("write key");
        RsaCert {
            dir,
            cert: cert_path,
            key: key_path,
        }
    }
}

/// A running `openssl s_server`; killed on drop.
pub struct OpensslServer {
    child: Child,
    pub addr: SocketAddr,
}

impl OpensslServer {
    /// Starts `openssl s_server -www` with `args` after the certificate options and
    /// waits until it accepts connections.
    pub fn start(cert: &RsaCert, args: &[&str]) -> OpensslServer {
        OpensslServer::start_configured(cert, args, None)
    }

    /// [`OpensslServer::start`] with an OpenSSL configuration file (`OPENSSL_CONF`), for
    /// the options s_server has no switch for (`Options = -ExtendedMasterSecret`).
    pub fn start_configured(cert: &RsaCert, args: &[&str], config: Option<&Path>) -> OpensslServer {
        // Answer the scanner's HTTPS request and close, freeing the single-threaded server.
        let mut all = vec!["-www"];
        all.extend_from_slice(args);
        // Port held by its server: s_server binds port 0 itself and, from OpenSSL 3 on,
        // prints the address it got (`ACCEPT 127.0.0.1:PORT`); nothing else ever held
        // the port, so nobody can take it between a probe and the server's bind.
        OpensslServer::start_on("127.0.0.1:0", &cert.cert, &cert.key, &all, None, config)
    }

    /// Starts `openssl s_server` on `accept` (`ADDRESS:PORT`) with this certificate and
    /// key, `args` after them, in `dir` when given (where `-WWW` finds its files), with the
    /// OpenSSL configuration file `config` when given.
    pub fn start_on(
        accept: &str,
        cert: &Path,
        key: &Path,
        args: &[&str],
        dir: Option<&Path>,
        config: Option<&Path>,
    ) -> OpensslServer {
        let mut command = Command::new("openssl");
        command
            .arg("s_server")
            .arg("-accept")
            .arg(accept)
            .arg("-cert")
            .arg(cert)
            .arg("-key")
            .arg(key)
            .args(args)
            .envs(config.map(|c| ("OPENSSL_CONF", c)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(dir) = dir {
            command.current_dir(dir);
        }
        let mut child = command
            .spawn()
            .expect("`openssl` must be installed (Debian package openssl; .ci/run installs it)");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        // Given a port, s_server prints a bare `ACCEPT` once it listens.
        let asked = accept.parse::<SocketAddr>().ok().filter(|a| a.port() != 0);
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            for line in lines.by_ref() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("ACCEPT") {
                    let _ = tx.send(match asked {
                        Some(addr) => Ok(addr),
                        None => addr.trim().parse::<SocketAddr>(),
                    });
                    break;
                }
            }
            // Keep reading so the server never blocks on a full pipe.
            for _ in lines {}
        });
        // A generous cap: the line comes within milliseconds unless s_server is broken.
        let ready = rx.recv_timeout(Duration::from_secs(60));
        let mut server = OpensslServer {
            child,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        };
        match ready {
            Ok(Ok(addr)) => server.addr = addr,
            Ok(Err(e)) => panic!("openssl s_server {args:?} printed an unreadable address: {e}"),
            Err(_) => {
                let status = server.child.try_wait();
                panic!("openssl s_server {args:?} did not start: {status:?}");
            }
        }
        server
    }
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
