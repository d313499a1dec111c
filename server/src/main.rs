//! The `gatehouse` command: serve the portal (default) or manage accounts.
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use app::ssr::clock::SystemClock;
use clap::{Parser, Subcommand};
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
    let state = build_state(config, policy, Arc::new(SystemClock))
        .await
        .map_err(|e| e.to_string())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(state).await.map_err(|e| e.to_string()),
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
    }
}
