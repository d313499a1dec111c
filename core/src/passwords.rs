//! Password hashing with argon2id, off the async runtime and bounded, so a
//! flood of sign-ins waits its turn instead of starving every other page.
use std::sync::Arc;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use crate::config::Argon2Config;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("the argon2 settings are invalid")]
    Params,
    #[error("hashing failed")]
    Hash,
    #[error("the hashing task stopped")]
    Task,
}

pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// Verified when the login name is unknown, so that answer costs as long
    /// as a wrong password for a real account.
    dummy_hash: String,
}

impl PasswordHasher {
    pub fn new(c: &Argon2Config) -> Result<Self, HashError> {
        let params = Params::new(c.memory_kib, c.iterations, c.parallelism, None)
            .map_err(|_| HashError::Params)?;
        let dummy_hash = hash_blocking(&params, "gatehouse-dummy-password")?;
        Ok(PasswordHasher {
            params,
            permits: Arc::new(Semaphore::new(c.max_concurrent)),
            dummy_hash,
        })
    }

    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let password = SecretString::from(gatehouse_policy::normalize(password));
        let params = self.params.clone();
        self.run(move || hash_blocking(&params, password.expose_secret()))
            .await?
    }

    /// Whether `password` matches `stored`; with no stored hash the dummy is
    /// checked and the answer is `false`, taking the same time.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool, HashError> {
        let password = SecretString::from(gatehouse_policy::normalize(password));
        let real = stored.is_some();
        let stored = stored.unwrap_or(&self.dummy_hash).to_owned();
        let matched = self
            .run(move || {
                let Ok(parsed) = PasswordHash::new(&stored) else {
                    return false;
                };
                Argon2::default()
                    .verify_password(password.expose_secret().as_bytes(), &parsed)
                    .is_ok()
            })
            .await?;
        Ok(real && matched)
    }

    /// A stored hash made with other parameters than today's should be
    /// replaced once the password is known again.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return true;
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return true;
        };
        parsed.algorithm.as_str() != "argon2id"
            || params.m_cost() != self.params.m_cost()
            || params.t_cost() != self.params.t_cost()
            || params.p_cost() != self.params.p_cost()
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self.permits.acquire().await.map_err(|_| HashError::Task)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| HashError::Task)
    }
}

fn hash_blocking(params: &Params, password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| HashError::Hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> PasswordHasher {
        PasswordHasher::new(&Argon2Config::default()).expect("valid params")
    }

    #[tokio::test]
    async fn a_hash_is_argon2id_with_the_configured_cost_and_verifies() {
        let h = hasher();
        let hash = h.hash("Harbour7Lights").await.expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(h
            .verify("Harbour7Lights", Some(&hash))
            .await
            .expect("verify"));
        assert!(!h
            .verify("harbour7lights", Some(&hash))
            .await
            .expect("verify"));
        assert!(!h.needs_rehash(&hash));
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        assert!(!hasher()
            .verify("gatehouse-dummy-password", None)
            .await
            .expect("verify"));
    }

    #[tokio::test]
    async fn a_hash_with_older_parameters_needs_rehashing() {
        let old = PasswordHasher::new(&Argon2Config {
            memory_kib: 32 * 1024,
            ..Argon2Config::default()
        })
        .expect("params");
        let hash = old.hash("Harbour7Lights").await.expect("hash");
        assert!(hasher().needs_rehash(&hash));
    }
}
