//! Verification codes and the masks shown for a login name: codes come from
//! the OS's CSPRNG, are stored only as an HMAC keyed with the server secret
//! and bound to their flow, and are compared in constant time.
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::Rng;
use sha2::Sha256;
use subtle::ConstantTimeEq;

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
/// email domains with how many accounts use each, and how many have a
/// mobile number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecoyModel {
    pub domains: Vec<(String, i64)>,
    pub accounts: i64,
    pub with_mobile: i64,
}

/// The masks shown for a login name that has no account: drawn from the
/// secret and the name (the same name always shows the same masks), with
/// the real accounts' domains and share of mobile numbers, so each visible
/// feature has the distribution a real account's has. Without accounts
/// yet, `fallback` domains are used.
pub fn decoy_masks(
    keys: &Keys,
    login_key: &str,
    model: &DecoyModel,
    fallback: &[String],
) -> (String, Option<String>) {
    let bytes = keys.derive("decoy", login_key);
    let pick = u64::from(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]));
    let total: i64 = model.domains.iter().map(|(_, n)| *n).sum();
    let domain = if total > 0 {
        // A domain chosen as often as accounts use it.
        let mut at = (pick % total as u64) as i64;
        model
            .domains
            .iter()
            .find(|(_, n)| {
                at -= n;
                at < 0
            })
            .map_or("example.edu", |(d, _)| d.as_str())
    } else {
        let domains: Vec<&String> = fallback.iter().filter(|d| d.contains('.')).collect();
        domains
            .get(pick as usize % domains.len().max(1))
            .map_or("example.edu", |d| d.as_str())
    };
    let share = u64::from(u16::from_be_bytes([bytes[4], bytes[5]]));
    let has_mobile = if model.accounts > 0 {
        share * (model.accounts as u64) < 65_536 * (model.with_mobile as u64)
    } else {
        share < 49_152
    };
    let mobile = has_mobile.then(|| {
        let digits: String = bytes[6..10]
            .iter()
            .map(|b| char::from(b'0' + b % 10))
            .collect();
        format!("•••• {digits}")
    });
    (mask_email(&format!("x@{domain}")), mobile)
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
    fn decoy_masks_are_stable_per_name_and_drawn_from_the_real_domains() {
        let keys = Keys::new("a secret of more than thirty-two characters");
        let model = DecoyModel {
            domains: vec![
                ("connect.example.edu.hk".into(), 3),
                ("example.edu".into(), 1),
            ],
            accounts: 4,
            with_mobile: 4,
        };
        let a = decoy_masks(&keys, "nobody", &model, &[]);
        assert_eq!(a, decoy_masks(&keys, "nobody", &model, &[]));
        assert!(
            a.1.is_some(),
            "every account has a mobile, so every decoy does"
        );
        let domains: Vec<String> = (0..400)
            .map(|i| decoy_masks(&keys, &format!("n{i}"), &model, &[]).0)
            .collect();
        let connect = domains
            .iter()
            .filter(|d| d.ends_with("@c••••.example.edu.hk"))
            .count();
        assert!(
            (250..350).contains(&connect),
            "about three in four: {connect}"
        );
        let other = Keys::new("another secret of more than thirty-two characters");
        assert_ne!(a, decoy_masks(&other, "nobody", &model, &[]));
        let fallback = decoy_masks(
            &keys,
            "nobody",
            &DecoyModel::default(),
            &["example.edu".into()],
        );
        assert_eq!(fallback.0, "•••••••@e••••.edu");
    }
}
