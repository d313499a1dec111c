//! Password hashing with argon2id on a few threads of its own, off the
//! async runtime, with a bounded queue: a flood of sign-ins waits its turn
//! (or is told to come back in a few seconds) instead of starving every
//! other page or the memory. Each hash holds its argon2 memory (19 MiB by
//! default) only on those threads, so however many requests arrive, at
//! most `max_concurrent` hashes run and at most that many threads ever hold
//! such memory. The hashing threads run at a lower priority (nice 5): while
//! they keep every core busy, pages and ticket validations, which need a
//! fraction of a millisecond each, get a core first; and under a flood of
//! requests that keeps every other thread busy too, hashing still gets its
//! share.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::cell::RefCell;

use argon2::password_hash::{
    rand_core::OsRng, Output, ParamsString, PasswordHash, PasswordHasher as _, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::oneshot;

use crate::config::Argon2Config;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("the argon2 settings are invalid")]
    Params,
    #[error("hashing failed")]
    Hash,
    #[error("the hashing task stopped")]
    Task,
    /// Every hashing thread is busy and the queue is full.
    #[error("every hashing thread is busy; try again in {seconds} seconds")]
    Busy { seconds: u64 },
}

type Job = Box<dyn FnOnce() + Send>;

pub struct PasswordHasher {
    params: Params,
    jobs: flume::Sender<Job>,
    /// Requests handed to the threads and not yet started.
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    /// What a refused request is told: about how long the full queue takes.
    retry_after: u64,
    /// Verified when the login name is unknown, so that answer costs as long
    /// as a wrong password for a real account.
    dummy_hash: String,
}

/// The hashing threads' niceness on Linux (0 is normal, 19 the lowest).
/// At 19, a flood that keeps the HTTP threads busy starved hashing (a sixth
/// of the bound under 400 connections); at 0, pages waited for a hash's
/// time slice.
pub const HASHING_NICENESS: i32 = 5;

/// Makes the calling (hashing) thread yield to the server's other threads:
/// lowering a thread's own priority needs no privilege. Where the system
/// refuses, hashing runs at the normal priority.
fn lower_priority() {
    use thread_priority::{set_current_thread_priority, ThreadPriority, ThreadPriorityValue};
    // The crate's scale (0 to 99) maps onto niceness 19 to -20; 35 is 5.
    let Ok(value) = ThreadPriorityValue::try_from(35u8) else {
        return;
    };
    if let Err(error) = set_current_thread_priority(ThreadPriority::Crossplatform(value)) {
        tracing::warn!(?error, "hashing threads keep the normal priority");
    }
}

impl PasswordHasher {
    pub fn new(c: &Argon2Config) -> Result<Self, HashError> {
        let params = Params::new(c.memory_kib, c.iterations, c.parallelism, None)
            .map_err(|_| HashError::Params)?;
        let started = Instant::now();
        // Made with memory of its own, freed at once: this thread keeps none.
        let dummy_hash = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
            .hash_password(
                b"gatehouse-dummy-password",
                &SaltString::generate(&mut OsRng),
            )
            .map(|h| h.to_string())
            .map_err(|_| HashError::Hash)?;
        let one_hash = started.elapsed().max(Duration::from_millis(1));
        let threads = c.max_concurrent.max(1);
        // Three seconds' worth of hashing, unless configured.
        let max_waiting = c.max_waiting.unwrap_or_else(|| {
            let per_thread = Duration::from_secs(3).as_secs_f64() / one_hash.as_secs_f64();
            (per_thread as usize).max(1) * threads
        });
        let queue_time = one_hash.as_secs_f64() * (max_waiting / threads + 1) as f64;
        let (jobs, queue) = flume::unbounded::<Job>();
        for n in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                // Ends when the hasher, and with it every sender, is dropped.
                .spawn(move || {
                    lower_priority();
                    while let Ok(job) = queue.recv() {
                        job();
                    }
                })
                .map_err(|_| HashError::Task)?;
        }
        Ok(PasswordHasher {
            params,
            jobs,
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting,
            retry_after: queue_time.ceil().max(1.0) as u64,
            dummy_hash,
        })
    }

    /// How many requests may wait for a hashing thread.
    pub fn max_waiting(&self) -> usize {
        self.max_waiting
    }

    /// Whether the queue is full now: a request that would hash is then
    /// refused before it does anything else (no throttle row, no audit
    /// event, which a flood would otherwise write for every refusal). The
    /// place itself is reserved when the hash is asked for.
    pub fn refuses_now(&self) -> Result<(), HashError> {
        if self.waiting.load(Ordering::SeqCst) >= self.max_waiting {
            return Err(HashError::Busy {
                seconds: self.retry_after,
            });
        }
        Ok(())
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
            .run(move || verify_blocking(password.expose_secret(), &stored))
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

    /// Runs `work` on a hashing thread. A place in the queue is reserved
    /// first, or the request is refused at once; the work runs on the
    /// thread whatever becomes of the caller, so a caller that goes away
    /// never lets more hashes run than there are threads (and a job whose
    /// caller left before it started is not run at all).
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let reserved = self
            .waiting
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.max_waiting).then_some(n + 1)
            });
        if reserved.is_err() {
            return Err(HashError::Busy {
                seconds: self.retry_after,
            });
        }
        let waiting = Arc::clone(&self.waiting);
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move || {
            waiting.fetch_sub(1, Ordering::SeqCst);
            if !answer.is_closed() {
                let _ = answer.send(work());
            }
        });
        if self.jobs.send(job).is_err() {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(HashError::Task);
        }
        answered.await.map_err(|_| HashError::Task)
    }
}

/// How many password checks a second this machine makes with these
/// settings on `threads` threads at once, measured for `how_long`: the
/// bound no server can pass (`threads / one check's time`).
pub fn checks_per_second(
    c: &Argon2Config,
    threads: usize,
    how_long: Duration,
) -> Result<f64, HashError> {
    let params = Params::new(c.memory_kib, c.iterations, c.parallelism, None)
        .map_err(|_| HashError::Params)?;
    let stored = hash_blocking(&params, "gatehouse-measured-password")?;
    let started = Instant::now();
    let counts: Vec<u64> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                let stored = &stored;
                scope.spawn(move || {
                    let mut checks = 0u64;
                    while started.elapsed() < how_long {
                        verify_blocking("gatehouse-measured-password", stored);
                        checks += 1;
                    }
                    checks
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or(0)).collect()
    });
    Ok(counts.iter().sum::<u64>() as f64 / started.elapsed().as_secs_f64())
}

thread_local! {
    /// A hashing thread's argon2 memory (19 MiB by default), kept from one
    /// hash to the next. Allocated afresh for every hash, the blocks were
    /// left behind in the allocator's per-thread arenas (glibc raises its
    /// mmap threshold after each large free), and a flood's peak memory grew
    /// far past the threads' own share; kept, it is that share, once.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// argon2 of `password` and `salt` into `out`, in this thread's memory.
fn argon2_into(
    argon: &Argon2,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    BLOCKS.with_borrow_mut(|blocks| {
        let needed = params.block_count();
        if blocks.len() < needed {
            blocks.resize(needed, Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut blocks[..needed])
    })
}

fn hash_blocking(params: &Params, password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let raw_salt = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|_| HashError::Hash)?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let length = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = Output::init_with(length, |out| {
        argon2_into(&argon, params, password.as_bytes(), raw_salt, out)
            .map_err(|_| argon2::password_hash::Error::Password)
    })
    .map_err(|_| HashError::Hash)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|_| HashError::Hash)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `stored` (any argon2 variant,
/// version and parameters it names); the comparison is constant-time.
fn verify_blocking(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(algorithm), Some(expected), Some(salt)) = (
        Algorithm::try_from(parsed.algorithm),
        parsed.hash,
        parsed.salt,
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let (Ok(params), mut salt_bytes) = (Params::try_from(&parsed), [0u8; 64]) else {
        return false;
    };
    let Ok(raw_salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    if argon2_into(&argon, &params, password.as_bytes(), raw_salt, &mut out).is_err() {
        return false;
    }
    Output::new(&out).is_ok_and(|computed| computed == expected)
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

    /// The niceness of each hashing thread of this process, from the
    /// kernel's own record (`/proc/self/task/<id>/stat`, field 19).
    #[cfg(target_os = "linux")]
    fn hashing_threads_niceness() -> Vec<i32> {
        let mut niceness = vec![];
        for task in std::fs::read_dir("/proc/self/task")
            .expect("tasks")
            .flatten()
        {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if !comm.starts_with("argon2-") {
                continue;
            }
            let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
            let after_name = stat
                .rsplit_once(')')
                .map(|(_, rest)| rest)
                .unwrap_or_default();
            // Fields from the third (state) on: niceness is the 19th.
            if let Some(nice) = after_name.split_whitespace().nth(19 - 3) {
                niceness.push(nice.parse().expect("a number"));
            }
        }
        niceness
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_run_at_a_lower_priority() {
        let h = hasher();
        h.hash("Harbour7Lights").await.expect("hash");
        // A thread lowers its priority as it starts: this test's hasher's
        // (and any other test's) may be starting still.
        let mut niceness = hashing_threads_niceness();
        for _ in 0..100 {
            if !niceness.is_empty() && niceness.iter().all(|n| *n == HASHING_NICENESS) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            niceness = hashing_threads_niceness();
        }
        assert!(!niceness.is_empty(), "the hashing threads are found");
        assert!(
            niceness.iter().all(|n| *n == HASHING_NICENESS),
            "{niceness:?}"
        );
    }

    #[tokio::test]
    async fn hashes_read_both_ways_with_the_argon2_crate_s_own() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let h = hasher();
        let ours = h.hash("Harbour7Lights").await.expect("hash");
        let parsed = PasswordHash::new(&ours).expect("PHC");
        assert!(Argon2::default()
            .verify_password(b"Harbour7Lights", &parsed)
            .is_ok());
        let theirs = Argon2::default()
            .hash_password(b"Harbour7Lights", &SaltString::generate(&mut OsRng))
            .expect("hash")
            .to_string();
        assert!(h
            .verify("Harbour7Lights", Some(&theirs))
            .await
            .expect("verify"));
        assert!(!h
            .verify("Harbour7Light", Some(&theirs))
            .await
            .expect("verify"));
        // An argon2i hash of other parameters, and a damaged one.
        let other = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x10,
            Params::new(8 * 1024, 3, 1, Some(24)).expect("params"),
        )
        .hash_password(b"Harbour7Lights", &SaltString::generate(&mut OsRng))
        .expect("hash")
        .to_string();
        assert!(h
            .verify("Harbour7Lights", Some(&other))
            .await
            .expect("verify"));
        assert!(!h
            .verify("Harbour7Lights", Some(&other[..other.len() - 4]))
            .await
            .expect("verify"));
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        assert!(!hasher()
            .verify("gatehouse-dummy-password", None)
            .await
            .expect("verify"));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn past_the_queue_a_request_is_refused_at_once_and_no_more_run_than_threads() {
        let h = Arc::new(
            PasswordHasher::new(&Argon2Config {
                max_concurrent: 1,
                max_waiting: Some(2),
                ..Argon2Config::default()
            })
            .expect("params"),
        );
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let calls = (0..8).map(|_| {
            let (h, running, most) = (Arc::clone(&h), Arc::clone(&running), Arc::clone(&most));
            async move {
                h.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(50));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            }
        });
        let answers = futures::future::join_all(calls).await;
        let done = answers.iter().filter(|a| a.is_ok()).count();
        let busy = answers
            .iter()
            .filter(|a| matches!(a, Err(HashError::Busy { seconds }) if *seconds >= 1))
            .count();
        // Two wait (one may already be running when the rest arrive).
        assert!((2..=3).contains(&done), "{answers:?}");
        assert_eq!(busy, 8 - done, "{answers:?}");
        assert_eq!(most.load(Ordering::SeqCst), 1);
        // The queue is free again.
        assert!(h.verify("x", None).await.is_ok());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_caller_that_leaves_frees_its_place_and_its_hash_is_not_run() {
        let h = PasswordHasher::new(&Argon2Config {
            max_concurrent: 1,
            max_waiting: Some(2),
            ..Argon2Config::default()
        })
        .expect("params");
        let ran = Arc::new(AtomicUsize::new(0));
        let blocker = h.run(|| std::thread::sleep(Duration::from_millis(200)));
        let counted = Arc::clone(&ran);
        let left = h.run(move || {
            counted.fetch_add(1, Ordering::SeqCst);
        });
        let gave_up = tokio::time::timeout(Duration::from_millis(50), left);
        let (first, second) = tokio::join!(blocker, gave_up);
        assert!(first.is_ok());
        assert!(second.is_err(), "the second caller gave up");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(ran.load(Ordering::SeqCst), 0);
        assert!(h.verify("x", None).await.is_ok());
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
