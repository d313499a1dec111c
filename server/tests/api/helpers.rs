use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use app::ssr::AppState;
use gatehouse_core::clock::ManualClock;
use gatehouse_core::config::{Config, Mode, Secret};
use gatehouse_core::mailbox::{DemoMailbox, Recorded};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, ORIGIN};
use server::accounts::{self, AccountInput};

pub struct TestApp {
    pub address: String,
    pub state: AppState,
    pub clock: ManualClock,
    pub outbox: PathBuf,
    pub database_url: String,
    /// Drops the test's own PostgreSQL database at the end.
    _postgres: Option<PgDatabase>,
    /// Every email and text message delivered, newest first.
    pub sent: Arc<DemoMailbox>,
    _dir: tempfile::TempDir,
}

#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn log_buffer() -> &'static LogBuffer {
    static LOGS: OnceLock<LogBuffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = LogBuffer::default();
        let writer = buffer.clone();
        tracing_subscriber::fmt()
            .with_env_filter("trace")
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        buffer
    })
}

/// Everything logged so far by every test in this binary.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&log_buffer().0.lock().unwrap()).into_owned()
}

pub fn test_config(dir: &std::path::Path) -> Config {
    let mut config = Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: format!("sqlite://{}/gatehouse.db", dir.display()),
        ..Config::default()
    };
    config.mail.outbox_dir = dir.join("outbox").display().to_string();
    config.sms.outbox_dir = dir.join("sms").display().to_string();
    config.site_root = dir.join("site").display().to_string();
    config.mode = Mode::Test;
    config.secret_key = Secret::new("test-secret-test-secret-test-secret-0123");
    config.captcha.fixed_answer = Some(CAPTCHA.into());
    config.recovery.send_floor_ms = 0;
    config
}

/// What every CAPTCHA answers in tests.
pub const CAPTCHA: &str = "KX7PR";

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Where `TEST_POSTGRES_URL` is set (scripts/test.sh sets it for the
/// second run), each test gets a fresh PostgreSQL database of its own.
pub struct PgDatabase {
    admin_url: String,
    name: String,
}

impl PgDatabase {
    async fn create(admin_url: &str) -> (Self, String) {
        use rand::Rng;
        let name = format!("gatehouse_test_{:016x}", rand::thread_rng().gen::<u64>());
        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(admin_url)
            .await
            .expect("TEST_POSTGRES_URL must reach a PostgreSQL server");
        sqlx::Executor::execute(&mut admin, format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap();
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(admin_url);
        let url = format!("{base}/{name}");
        (
            PgDatabase {
                admin_url: admin_url.to_owned(),
                name,
            },
            url,
        )
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut admin) = <sqlx::PgConnection as sqlx::Connection>::connect(&url).await
                {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::Executor::execute(&mut admin, sql.as_str()).await;
                }
            });
        })
        .join();
    }
}

pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    log_buffer();
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    let postgres = match postgres_url() {
        Some(admin) => {
            let (db, url) = PgDatabase::create(&admin).await;
            config.database_url = url;
            Some(db)
        }
        None => None,
    };
    adjust(&mut config);
    let database_url = config.database_url.clone();
    let policy = config.validate().unwrap();
    let clock = ManualClock::new(time::macros::datetime!(2026-11-22 09:00 UTC));
    let outbox = PathBuf::from(&config.mail.outbox_dir);
    let mut state = server::build_state(config, policy, Arc::new(clock.clone()))
        .await
        .unwrap();
    let sent = Arc::new(DemoMailbox::default());
    state.mail = Arc::new(Recorded {
        inner: state.mail.clone(),
        mailbox: sent.clone(),
        clock: state.clock.clone(),
    });
    state.sms = Arc::new(Recorded {
        inner: state.sms.clone(),
        mailbox: sent.clone(),
        clock: state.clock.clone(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    gatehouse_core::mail::spawn_worker(
        state.store.clone(),
        state.mail.clone(),
        state.clock.clone(),
        state.mail_wakeup.clone(),
    );
    let router = server::router(state.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    TestApp {
        address,
        state,
        clock,
        outbox,
        database_url,
        _postgres: postgres,
        sent,
        _dir: dir,
    }
}

impl TestApp {
    /// A browser-like client: keeps cookies, sends this site's Origin.
    pub fn client(&self) -> reqwest::Client {
        browser(&self.address)
    }
}

/// A browser on a page of `origin`: keeps cookies, sends that Origin.
pub fn browser(origin: &str) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(ORIGIN, HeaderValue::from_str(origin).unwrap());
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        // A request that is never answered fails its test, naming the URL,
        // instead of holding the whole suite.
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

impl TestApp {
    /// Creates an account the way `gatehouse account create` does; returns
    /// its initial password.
    pub async fn create_account(&self, login: &str) -> String {
        accounts::create(
            &self.state,
            AccountInput {
                login: login.into(),
                name: "Chan Tai Man".into(),
                role: "student".into(),
                email: format!("{login}@example.edu"),
                mobile: None,
                first_time: false,
            },
        )
        .await
        .unwrap()
        .unwrap()
    }

    pub async fn post(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(format!("{}/api/{endpoint}", self.address))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// A form as a browser without JavaScript posts it: HTML accepted,
    /// sent from the page at `from`.
    pub async fn form_post(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        from: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(format!("{}/api/{endpoint}", self.address))
            .header("accept", "text/html")
            .header("referer", format!("{}{from}", self.address))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_in(
        &self,
        client: &reqwest::Client,
        login: &str,
        password: &str,
    ) -> reqwest::Response {
        self.post(
            client,
            "sign_in",
            &[("login", login), ("password", password)],
        )
        .await
    }

    /// A client signed in with `password`, which must be right.
    pub async fn signed_in(&self, login: &str, password: &str) -> reqwest::Client {
        let client = self.client();
        let response = self.sign_in(&client, login, password).await;
        assert_eq!(
            response.status(),
            200,
            "sign-in failed: {}",
            response.text().await.unwrap()
        );
        client
    }

    pub async fn change_password(
        &self,
        client: &reqwest::Client,
        current: &str,
        new: &str,
        confirm: &str,
    ) -> reqwest::Response {
        self.post(
            client,
            "change_password",
            &[
                ("current_password", current),
                ("new_password", new),
                ("confirm_password", confirm),
            ],
        )
        .await
    }

    pub async fn whoami(&self, client: &reqwest::Client) -> serde_json::Value {
        self.post(client, "whoami", &[]).await.json().await.unwrap()
    }

    /// The `.eml` files in the outbox, waiting briefly for the mail worker.
    /// The outbox after waiting as long as `outbox_messages` waits for a
    /// message: one that was sent would be there by then.
    pub async fn outbox_after_waiting(&self) -> Vec<String> {
        self.outbox_messages(usize::MAX).await
    }

    pub async fn outbox_messages(&self, at_least: usize) -> Vec<String> {
        for _ in 0..100 {
            let messages = read_outbox(&self.outbox);
            if messages.len() >= at_least {
                return messages;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        read_outbox(&self.outbox)
    }

    /// The messages delivered to `to`, waiting briefly (the mail worker
    /// sends in the background) until at least `at_least` have gone.
    pub async fn delivered_to(
        &self,
        to: &str,
        at_least: usize,
    ) -> Vec<app::dev_mailbox::MailboxEntry> {
        let mut found = vec![];
        for _ in 0..100 {
            found = self
                .sent
                .entries()
                .into_iter()
                .filter(|m| m.to == to)
                .collect();
            if found.len() >= at_least {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        found
    }

    /// A connection pool to the test's database, whichever backend.
    pub async fn pool(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::AnyPool::connect(&self.database_url).await.unwrap()
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres")
    }

    /// Makes every insert into the mail queue fail, as a full disk would.
    pub async fn break_mail_queue(&self) {
        let pool = self.pool().await;
        let statements: &[&str] = if self.is_postgres() {
            &[
                "CREATE FUNCTION refuse_mail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER refuse_mail BEFORE INSERT ON mail_queue FOR EACH ROW EXECUTE FUNCTION refuse_mail()",
            ]
        } else {
            &["CREATE TRIGGER refuse_mail BEFORE INSERT ON mail_queue BEGIN SELECT RAISE(ABORT, 'disk full'); END"]
        };
        for sql in statements {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
    }

    pub async fn repair_mail_queue(&self) {
        let pool = self.pool().await;
        let sql = if self.is_postgres() {
            "DROP TRIGGER refuse_mail ON mail_queue"
        } else {
            "DROP TRIGGER refuse_mail"
        };
        sqlx::query(sql).execute(&pool).await.unwrap();
    }

    pub async fn audit_actions(&self, login: &str) -> Vec<(String, String)> {
        self.state
            .store
            .audit_events(login, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, e)| (e.action.as_str().to_owned(), e.outcome.as_str().to_owned()))
            .collect()
    }
}

fn read_outbox(dir: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect()
}

/// Sends the requests all at once (a limit's test fires them together)
/// and returns their statuses, in order.
pub async fn statuses_at_once(
    requests: impl IntoIterator<Item = impl std::future::Future<Output = reqwest::Response>>,
) -> Vec<u16> {
    futures_util::future::join_all(requests)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect()
}

/// The JSON body of an error answer.
pub async fn error_of(response: reqwest::Response) -> serde_json::Value {
    response.json().await.unwrap()
}

/// A login name the tests know to be valid.
pub fn login_name(name: &str) -> gatehouse_types::LoginName {
    gatehouse_types::LoginName::parse(name).expect("a valid login name")
}
