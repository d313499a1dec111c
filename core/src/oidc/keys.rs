//! The keys that sign ID tokens and access tokens: made at first use, kept
//! in the database (so every instance signs with the same ones) with the
//! private part sealed by the server's key, rotated by `gatehouse keys
//! rotate`, and published until the last token they signed has expired.
use aes_gcm::aead::{Aead, AeadCore, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, KeyInit};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Context, Error, Result};
use crate::Core;
use gatehouse_store::SigningKey;

/// Every algorithm Gatehouse signs with; RS256 is the one every client
/// must understand (OpenID Connect Core 1.0 section 15.1).
pub const ALGORITHMS: [&str; 2] = ["RS256", "ES256"];

fn algorithm(name: &str) -> Result<Algorithm> {
    match name {
        "RS256" => Ok(Algorithm::RS256),
        "ES256" => Ok(Algorithm::ES256),
        other => Err(Error::unexpected(format!(
            "an unknown signing algorithm {other:?}"
        ))),
    }
}

/// A fresh key pair for `alg`, its private part as DER (PKCS#1 for RSA,
/// PKCS#8 for EC), as jsonwebtoken reads them.
fn generate(alg: &str) -> Result<EncodingKey> {
    let mut rng = getrandom::SysRng;
    match alg {
        "RS256" => {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            let key = rsa::PrivateKey::new(&mut rng, 2048).context("making an RSA key")?;
            let der = key.to_pkcs1_der().context("encoding an RSA key")?;
            Ok(EncodingKey::from_rsa_der(der.as_bytes()))
        }
        "ES256" => {
            use p256::pkcs8::EncodePrivateKey;
            use rsa::Generate;
            let key = p256::ecdsa::SigningKey::try_generate_from_rng(&mut rng)
                .context("making a P-256 key")?;
            let der = key.to_pkcs8_der().context("encoding a P-256 key")?;
            Ok(EncodingKey::from_ec_der(der.as_bytes()))
        }
        other => Err(Error::unexpected(format!(
            "an unknown signing algorithm {other:?}"
        ))),
    }
}

fn cipher(state: &Core) -> Aes256Gcm {
    let key = state.keys.derive("oidc-signing-key", "");
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key))
}

/// AES-256-GCM under a key derived from the server's, bound to the key id.
fn seal(state: &Core, kid: &str, private: &[u8]) -> Result<String> {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let sealed = cipher(state)
        .encrypt(
            &nonce,
            Payload {
                msg: private,
                aad: kid.as_bytes(),
            },
        )
        .map_err(|_| Error::unexpected("sealing a signing key failed"))?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Ok(STANDARD.encode(out))
}

fn open(state: &Core, key: &SigningKey) -> Result<Vec<u8>> {
    let bytes = STANDARD
        .decode(&key.private_sealed)
        .context("reading a sealed signing key")?;
    if bytes.len() < 12 {
        return Err(Error::unexpected("a sealed signing key is too short"));
    }
    let (nonce, body) = bytes.split_at(12);
    cipher(state)
        .decrypt(
            aes_gcm::Nonce::from_slice(nonce),
            Payload {
                msg: body,
                aad: key.kid.as_bytes(),
            },
        )
        .map_err(|_| {
            Error::unexpected(
                "a signing key does not open with this server's key (was secret_key changed?)",
            )
        })
}

/// A new key of `alg`, ready to store.
fn new_key(state: &Core, alg: &str, now: i64) -> Result<SigningKey> {
    let private = generate(alg)?;
    let mut jwk = Jwk::from_encoding_key(&private, algorithm(alg)?).context("a public JWK")?;
    let thumbprint = jwk
        .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
        .context("a JWK thumbprint")?;
    let kid = thumbprint.chars().take(16).collect::<String>();
    jwk.common.key_id = Some(kid.clone());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    jwk.common.key_algorithm = Some(match alg {
        "ES256" => KeyAlgorithm::ES256,
        _ => KeyAlgorithm::RS256,
    });
    Ok(SigningKey {
        private_sealed: seal(state, &kid, private.as_bytes())?,
        public_jwk: serde_json::to_string(&jwk).context("writing a JWK")?,
        kid,
        alg: alg.to_owned(),
        created_at: now,
        retired_at: None,
    })
}

/// One key of every algorithm, made off the async threads (an RSA key
/// takes a moment).
async fn new_keys(state: &Core) -> Result<Vec<SigningKey>> {
    let state = state.clone();
    let now = state.clock.unix();
    tokio::task::spawn_blocking(move || {
        ALGORITHMS
            .iter()
            .map(|alg| new_key(&state, alg, now))
            .collect::<Result<Vec<_>>>()
    })
    .await
    .context("making signing keys")?
}

/// Every key, newest first, making the first ones if there are none.
async fn all(state: &Core) -> Result<Vec<SigningKey>> {
    let keys = state.store.signing_keys().await?;
    if keys.iter().any(|k| k.retired_at.is_none()) {
        return Ok(keys);
    }
    let fresh = new_keys(state).await?;
    // Another instance may have made them meanwhile: theirs are kept.
    state.store.add_first_signing_keys(&fresh).await?;
    Ok(state.store.signing_keys().await?)
}

/// Replaces the signing keys: new ones sign from now on, the old ones are
/// still published until every token they signed has expired.
pub async fn rotate(state: &Core) -> Result<Vec<String>> {
    let fresh = new_keys(state).await?;
    let now = state.clock.unix();
    let lifetime = i64::from(state.config.oidc.token_lifetime_seconds);
    state
        .store
        .rotate_signing_keys(&fresh, now, now - lifetime)
        .await?;
    Ok(fresh.into_iter().map(|k| k.kid).collect())
}

/// The published keys (JWKS): every key that signs, and every retired one
/// whose tokens may still be in use.
pub async fn jwks(state: &Core) -> Result<JwkSet> {
    let now = state.clock.unix();
    let lifetime = i64::from(state.config.oidc.token_lifetime_seconds);
    let keys = all(state)
        .await?
        .into_iter()
        .filter(|k| k.retired_at.is_none_or(|at| at + lifetime > now))
        .map(|k| serde_json::from_str::<Jwk>(&k.public_jwk).context("reading a stored JWK"))
        .collect::<Result<Vec<_>>>()?;
    Ok(JwkSet { keys })
}

/// Signs `claims` as a JWS with the newest key of `alg`.
pub async fn sign<T: Serialize>(state: &Core, alg: &str, typ: &str, claims: &T) -> Result<String> {
    let keys = all(state).await?;
    let key = keys
        .iter()
        .find(|k| k.alg == alg && k.retired_at.is_none())
        .ok_or_else(|| Error::unexpected(format!("no signing key for {alg}")))?;
    let der = open(state, key)?;
    let encoding = match alg {
        "ES256" => EncodingKey::from_ec_der(&der),
        _ => EncodingKey::from_rsa_der(&der),
    };
    let mut header = Header::new(algorithm(alg)?);
    header.kid = Some(key.kid.clone());
    header.typ = Some(typ.to_owned());
    jsonwebtoken::encode(&header, claims, &encoding).context("signing a token")
}

/// Why a token Gatehouse is shown did not verify.
#[derive(Debug, PartialEq, Eq)]
pub enum Unverified {
    /// Not a token signed by one of the published keys.
    Forged,
    Expired,
}

/// Checks a token Gatehouse signed as `typ` (`JWT` for an ID token,
/// `at+jwt` for an access token): the type, the signature by a published
/// key, the issuer, and (unless `allow_expired`) the expiry. Audience is
/// the caller's to check.
pub async fn verify<T: DeserializeOwned>(
    state: &Core,
    token: &str,
    typ: &str,
    allow_expired: bool,
) -> Result<std::result::Result<T, Unverified>> {
    let Ok(header) = jsonwebtoken::decode_header(token) else {
        return Ok(Err(Unverified::Forged));
    };
    // One kind of token is never taken for another.
    if header.typ.as_deref() != Some(typ) {
        return Ok(Err(Unverified::Forged));
    }
    let set = jwks(state).await?;
    let Some(jwk) = header.kid.as_deref().and_then(|kid| set.find(kid)) else {
        return Ok(Err(Unverified::Forged));
    };
    let Ok(key) = DecodingKey::from_jwk(jwk) else {
        return Ok(Err(Unverified::Forged));
    };
    let alg = match jwk.common.key_algorithm {
        Some(KeyAlgorithm::ES256) => Algorithm::ES256,
        _ => Algorithm::RS256,
    };
    if header.alg != alg {
        return Ok(Err(Unverified::Forged));
    }
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[super::issuer(state)]);
    validation.validate_aud = false;
    validation.validate_exp = false;
    validation.set_required_spec_claims(&["iss", "exp"]);
    let data = match jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation) {
        Ok(data) => data,
        Err(_) => return Ok(Err(Unverified::Forged)),
    };
    // Expiry against the injected clock, not the machine's.
    let exp = data.claims.get("exp").and_then(serde_json::Value::as_i64);
    if !allow_expired && exp.is_none_or(|exp| exp <= state.clock.unix()) {
        return Ok(Err(Unverified::Expired));
    }
    Ok(serde_json::from_value(data.claims).map_err(|_| Unverified::Forged))
}
