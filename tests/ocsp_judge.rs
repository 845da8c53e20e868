//! The judgement of OCSP responses, over answers signed by a real key: what must be
//! believed, and everything that must not be.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use time::Duration;
use time::OffsetDateTime;
use trustlabel_core::ocsp::*;
use trustlabel_fleet::ocsp::{Answer, Signer, Status, signed_response, unsuccessful_response};

const SERIAL: [u8; 3] = [0x42, 0x00, 0x07];

fn now() -> OffsetDateTime {
    // Whole seconds: answers carry times at second precision.
    OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()
}

fn provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn ca(name: &str) -> Ca {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = params.self_signed(&key).unwrap();
    Ca { cert, key }
}

/// A responder certificate issued by `by`, with the OCSP-signing purpose when `eku`.
fn delegate(by: &Ca, eku: bool, valid_days: i64) -> Ca {
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, "delegated responder");
    params.is_ca = IsCa::ExplicitNoCa;
    params.not_before = OffsetDateTime::now_utc() - Duration::days(30);
    params.not_after = OffsetDateTime::now_utc() + Duration::days(valid_days);
    if eku {
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::OcspSigning];
    }
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = params.signed_by(&key, &by.cert, &by.key).unwrap();
    Ca { cert, key }
}

/// Signs as `who`; its certificate goes along when it is a delegate.
fn signer(who: &Ca, include_cert: bool) -> Signer {
    Signer::new(
        &provider(),
        who.key.serialize_der(),
        who.cert.der(),
        include_cert,
    )
    .unwrap()
}

struct Case {
    issuer_ca: Ca,
    issuer: IssuerKey,
    id: CertId,
}

fn case() -> Case {
    let issuer_ca = ca("test issuing CA");
    let issuer = IssuerKey::from_certificate(issuer_ca.cert.der()).unwrap();
    let id = CertId::new(CertIdHash::Sha1, &issuer, &SERIAL).unwrap();
    Case {
        issuer_ca,
        issuer,
        id,
    }
}

impl Case {
    fn answer(&self, status: Status) -> Answer {
        Answer::current(self.id.clone(), status, now())
    }

    fn by_issuer(&self, answer: &Answer) -> Vec<u8> {
        signed_response(answer, &signer(&self.issuer_ca, false), now()).unwrap()
    }

    fn judge(&self, der: &[u8]) -> OcspAnswer {
        judge(der, &self.id, &self.issuer, now())
    }
}

#[track_caller]
fn assert_unknown(answer: OcspAnswer, because: &str) {
    match answer {
        OcspAnswer::Unknown(why) => assert!(why.contains(because), "{why:?} lacks {because:?}"),
        other => panic!("expected Unknown ({because}), got {other:?}"),
    }
}

#[test]
fn a_current_good_answer_signed_by_the_issuer_is_good() {
    let c = case();
    let der = c.by_issuer(&c.answer(Status::Good));
    assert_eq!(c.judge(&der), OcspAnswer::Good);
}

#[test]
fn a_revoked_answer_gives_time_and_reason() {
    let c = case();
    let at = now() - Duration::days(3);
    let der = c.by_issuer(&c.answer(Status::Revoked {
        at,
        reason: Some(1),
    }));
    assert_eq!(
        c.judge(&der),
        OcspAnswer::Revoked {
            at,
            reason: Some("KeyCompromise".into())
        }
    );
    let der = c.by_issuer(&c.answer(Status::Revoked { at, reason: None }));
    assert_eq!(c.judge(&der), OcspAnswer::Revoked { at, reason: None });
}

#[test]
fn a_responder_that_does_not_know_the_certificate_decides_nothing() {
    let c = case();
    let der = c.by_issuer(&c.answer(Status::Unknown));
    assert_unknown(c.judge(&der), "does not know");
}

#[test]
fn an_answer_about_another_certificate_is_not_an_answer() {
    let c = case();
    let mut other_serial = c.answer(Status::Good);
    other_serial.cert_id.serial = vec![0x42, 0x00, 0x08];
    assert_unknown(c.judge(&c.by_issuer(&other_serial)), "does not answer");

    let mut other_issuer = c.answer(Status::Good);
    other_issuer.cert_id.issuer_name_hash = CertIdHash::Sha1.digest(b"another CA");
    assert_unknown(c.judge(&c.by_issuer(&other_issuer)), "does not answer");
}

#[test]
fn an_answer_naming_the_certificate_with_sha256_is_understood() {
    let c = case();
    let wide = c.id.rehash(CertIdHash::Sha256, &c.issuer).unwrap();
    let der = c.by_issuer(&Answer::current(wide, Status::Good, now()));
    assert_eq!(c.judge(&der), OcspAnswer::Good);
}

#[test]
fn a_bad_signature_is_never_good() {
    let c = case();
    // Claims to be the issuer (byKey of the issuer's key) but signs with another key.
    let impostor = ca("impostor");
    let forged = Signer::new(
        &provider(),
        impostor.key.serialize_der(),
        c.issuer_ca.cert.der(),
        false,
    )
    .unwrap();
    let der = signed_response(&c.answer(Status::Good), &forged, now()).unwrap();
    assert_unknown(c.judge(&der), "signature does not verify");

    // Signed by another CA altogether, naming itself.
    let der = signed_response(&c.answer(Status::Good), &signer(&impostor, false), now()).unwrap();
    assert_unknown(c.judge(&der), "signed by neither");
}

#[test]
fn no_single_bit_flip_of_a_good_answer_is_good() {
    let c = case();
    let der = c.by_issuer(&c.answer(Status::Good));
    for byte in 0..der.len() {
        for bit in 0..8 {
            let mut flipped = der.clone();
            flipped[byte] ^= 1 << bit;
            assert_ne!(
                c.judge(&flipped),
                OcspAnswer::Good,
                "bit {bit} of byte {byte} flipped"
            );
        }
    }
}

#[test]
fn stale_or_future_answers_are_unknown() {
    let c = case();
    let mut stale = c.answer(Status::Good);
    stale.this_update = now() - Duration::days(8);
    stale.next_update = Some(now() - Duration::hours(1));
    assert_unknown(c.judge(&c.by_issuer(&stale)), "stale");

    // Stale stays stale even when it says "revoked": nothing old is trusted.
    stale.status = Status::Revoked {
        at: now() - Duration::days(9),
        reason: None,
    };
    assert_unknown(c.judge(&c.by_issuer(&stale)), "stale");

    let mut future = c.answer(Status::Good);
    future.this_update = now() + Duration::hours(2);
    assert_unknown(c.judge(&c.by_issuer(&future)), "future");
}

#[test]
fn without_next_update_an_answer_lasts_one_day() {
    let c = case();
    let mut fresh = c.answer(Status::Good);
    fresh.next_update = None;
    assert_eq!(c.judge(&c.by_issuer(&fresh)), OcspAnswer::Good);
    let mut old = fresh.clone();
    old.this_update = now() - Duration::days(2);
    assert_unknown(c.judge(&c.by_issuer(&old)), "stale");
}

#[test]
fn an_unsuccessful_status_carries_no_answer() {
    let c = case();
    assert_unknown(c.judge(&unsuccessful_response(3)), "TryLater");
    assert_unknown(c.judge(&unsuccessful_response(1)), "MalformedRequest");
}

#[test]
fn garbage_is_unknown_and_never_panics() {
    let c = case();
    let good = c.by_issuer(&c.answer(Status::Good));
    for cut in 0..good.len() {
        assert_unknown(c.judge(&good[..cut]), "not a usable OCSP response");
    }
    let mut trailing = good.clone();
    trailing.push(0);
    assert_unknown(c.judge(&trailing), "not a usable OCSP response");
    for junk in [
        &b""[..],
        b"<html>503 Service Unavailable</html>",
        &[0x30, 0x80, 0x0a, 0x01, 0x00, 0x00, 0x00], // indefinite length (BER, not DER)
        &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],       // length far beyond the input
        &[0xff; 64],
    ] {
        assert_unknown(c.judge(junk), "not a usable OCSP response");
    }
}

#[test]
fn a_delegated_responder_must_be_authorised_by_the_issuer() {
    let c = case();
    let answer = c.answer(Status::Good);
    let sign_as = |who: &Ca| signed_response(&answer, &signer(who, true), now()).unwrap();

    let authorised = delegate(&c.issuer_ca, true, 30);
    assert_eq!(c.judge(&sign_as(&authorised)), OcspAnswer::Good);

    let without_purpose = delegate(&c.issuer_ca, false, 30);
    assert_unknown(c.judge(&sign_as(&without_purpose)), "OCSP-signing purpose");

    let expired = delegate(&c.issuer_ca, true, -1);
    assert_unknown(c.judge(&sign_as(&expired)), "not valid now");

    // Same issuer name, different key: a look-alike CA cannot authorise anyone.
    let look_alike = delegate(&ca("test issuing CA"), true, 30);
    assert_unknown(c.judge(&sign_as(&look_alike)), "not issued by");

    // A delegate that is not sent along cannot be checked.
    let hidden = signed_response(&answer, &signer(&authorised, false), now()).unwrap();
    assert_unknown(c.judge(&hidden), "signed by neither");
}
