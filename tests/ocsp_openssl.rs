//! The collector's OCSP request and judgement against an independent implementation:
//! `openssl ocsp` reads the request the collector sends and answers it as a CA responder
//! would, and the judgement must read those answers. (Our own fleet responder shares
//! code with the collector, so it cannot catch a misreading of RFC 6960 on both sides.)
//!
//! Needs the `openssl` command (`.ci/run` installs it); without it the test fails.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use std::path::Path;
use std::process::Command;
use time::OffsetDateTime;
use trustlabel_core::ocsp::{CertId, CertIdHash, IssuerKey, OcspAnswer, encode_request, judge};

const GOOD: [u8; 2] = [0x10, 0x01];
const REVOKED: [u8; 2] = [0x10, 0x02];
const NEVER_ISSUED: [u8; 2] = [0x10, 0x03];

fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the `openssl` command is needed by this test (.ci/run installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Pki {
    dir: tempfile::TempDir,
    issuer: IssuerKey,
}

/// A CA with a delegated OCSP responder, as PEM files, and an OpenSSL CA database
/// listing one good and one revoked serial.
fn pki() -> Pki {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ca_params = CertificateParams::default();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "interop CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();

    let mut responder_params = CertificateParams::default();
    responder_params
        .distinguished_name
        .push(DnType::CommonName, "interop OCSP responder");
    responder_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::OcspSigning];
    let responder_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let responder = responder_params
        .signed_by(&responder_key, &ca, &ca_key)
        .unwrap();

    let write = |name: &str, text: String| std::fs::write(dir.path().join(name), text).unwrap();
    write("ca.pem", ca.pem());
    write("ca.key", ca_key.serialize_pem());
    write("responder.pem", responder.pem());
    write("responder.key", responder_key.serialize_pem());
    write(
        "index.txt",
        format!(
            "V\t351231235959Z\t\t{}\tunknown\t/CN=good\n\
             R\t351231235959Z\t240102030405Z,keyCompromise\t{}\tunknown\t/CN=revoked\n",
            hex::encode_upper(GOOD),
            hex::encode_upper(REVOKED)
        ),
    );
    Pki {
        issuer: IssuerKey::from_certificate(ca.der()).unwrap(),
        dir,
    }
}

impl Pki {
    fn id(&self, serial: &[u8]) -> CertId {
        CertId::new(CertIdHash::Sha1, &self.issuer, serial).unwrap()
    }

    /// openssl's answer to our request about `serial`, signed by `signer` (`ca` or
    /// `responder`), judged.
    fn ask(&self, serial: &[u8], signer: &str, extra: &[&str]) -> OcspAnswer {
        let id = self.id(serial);
        std::fs::write(self.dir.path().join("req.der"), encode_request(&id)).unwrap();
        let (cert, key) = (format!("{signer}.pem"), format!("{signer}.key"));
        let mut args = vec![
            "ocsp",
            "-index",
            "index.txt",
            "-CA",
            "ca.pem",
            "-rsigner",
            &cert,
            "-rkey",
            &key,
            "-reqin",
            "req.der",
            "-respout",
            "resp.der",
            "-ndays",
            "1",
        ];
        args.extend_from_slice(extra);
        openssl(self.dir.path(), &args);
        let response = std::fs::read(self.dir.path().join("resp.der")).unwrap();
        judge(&response, &id, &self.issuer, OffsetDateTime::now_utc())
    }
}

#[test]
fn openssl_reads_the_request_as_a_sha1_cert_id() {
    let pki = pki();
    std::fs::write(
        pki.dir.path().join("req.der"),
        encode_request(&pki.id(&GOOD)),
    )
    .unwrap();
    let text = openssl(pki.dir.path(), &["ocsp", "-reqin", "req.der", "-req_text"]);
    assert!(text.contains("Hash Algorithm: sha1"), "{text}");
    assert!(text.contains("Serial Number: 1001"), "{text}");
}

#[test]
fn answers_signed_by_the_ca_are_read() {
    let pki = pki();
    assert_eq!(pki.ask(&GOOD, "ca", &[]), OcspAnswer::Good);
    let revoked = pki.ask(&REVOKED, "ca", &[]);
    let expected_time = time::macros::datetime!(2024-01-02 03:04:05 UTC);
    assert_eq!(
        revoked,
        OcspAnswer::Revoked {
            at: expected_time,
            reason: Some("KeyCompromise".into())
        }
    );
    // ResponderID byKey instead of byName.
    assert_eq!(pki.ask(&GOOD, "ca", &["-resp_key_id"]), OcspAnswer::Good);
}

#[test]
fn answers_signed_by_a_delegated_responder_are_read() {
    let pki = pki();
    assert_eq!(pki.ask(&GOOD, "responder", &[]), OcspAnswer::Good);
    assert!(matches!(
        pki.ask(&REVOKED, "responder", &["-resp_key_id"]),
        OcspAnswer::Revoked { .. }
    ));
    // Without its certificate in the answer, the delegate cannot be checked.
    assert!(matches!(
        pki.ask(&GOOD, "responder", &["-resp_no_certs"]),
        OcspAnswer::Unknown(_)
    ));
}

#[test]
fn a_serial_the_ca_never_issued_is_unknown() {
    let pki = pki();
    match pki.ask(&NEVER_ISSUED, "ca", &[]) {
        OcspAnswer::Unknown(why) => assert!(why.contains("does not know"), "{why}"),
        other => panic!("expected Unknown, got {other:?}"),
    }
}
