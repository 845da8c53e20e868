//! An RSA 1024-bit key for the `WeakKey` site.
//!
//! ring (behind both rcgen and rustls) refuses RSA keys under 2048 bits, yet a weak key is
//! exactly what the scanner must detect on real sites. So the key comes from the `rsa`
//! crate, rustls gets it through its `SigningKey`/`Signer` traits, and rcgen gets only its
//! public half (the leaf is still signed by the intermediate's ECDSA key).

use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::EncodePublicKey;
use rsa::sha2::Sha256;
use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer as _};
use rsa::{RsaPrivateKey, pkcs1v15, pss};
use rustls::SignatureScheme;
use rustls::pki_types::SubjectPublicKeyInfoDer;
use rustls::sign::{Signer, SigningKey};
use std::sync::Arc;

pub(crate) const WEAK_RSA_BITS: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum WeakKeyError {
    #[error("RSA key generation failed: {0}")]
    Generate(#[from] rsa::Error),
    #[error("RSA public key encoding failed: {0}")]
    Encode(String),
}

/// A 1024-bit RSA key that rustls can sign with and rcgen can certify.
#[derive(Debug, Clone)]
pub(crate) struct WeakRsaKey {
    key: Arc<RsaPrivateKey>,
    /// PKCS#1 `RSAPublicKey`, the BIT STRING content of the leaf's SubjectPublicKeyInfo.
    public_pkcs1: Vec<u8>,
    public_spki: Vec<u8>,
}

impl WeakRsaKey {
    pub(crate) fn generate() -> Result<WeakRsaKey, WeakKeyError> {
        let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, WEAK_RSA_BITS)?;
        let public = key.to_public_key();
        let public_pkcs1 = public
            .to_pkcs1_der()
            .map_err(|e| WeakKeyError::Encode(e.to_string()))?
            .into_vec();
        let public_spki = public
            .to_public_key_der()
            .map_err(|e| WeakKeyError::Encode(e.to_string()))?
            .into_vec();
        Ok(WeakRsaKey {
            key: Arc::new(key),
            public_pkcs1,
            public_spki,
        })
    }
}

impl rcgen::PublicKeyData for WeakRsaKey {
    fn der_bytes(&self) -> &[u8] {
        &self.public_pkcs1
    }

    /// `PKCS_RSA_SHA256` makes rcgen write the `rsaEncryption` key algorithm (with NULL
    /// parameters) into the SubjectPublicKeyInfo, which is what every RSA leaf carries.
    fn algorithm(&self) -> &rcgen::SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

impl SigningKey for WeakRsaKey {
    /// PSS first: TLS 1.3 allows only PSS for RSA; TLS 1.2 clients usually offer both.
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        [
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PKCS1_SHA256,
        ]
        .into_iter()
        .find(|scheme| offered.contains(scheme))
        .map(|scheme| {
            Box::new(WeakRsaSigner {
                key: Arc::clone(&self.key),
                scheme,
            }) as Box<dyn Signer>
        })
    }

    fn public_key(&self) -> Option<SubjectPublicKeyInfoDer<'_>> {
        Some(SubjectPublicKeyInfoDer::from(self.public_spki.as_slice()))
    }

    fn algorithm(&self) -> rustls::SignatureAlgorithm {
        rustls::SignatureAlgorithm::RSA
    }
}

#[derive(Debug)]
struct WeakRsaSigner {
    key: Arc<RsaPrivateKey>,
    scheme: SignatureScheme,
}

impl Signer for WeakRsaSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        let key = RsaPrivateKey::clone(&self.key);
        let signature = match self.scheme {
            SignatureScheme::RSA_PSS_SHA256 => pss::BlindedSigningKey::<Sha256>::new(key)
                .try_sign_with_rng(&mut rand::rngs::OsRng, message)
                .map(|s| s.to_vec()),
            _ => pkcs1v15::SigningKey::<Sha256>::new(key)
                .try_sign(message)
                .map(|s| s.to_vec()),
        };
        signature.map_err(|e| rustls::Error::General(format!("RSA signing failed: {e}")))
    }

    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::signature::Verifier;

    #[test]
    fn signatures_verify_with_the_public_key_for_both_schemes() {
        let key = WeakRsaKey::generate().unwrap();
        let public = key.key.to_public_key();
        assert_eq!(
            rsa::traits::PublicKeyParts::size(&public) * 8,
            WEAK_RSA_BITS
        );
        let message = b"tls transcript";

        let pss = key
            .choose_scheme(&[
                SignatureScheme::ECDSA_NISTP256_SHA256,
                SignatureScheme::RSA_PSS_SHA256,
            ])
            .unwrap();
        assert_eq!(pss.scheme(), SignatureScheme::RSA_PSS_SHA256);
        let sig = pss::Signature::try_from(pss.sign(message).unwrap().as_slice()).unwrap();
        pss::VerifyingKey::<Sha256>::new(public.clone())
            .verify(message, &sig)
            .unwrap();

        let pkcs1 = key
            .choose_scheme(&[SignatureScheme::RSA_PKCS1_SHA256])
            .unwrap();
        let sig = pkcs1v15::Signature::try_from(pkcs1.sign(message).unwrap().as_slice()).unwrap();
        pkcs1v15::VerifyingKey::<Sha256>::new(public)
            .verify(message, &sig)
            .unwrap();

        assert!(key.choose_scheme(&[SignatureScheme::ED25519]).is_none());
    }
}
