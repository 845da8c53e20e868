//! Debian's Exim as a real mail server on loopback: the daemon in the foreground on port
//! 25 of an address of its own in 127.25.0.0/16 (root binds port 25; a random address
//! keeps parallel runs apart), with its spool, log and configuration in a temporary
//! directory. It accepts no mail (every recipient is refused): the scanner never sends
//! any. A missing `exim4` binary fails the test: `.ci/run` installs it.

use super::nsd::loopback_address;
use super::pki::{Leaf, readable_by_all};
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Exim {
    child: Child,
    pub ip: Ipv4Addr,
    dir: tempfile::TempDir,
}

impl Drop for Exim {
    fn drop(&mut self) {
        // SIGTERM to the daemon we started, by its id.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Exim {
    /// Starts Exim greeting as `hostname`; with `tls`, it offers STARTTLS with that
    /// certificate, without, it offers none. `extra`: more main-section options.
    pub fn start(hostname: &str, tls: Option<&Leaf>, extra: &str) -> Exim {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        // The daemon reads its certificate and writes its spool and log as the Exim
        // user after it forks for a connection.
        for sub in ["spool", "log"] {
            std::fs::create_dir(d.join(sub)).expect("mkdir");
            world_writable(&d.join(sub));
        }
        readable_by_all(d);
        let ip = loopback_address(25);
        let tls_lines = match tls {
            Some(leaf) => format!(
                "tls_advertise_hosts = *\ntls_certificate = {}\ntls_privatekey = {}\n",
                leaf.cert.display(),
                leaf.key.display()
            ),
            None => "tls_advertise_hosts =\n".to_string(),
        };
        let conf = format!(
            "primary_hostname = {hostname}\n\
             spool_directory = {d}/spool\n\
             log_file_path = {d}/log/%slog\n\
             pid_file_path = {d}/exim.pid\n\
             local_interfaces = <; {ip}.25\n\
             keep_environment =\n\
             rfc1413_query_timeout = 0s\n\
             host_lookup =\n\
             acl_smtp_rcpt = deny\n\
             log_selector = +smtp_no_mail +smtp_connection\n\
             {tls_lines}{extra}\n",
            d = d.display()
        );
        let conf_path = d.join("exim.conf");
        std::fs::write(&conf_path, conf).expect("write exim.conf");
        readable_by_all(&conf_path);
        let child = Command::new("exim4")
            .arg("-C")
            .arg(&conf_path)
            .arg("-bdf")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("exim4 runs (Debian package exim4-daemon-light; .ci/run installs it)");
        let exim = Exim { child, ip, dir };
        exim.wait_until_listening();
        exim
    }

    fn wait_until_listening(&self) {
        let log = self.dir.path().join("log/mainlog");
        for _ in 0..100 {
            if std::fs::read_to_string(&log).is_ok_and(|l| l.contains("listening for SMTP")) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let panic_log =
            std::fs::read_to_string(self.dir.path().join("log/paniclog")).unwrap_or_default();
        panic!(
            "exim did not start: {}{panic_log}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Exim's main log: the sessions it saw (the test reads what the scanner did).
    pub fn main_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log/mainlog")).unwrap_or_default()
    }
}

fn world_writable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777)).expect("chmod");
}
