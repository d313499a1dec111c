//! Two `gatehouse` processes on different ports sharing one PostgreSQL
//! database, as behind a load balancer with nothing sticky. Needs
//! PostgreSQL: `scripts/test.sh` sets `TEST_POSTGRES_URL` and runs these
//! when one is reachable.
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, ORIGIN};
use serde_json::Value;

const CAPTCHA: &str = "KX7PR";
const NEW: &str = "Harbour7Lights";

struct Instance {
    address: String,
    child: Child,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Cluster {
    admin_url: String,
    database: String,
    url: String,
    dir: tempfile::TempDir,
}

impl Cluster {
    async fn new() -> Cluster {
        let admin_url = std::env::var("TEST_POSTGRES_URL")
            .expect("TEST_POSTGRES_URL must name a reachable PostgreSQL (scripts/test.sh sets it)");
        let database = format!("gatehouse_cluster_{:016x}", rand::random::<u64>());
        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url)
            .await
            .unwrap();
        let sql = format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        sqlx::Executor::execute(&mut admin, sql.as_str())
            .await
            .unwrap();
        sqlx::Executor::execute(&mut admin, format!("CREATE DATABASE {database}").as_str())
            .await
            .unwrap();
        let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap();
        Cluster {
            url: format!("{base}/{database}"),
            admin_url,
            database,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    async fn drop_database(&self) {
        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&self.admin_url)
            .await
            .unwrap();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database);
        sqlx::Executor::execute(&mut admin, sql.as_str())
            .await
            .unwrap();
    }

    /// Starts one more `gatehouse serve` on a free port, on the shared database.
    async fn instance(&self, name: &str) -> Instance {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = self.dir.path().join(name);
        let child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .arg("serve")
            .env("GATEHOUSE_MODE", "demo")
            .env(
                "GATEHOUSE_SECRET_KEY",
                "cluster-secret-cluster-secret-cluster-secret",
            )
            .env("GATEHOUSE_DATABASE_URL", &self.url)
            .env("GATEHOUSE_LISTEN", format!("127.0.0.1:{port}"))
            .env("GATEHOUSE_SITE_ROOT", dir.join("site"))
            .env("GATEHOUSE_MAIL__OUTBOX_DIR", dir.join("outbox"))
            .env("GATEHOUSE_SMS__OUTBOX_DIR", dir.join("sms"))
            .env("GATEHOUSE_CAPTCHA__FIXED_ANSWER", CAPTCHA)
            .env("GATEHOUSE_RECOVERY__SEND_FLOOR_MS", "0")
            .env("GATEHOUSE_THROTTLE__FREE_FAILURES", "100")
            .env("GATEHOUSE_THROTTLE__LOCK_AFTER", "10")
            .env("GATEHOUSE_THROTTLE__ADDRESS_LOCK_AFTER", "1000")
            .env("GATEHOUSE_ARGON2__MAX_CONCURRENT", "8")
            .env_remove("LEPTOS_OUTPUT_NAME")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        // Held from here, so it is killed and waited for however this ends.
        let instance = Instance {
            address: format!("http://127.0.0.1:{port}"),
            child,
        };
        for _ in 0..200 {
            if reqwest::get(format!("{}/healthz", instance.address))
                .await
                .is_ok()
            {
                return instance;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("instance {name} did not start");
    }

    fn create_account(&self, login: &str) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args([
                "account",
                "create",
                "--login",
                login,
                "--name",
                "Chan Tai Man",
                "--role",
                "staff",
            ])
            .args(["--email", &format!("{login}@example.edu")])
            .env("GATEHOUSE_MODE", "demo")
            .env(
                "GATEHOUSE_SECRET_KEY",
                "cluster-secret-cluster-secret-cluster-secret",
            )
            .env("GATEHOUSE_DATABASE_URL", &self.url)
            .env(
                "GATEHOUSE_MAIL__OUTBOX_DIR",
                self.dir.path().join("cli-outbox"),
            )
            .env("GATEHOUSE_SMS__OUTBOX_DIR", self.dir.path().join("cli-sms"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .find_map(|l| l.strip_prefix("Initial password: "))
            .unwrap_or_else(|| {
                panic!(
                    "no password in {text:?} {:?}",
                    String::from_utf8_lossy(&out.stderr)
                )
            })
            .to_owned()
    }
}

/// One browser: one cookie jar for every instance (cookies are per host,
/// not per port), each request with the origin of the instance it goes to.
fn browser() -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn post(
    client: &reqwest::Client,
    at: &Instance,
    endpoint: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(format!("{}/api/{endpoint}", at.address))
        .header(ORIGIN, &at.address)
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn sign_in(client: &reqwest::Client, at: &Instance, login: &str, password: &str) -> u16 {
    post(
        client,
        at,
        "sign_in",
        &[("login", login), ("password", password)],
    )
    .await
    .status()
    .as_u16()
}

#[tokio::test]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it when one is reachable"]
async fn pg_instances_share_sessions_flows_and_throttling() {
    let cluster = Cluster::new().await;
    let (a, b) = (cluster.instance("a").await, cluster.instance("b").await);

    // A session made on one instance works on the other.
    let initial = cluster.create_account("e4000001");
    let client = browser();
    assert_eq!(sign_in(&client, &a, "e4000001", &initial).await, 200);
    let me: Value = post(&client, &b, "whoami", &[]).await.json().await.unwrap();
    assert_eq!(me["login"], "e4000001");

    // A reset started on one instance finishes on the other.
    let reset = browser();
    let step: Value = post(&reset, &a, "recovery_step", &[("resume", "false")])
        .await
        .json()
        .await
        .unwrap();
    let captcha = step["Identify"]["captcha"].as_str().unwrap().to_owned();
    let start = [
        ("login", "e4000001"),
        ("captcha_id", captcha.as_str()),
        ("captcha", CAPTCHA),
    ];
    assert_eq!(
        post(&reset, &b, "recovery_start", &start).await.status(),
        200
    );
    assert_eq!(
        post(&reset, &a, "recovery_send", &[("channel", "email")])
            .await
            .status(),
        200
    );
    let sent: Value = post(&reset, &a, "dev_mailbox", &[])
        .await
        .json()
        .await
        .unwrap();
    let text = sent[0]["text"].as_str().unwrap();
    let at = text.find("code is ").unwrap() + "code is ".len();
    let code = &text[at..at + 6];
    assert_eq!(
        post(&reset, &b, "recovery_verify", &[("code", code)])
            .await
            .status(),
        200
    );
    let done = post(
        &reset,
        &a,
        "recovery_reset",
        &[("new_password", NEW), ("confirm_password", NEW)],
    )
    .await;
    assert_eq!(done.status(), 200);
    assert_eq!(sign_in(&browser(), &b, "e4000001", NEW).await, 200);
    let me: Value = post(&client, &a, "whoami", &[]).await.json().await.unwrap();
    assert_eq!(me, Value::Null, "the reset ended the session on both");

    // Failures spread over both instances lock after the configured 10.
    let guesser = browser();
    for i in 0..10 {
        let at = if i % 2 == 0 { &a } else { &b };
        assert_eq!(
            sign_in(&guesser, at, "e4000001", "wrong-guess").await,
            401,
            "failure {i}"
        );
    }
    assert_eq!(sign_in(&guesser, &a, "e4000001", NEW).await, 429);
    assert_eq!(sign_in(&guesser, &b, "e4000001", NEW).await, 429);

    drop((a, b));
    cluster.drop_database().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it when one is reachable"]
async fn pg_instances_count_concurrent_requests_exactly() {
    let cluster = Cluster::new().await;
    let (a, b) = (cluster.instance("a").await, cluster.instance("b").await);
    let instances = [&a, &b];

    // 50 simultaneous wrong sign-ins over both instances: every failure
    // answered is counted once, and the lock is the configured one.
    let initial = cluster.create_account("e4000002");
    let attempts = (0..50).map(|i| {
        let at = instances[i % 2];
        async move { sign_in(&browser(), at, "e4000002", "wrong-guess").await }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let failures = statuses.iter().filter(|s| **s == 401).count();
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&cluster.url).await.unwrap();
    let counted: i64 =
        sqlx::query_scalar("SELECT failures FROM throttle WHERE key = 'login:e4000002'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        counted as usize, failures,
        "no failure lost or counted twice"
    );
    // Each attempt is reserved before its hash, across both instances: no
    // more wrong guesses are ever hashed than the lock allows.
    assert!(
        (4..=10).contains(&failures),
        "{failures} wrong guesses hashed; the lock is at 10"
    );
    assert_eq!(
        sign_in(&browser(), &a, "e4000002", &initial).await,
        429,
        "locked"
    );

    // 20 simultaneous changes of one password: exactly one wins, and the
    // history and the password agree with it.
    let initial = cluster.create_account("e4000003");
    let mut clients = Vec::new();
    for i in 0..20 {
        let c = browser();
        assert_eq!(
            sign_in(&c, instances[i % 2], "e4000003", &initial).await,
            200
        );
        clients.push(c);
    }
    let changes = clients.iter().enumerate().map(|(i, c)| {
        let at = instances[i % 2];
        let new = format!("Harbour{i}Lights");
        let initial = initial.clone();
        async move {
            let form = [
                ("current_password", initial.as_str()),
                ("new_password", new.as_str()),
                ("confirm_password", new.as_str()),
            ];
            (
                new.clone(),
                post(c, at, "change_password", &form)
                    .await
                    .status()
                    .as_u16(),
            )
        }
    });
    let results = futures_util::future::join_all(changes).await;
    let winners: Vec<&String> = results
        .iter()
        .filter(|(_, s)| *s == 200)
        .map(|(n, _)| n)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let history: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM password_history h JOIN accounts a ON a.id = h.account_id WHERE a.login = 'e4000003'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(history, 1);
    assert_eq!(sign_in(&browser(), &b, "e4000003", winners[0]).await, 200);
    // (A few only: 19 wrong passwords would lock the account.)
    for (new, _) in results.iter().filter(|(n, _)| n != winners[0]).take(3) {
        assert_eq!(sign_in(&browser(), &a, "e4000003", new).await, 401);
    }

    drop((a, b));
    pool.close().await;
    cluster.drop_database().await;
}
