//! The `gatehouse` command: serve the portal (default) or manage accounts.
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use gatehouse_core::clock::SystemClock;
use gatehouse_core::passwords::checks_per_second;
use gatehouse_core::records::{self, Format, Importer};
use gatehouse_store::ClientInfo;
use server::accounts::{self, AccountInput};
use server::{build_state, serve, settings};

#[derive(Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "Self-service account and password portal"
)]
struct Cli {
    /// TOML settings file (environment variables GATEHOUSE_… override it).
    #[arg(long, env = "GATEHOUSE_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal (the default).
    Serve,
    /// Manage accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// The keys that sign OpenID Connect tokens.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Measure how many password checks a second this machine makes with
    /// the configured argon2 settings on every core (or `--threads`): the
    /// most any server here can sign in, to choose the settings by.
    HashRate {
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Create and update accounts from the institution's records (CSV with a
    /// header, or JSON lines): login, display_name, role, email, mobile,
    /// alt_email, valid_until, language. Running a file twice changes nothing
    /// the second time; a failure part-way changes nothing at all.
    Import {
        /// The records file.
        file: PathBuf,
        /// Show what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// csv or jsonl (default: from the file name; .jsonl/.ndjson/.json
        /// are JSON lines, anything else CSV).
        #[arg(long)]
        format: Option<String>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make new signing keys: they sign from now on, and the old ones stay
    /// published until the last token they signed has expired.
    Rotate,
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create an account and print its initial password (to be changed at first sign-in).
    Create {
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        /// student, staff, teacher, applicant, graduate, retiree or admin
        #[arg(long)]
        role: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        mobile: Option<String>,
        /// Give no password: the user sets one with "First time user?".
        #[arg(long)]
        first_time: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gatehouse: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let (config, policy) = settings::load(cli.config.as_deref())?;
    if let Some(Command::HashRate { seconds, threads }) = cli.command {
        let threads = threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        });
        let argon2 = config.argon2.clone();
        let said = format!(
            "argon2id m={} t={} p={}",
            argon2.memory_kib, argon2.iterations, argon2.parallelism
        );
        let rate = tokio::task::spawn_blocking(move || {
            checks_per_second(&argon2, threads, Duration::from_secs(seconds))
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        println!("{rate:.1} checks/s on {threads} threads ({said})");
        return Ok(());
    }
    for exception in config.exceptions() {
        tracing::warn!("{exception}");
    }
    // Turned off on purpose in `[policy.rules]`: said at every start.
    if !policy.forbid_common {
        tracing::warn!("policy.rules.forbid_common = false: common passwords are accepted");
    }
    if !policy.forbid_login_and_name {
        tracing::warn!(
            "policy.rules.forbid_login_and_name = false: passwords containing the login name or the person's name are accepted"
        );
    }
    let state = build_state(config, policy, Arc::new(SystemClock))
        .await
        .map_err(|e| e.to_string())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(state).await.map_err(|e| e.to_string()),
        // Measured above, before any database is opened.
        Command::HashRate { .. } => Ok(()),
        Command::Keys(KeysCommand::Rotate) => {
            let kids = gatehouse_core::oidc::keys::rotate(&state)
                .await
                .map_err(|e| e.chain())?;
            println!("New signing keys: {}", kids.join(", "));
            println!("The previous keys stay published until their tokens expire.");
            Ok(())
        }
        Command::Account(AccountCommand::Create {
            login,
            name,
            role,
            email,
            mobile,
            first_time,
        }) => {
            let password = accounts::create(
                &state,
                AccountInput {
                    login: login.clone(),
                    name,
                    role,
                    email,
                    mobile,
                    first_time,
                },
            )
            .await?;
            println!("Created account {login}.");
            match password {
                Some(password) => {
                    println!("Initial password: {password}");
                    println!("It must be changed at first sign-in.");
                }
                None => println!("No password yet: the user sets one with \"First time user?\" on the login page."),
            }
            Ok(())
        }
        Command::Import {
            file,
            dry_run,
            format,
        } => {
            let content = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let format = match format.as_deref() {
                None => Format::of(&file.to_string_lossy()),
                Some("csv") => Format::Csv,
                Some("jsonl") => Format::JsonLines,
                Some(other) => return Err(format!("--format {other:?}: use csv or jsonl")),
            };
            let client = ClientInfo {
                addr: "local".into(),
                user_agent: "gatehouse import".into(),
            };
            let by = Importer {
                actor: "command-line",
                client: &client,
            };
            let report = records::import(&state, &content, format, dry_run, &by).await?;
            print!("{}", report.to_text());
            Ok(())
        }
    }
}
