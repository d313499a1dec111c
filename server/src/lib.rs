//! Wiring: settings, storage and the mail worker brought up, and the axum
//! router with the Leptos routes, server functions and security layers.
pub mod accounts;
pub mod assets;
pub mod audit_csv;
pub mod bodies;
pub mod captcha;
pub mod cas;
pub mod oidc;
pub mod security;
pub mod settings;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use app::ssr::notice_texts::Translations;
use app::ssr::AppState;
use app::{shell, App};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use gatehouse_core::clock::Clock;
use gatehouse_core::codes::Keys;
use gatehouse_core::config::Config;
use gatehouse_core::config::{Mode, Transport};
use gatehouse_core::mail::{spawn_worker, FileOutbox, MailTransport, SmtpMail};
use gatehouse_core::mailbox::{DemoMailbox, Recorded};
use gatehouse_core::passwords::PasswordHasher;
use gatehouse_core::sms::{HttpSmsGateway, SmsGateway, SmsOutbox};
use gatehouse_core::Core;
use gatehouse_policy::Policy;
use gatehouse_store::{PgStore, SqliteStore, Store};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tokio::sync::Notify;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Settings(String),
    #[error("the database could not be opened ({0}); check database_url (GATEHOUSE_DATABASE_URL)")]
    Database(String),
    #[error("{0}")]
    Hashing(String),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
}

/// Opens the store, sets up delivery and builds the state every request
/// shares.
pub async fn build_state(
    config: Config,
    policy: Policy,
    clock: Arc<dyn Clock>,
) -> Result<AppState, StartError> {
    let store = connect(&config).await?;
    let hasher =
        PasswordHasher::new(&config.argon2).map_err(|e| StartError::Hashing(e.to_string()))?;
    let leptos_options = leptos_options(&config);
    app::ssr::assets::stylesheet_href(&leptos_options);
    let keys = if config.secret_key.is_empty() {
        // Only development gets here (validation requires a key elsewhere):
        // masks for unknown names then change at each restart.
        tracing::warn!("secret_key is not set; using a random one until the server stops");
        Keys::new(&gatehouse_core::sessions::new_token())
    } else {
        Keys::new(config.secret_key.expose())
    };
    if gatehouse_core::passkeys::relying_party(&config.public_url, &config.security_info.issuer)
        .is_none()
    {
        tracing::warn!(
            public_url = %config.public_url,
            "passkeys are off: WebAuthn needs public_url to name its host (localhost or a domain), not an address"
        );
    }
    let (mut mail, mut sms) = (mail_transport(&config)?, sms_gateway(&config)?);
    let mailbox = (config.mode == Mode::Demo).then(|| Arc::new(DemoMailbox::default()));
    if let Some(mailbox) = &mailbox {
        mail = Arc::new(Recorded {
            inner: mail,
            mailbox: mailbox.clone(),
            clock: clock.clone(),
        });
        sms = Arc::new(Recorded {
            inner: sms,
            mailbox: mailbox.clone(),
            clock: clock.clone(),
        });
    }
    let core = Core {
        config: Arc::new(config),
        policy: Arc::new(policy),
        store,
        hasher: Arc::new(hasher),
        clock,
        mail_wakeup: Arc::new(Notify::new()),
        logout_wakeup: Arc::new(Notify::new()),
        mail,
        sms,
        mailbox,
        keys: Arc::new(keys),
        send_times: Arc::default(),
        decoys: Arc::default(),
        texts: Arc::new(Translations),
    };
    Ok(AppState {
        core,
        leptos_options,
    })
}

pub async fn connect(config: &Config) -> Result<Arc<dyn Store>, StartError> {
    if config.database_url.starts_with("postgres") {
        let store = PgStore::connect(&config.database_url)
            .await
            .map_err(|e| StartError::Database(e.to_string()))?;
        return Ok(Arc::new(store));
    }
    if let Some(path) = config.database_url.strip_prefix("sqlite://") {
        let dir = std::path::Path::new(path.split('?').next().unwrap_or(path)).parent();
        if let Some(dir) = dir.filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StartError::Database(e.to_string()))?;
        }
    }
    let store = SqliteStore::connect(&config.database_url)
        .await
        .map_err(|e| StartError::Database(e.to_string()))?;
    Ok(Arc::new(store))
}

/// Under `cargo leptos` the build tool tells where the site is; otherwise
/// the settings do, and the site's files carry their hashes in their names
/// when the build that wrote them listed the hashes beside this program.
fn leptos_options(config: &Config) -> LeptosOptions {
    if std::env::var_os("LEPTOS_OUTPUT_NAME").is_some() {
        if let Ok(conf) = leptos::config::get_configuration(None) {
            return conf.leptos_options;
        }
    }
    LeptosOptions::builder()
        .output_name("gatehouse")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .hash_files(site_is_hashed(&config.site_root))
        .hash_file(Arc::from(HASH_FILE))
        .build()
}

/// Where cargo-leptos lists the hashes of the names it gave the site's files.
const HASH_FILE: &str = "hash.txt";

/// Whether the hash file beside this program names a wasm the site holds
/// (a later build without hashes leaves an old list behind).
fn site_is_hashed(site_root: &str) -> bool {
    app::ssr::assets::listed_hash(HASH_FILE, "wasm").is_some_and(|hash| {
        std::path::Path::new(site_root)
            .join("pkg")
            .join(format!("gatehouse.{hash}.wasm"))
            .is_file()
    })
}

fn mail_transport(config: &Config) -> Result<Arc<dyn MailTransport>, StartError> {
    Ok(match config.mail.transport {
        Transport::Smtp => Arc::new(
            SmtpMail::new(&config.mail.from, &config.mail.smtp).map_err(StartError::Settings)?,
        ),
        _ => Arc::new(
            FileOutbox::new(&config.mail.from, &config.mail.outbox_dir)
                .map_err(StartError::Settings)?,
        ),
    })
}

fn sms_gateway(config: &Config) -> Result<Arc<dyn SmsGateway>, StartError> {
    Ok(match config.sms.transport {
        Transport::Http => {
            Arc::new(HttpSmsGateway::new(&config.sms.http).map_err(StartError::Settings)?)
        }
        _ => Arc::new(SmsOutbox::new(&config.sms.outbox_dir).map_err(StartError::Settings)?),
    })
}

/// The app's routes, listed once per process. Listing them renders the app
/// with resource loading suppressed process-wide, which would leave a
/// page rendering at that moment in another router of this process (the
/// tests run many) waiting forever on a resource (leptos-rs/leptos#4773).
fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let routes = routes();
    let context_state = state.clone();
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(assets::routes(
            &state.leptos_options.site_root,
            &state.leptos_options.site_pkg_dir,
        ))
        .route("/lang/{code}", get(security::set_language))
        .route("/captcha/{id}/image.png", get(captcha::image))
        .route("/captcha/{id}/audio.wav", get(captcha::audio))
        .route("/cas/login", get(cas::login))
        .route("/cas/logout", get(cas::logout))
        .route("/cas/validate", get(cas::validate))
        .route("/cas/serviceValidate", get(cas::service_validate))
        .route("/cas/p3/serviceValidate", get(cas::service_validate))
        .route("/cas/proxyValidate", get(cas::proxy_validate))
        .route("/cas/p3/proxyValidate", get(cas::proxy_validate))
        .route("/cas/proxy", get(cas::proxy))
        .route("/admin/audit.csv", get(audit_csv::download))
        .merge(oidc::front_channel())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(context_state.clone()),
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(bodies::server_fn_bodies));
    let trusted = security::TrustedOrigins::new(&state.config.cors.allowed_origins);
    let router = router.layer(axum::middleware::from_fn_with_state(
        trusted.clone(),
        security::same_origin_writes,
    ));
    let router = match trusted.cors() {
        Some(cors) => router.layer(cors),
        None => router,
    };
    // Outside the same-origin check and the trusted origins' CORS: they
    // read no cookie, and answer any e-service's origin.
    let router = router
        .merge(oidc::back_channel())
        .merge(oidc::authorize_post_route());
    let router = router.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        security::nonce_and_page_policy,
    ));
    security::add_headers(router, state.config.secure_cookie()).with_state(state)
}

/// Runs until the process is stopped: the mail worker and the HTTP server.
pub async fn serve(state: AppState) -> Result<(), StartError> {
    let addr = state.config.listen;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| StartError::Listen(addr, e))?;
    spawn_worker(
        state.store.clone(),
        state.mail.clone(),
        state.clock.clone(),
        state.mail_wakeup.clone(),
    );
    gatehouse_core::lifecycle::spawn_reminders(Arc::new(state.core.clone()));
    gatehouse_core::housekeeping::spawn(Arc::new(state.core.clone()));
    gatehouse_core::single_logout::spawn(Arc::new(state.core.clone()));
    tracing::info!(
        "Gatehouse listening on http://{}",
        listener.local_addr().unwrap_or(addr)
    );
    // Every answer leaves at once: with Nagle's algorithm a response
    // written in two parts waited for the client's delayed ACK (40 ms).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "TCP_NODELAY could not be set");
        }
    });
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop_signal())
    .await
    .map_err(|e| StartError::Listen(addr, e))
}

/// Ctrl-C or `SIGTERM` (what service managers send): in-flight requests
/// finish, new connections are refused.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "SIGTERM cannot be watched; only Ctrl-C stops the server gracefully");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("stopping: finishing the requests under way");
}
