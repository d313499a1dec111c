//! Verification codes and the masks shown for a login name: codes come from
//! the OS's CSPRNG, are stored only as an HMAC keyed with the server secret
//! and bound to their flow, and are compared in constant time.
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::Rng;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use gatehouse_types::error::{AppError, Field, FieldError, Problem};
use gatehouse_types::security::Method;

/// 31 symbols without look-alikes (no 0/O, 1/I/L): six of them carry
/// about 29.7 bits.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const CODE_LENGTH: usize = 6;

pub fn new_code() -> String {
    random_code(CODE_LENGTH)
}

/// `length` symbols of the code alphabet.
pub fn random_code(length: usize) -> String {
    (0..length)
        .map(|_| CODE_ALPHABET[OsRng.gen_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// What the user typed, as a code: case and spaces or dashes do not matter.
pub fn normalize_code(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// A typed code as it is compared, or the field error for none at all.
pub fn required_code(input: &str) -> Result<String, AppError> {
    let code = normalize_code(input);
    if code.is_empty() {
        return Err(AppError::Invalid(vec![FieldError {
            field: Field::Code,
            problem: Problem::Required,
        }]));
    }
    Ok(code)
}

/// The server secret, used for keyed hashes only.
pub struct Keys {
    secret: Vec<u8>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(***)")
    }
}

impl Keys {
    pub fn new(secret: &str) -> Self {
        Keys {
            secret: secret.as_bytes().to_vec(),
        }
    }

    fn mac(&self, purpose: &str, parts: &[&str]) -> [u8; 32] {
        // Keys of any length are accepted by HMAC.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.secret) else {
            unreachable!("HMAC takes keys of any length")
        };
        mac.update(purpose.as_bytes());
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    /// The stored form of `code` for the flow `flow_id`.
    pub fn code_hash(&self, flow_id: &str, code: &str) -> String {
        hex(&self.mac("code", &[flow_id, code]))
    }

    /// Whether `code` is the one stored for `flow_id`, in constant time.
    pub fn code_matches(&self, flow_id: &str, code: &str, stored: &str) -> bool {
        let candidate = self.code_hash(flow_id, code);
        candidate.as_bytes().ct_eq(stored.as_bytes()).into()
    }

    /// Bytes derived from the secret and a login name: stable across
    /// requests, unpredictable without the secret.
    pub fn derive(&self, purpose: &str, value: &str) -> [u8; 32] {
        self.mac(purpose, &[value])
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const BULLETS_LOCAL: usize = 7;
const BULLETS_DOMAIN: usize = 4;

/// `chan.tai.man@example.edu.hk` → `•••••••@e••••.edu.hk`. No character of
/// the mailbox name shows (it is often the login name, which a decoy for an
/// unknown name could not match), and the number of bullets is fixed, so
/// the mask does not tell the length.
pub fn mask_email(email: &str) -> String {
    let (_, domain) = email.rsplit_once('@').unwrap_or((email, ""));
    let (label, rest) = domain.split_once('.').unwrap_or((domain, ""));
    let label_first = label.chars().next().unwrap_or('•');
    format!(
        "{}@{label_first}{}.{rest}",
        "•".repeat(BULLETS_LOCAL),
        "•".repeat(BULLETS_DOMAIN)
    )
}

/// `+852 9123 4567` → `•••• 4567`.
pub fn mask_mobile(mobile: &str) -> String {
    let digits: Vec<char> = mobile.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("•••• {tail}")
}

/// What the real accounts look like, for decoys that look the same: their
/// email domains and the channel lists the reset wizard offers them (the
/// kinds in the order shown), each with how many accounts have it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecoyModel {
    pub domains: Vec<(String, i64)>,
    pub channel_sets: Vec<(Vec<Method>, i64)>,
}

/// What the reset wizard shows for a login name that has no account: the
/// channels, each with its mask, drawn from the secret and the name (the
/// same name always shows the same), the list copied from the real
/// accounts' lists and the domains from their domains as often as they
/// occur, so each visible feature has the distribution a real account's
/// has. Without accounts yet, an email from a `fallback` domain and a
/// mobile number.
pub fn decoy_channels(
    keys: &Keys,
    login_key: &str,
    model: &DecoyModel,
    fallback: &[String],
) -> Vec<(Method, String)> {
    let bytes = keys.derive("decoy", login_key);
    let pick = |at: usize| {
        u64::from(u32::from_be_bytes([
            bytes[at],
            bytes[at + 1],
            bytes[at + 2],
            bytes[at + 3],
        ]))
    };
    let domain = |at: usize| {
        weighted(&model.domains, pick(at)).map_or_else(
            || {
                let domains: Vec<&String> = fallback.iter().filter(|d| d.contains('.')).collect();
                domains
                    .get(pick(at) as usize % domains.len().max(1))
                    .map_or("example.edu", |d| d.as_str())
            },
            String::as_str,
        )
    };
    let fallback_set = [Method::Email, Method::Mobile];
    let set = weighted(&model.channel_sets, pick(4)).map_or(&fallback_set[..], Vec::as_slice);
    set.iter()
        .map(|&method| {
            let masked = match method {
                Method::Email => mask_email(&format!("x@{}", domain(0))),
                Method::AltEmail => mask_email(&format!("x@{}", domain(8))),
                Method::Mobile => {
                    let digits: String = bytes[12..16]
                        .iter()
                        .map(|b| char::from(b'0' + b % 10))
                        .collect();
                    format!("•••• {digits}")
                }
                _ => String::new(),
            };
            (method, masked)
        })
        .collect()
}

/// The questions (indices into a list of `of`) a decoy shows: `count`
/// distinct ones, the same for the same name.
pub fn decoy_questions(keys: &Keys, login_key: &str, of: usize, count: usize) -> Vec<usize> {
    let bytes = keys.derive("decoy-questions", login_key);
    let mut left: Vec<usize> = (0..of).collect();
    bytes
        .iter()
        .take(count.min(of))
        .map(|b| left.remove(usize::from(*b) % left.len()))
        .collect()
}

/// An item chosen as often as its count says; none when all counts are 0.
fn weighted<T>(items: &[(T, i64)], pick: u64) -> Option<&T> {
    let total: i64 = items.iter().map(|(_, n)| (*n).max(0)).sum();
    if total <= 0 {
        return None;
    }
    let mut at = (pick % total as u64) as i64;
    items
        .iter()
        .find(|(_, n)| {
            at -= (*n).max(0);
            at < 0
        })
        .map(|(item, _)| item)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_symbols_from_the_alphabet() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(code.len(), CODE_LENGTH);
            assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)));
        }
        // 31^6 is about 2^29.7: more than the 20 bits required.
        assert!((CODE_ALPHABET.len() as f64).powi(CODE_LENGTH as i32).log2() > 29.0);
    }

    #[test]
    fn a_code_matches_only_in_its_own_flow() {
        let keys = Keys::new("a secret of more than thirty-two characters");
        let stored = keys.code_hash("flow-a", "K7QF2M");
        assert!(keys.code_matches("flow-a", "K7QF2M", &stored));
        assert!(!keys.code_matches("flow-b", "K7QF2M", &stored));
        assert!(!keys.code_matches("flow-a", "K7QF2N", &stored));
        assert!(!stored.contains("K7QF2M"));
    }

    #[test]
    fn typed_codes_ignore_case_spaces_and_dashes() {
        assert_eq!(normalize_code(" k7q-f2m "), "K7QF2M");
    }

    #[test]
    fn masks_show_no_character_of_the_mailbox_name() {
        assert_eq!(
            mask_email("chan.tai.man@example.edu.hk"),
            "•••••••@e••••.edu.hk"
        );
        assert_eq!(mask_email("c@e.edu"), "•••••••@e••••.edu");
        assert_eq!(mask_mobile("+852 9123 4567"), "•••• 4567");
    }

    #[test]
    fn decoys_are_stable_per_name_and_drawn_from_the_real_accounts() {
        let keys = Keys::new("a secret of more than thirty-two characters");
        let model = DecoyModel {
            domains: vec![
                ("connect.example.edu.hk".into(), 3),
                ("example.edu".into(), 1),
            ],
            channel_sets: vec![
                (vec![Method::Email, Method::Mobile], 3),
                (vec![Method::App, Method::Email], 1),
            ],
        };
        let a = decoy_channels(&keys, "nobody", &model, &[]);
        assert_eq!(a, decoy_channels(&keys, "nobody", &model, &[]));
        let shown: Vec<Vec<(Method, String)>> = (0..400)
            .map(|i| decoy_channels(&keys, &format!("n{i}"), &model, &[]))
            .collect();
        let connect = shown
            .iter()
            .filter(|c| {
                c.iter()
                    .any(|(m, s)| *m == Method::Email && s.ends_with("@c••••.example.edu.hk"))
            })
            .count();
        assert!(
            (250..350).contains(&connect),
            "about three in four: {connect}"
        );
        let with_app = shown.iter().filter(|c| c[0].0 == Method::App).count();
        assert!(
            (60..140).contains(&with_app),
            "about one in four: {with_app}"
        );
        assert!(shown.iter().all(|c| c.len() == 2));
        let other = Keys::new("another secret of more than thirty-two characters");
        assert_ne!(a, decoy_channels(&other, "nobody", &model, &[]));
        let fallback = decoy_channels(
            &keys,
            "nobody",
            &DecoyModel::default(),
            &["example.edu".into()],
        );
        assert_eq!(fallback[0], (Method::Email, "•••••••@e••••.edu".to_owned()));
        assert_eq!(fallback[1].0, Method::Mobile);
    }

    #[test]
    fn decoy_questions_are_distinct_and_stable() {
        let keys = Keys::new("a secret of more than thirty-two characters");
        let q = decoy_questions(&keys, "nobody", 5, 3);
        assert_eq!(q, decoy_questions(&keys, "nobody", 5, 3));
        let mut sorted = q.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 3);
        assert!(q.iter().all(|i| *i < 5));
        assert_eq!(decoy_questions(&keys, "nobody", 2, 3).len(), 2);
    }
}
