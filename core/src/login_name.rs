//! Looks up the accounts registered to an email address and queues the
//! reminder, under the CAPTCHA and the per-address and per-email limits,
//! answering the same, in the same time, whether or not the address is
//! registered.
use crate::error::{Error, Result};
use std::time::Instant;

use crate::records::check_email;
use crate::recovery::wait_for_floor;
use crate::sessions::hash_token;
use crate::throttle::{release_quotas, reserve_quotas, ThrottleRule};
use crate::{captcha, lifecycle, notices, Core};
use gatehouse_store::audit::{Action, AuditEvent, Outcome};
use gatehouse_store::ClientInfo;
use gatehouse_types::account::AccountStatus;
use gatehouse_types::error::{AppError, Field, FieldError, Problem};

pub struct Form<'a> {
    pub email: &'a str,
    pub captcha_id: &'a str,
    pub captcha: &'a str,
}

/// Checks the form and, for a registered address, queues one message
/// naming every account registered to it that may still sign in. An
/// unknown address gets the same answer, in the same time, and no message.
pub async fn send(state: &Core, form: &Form<'_>, client: &ClientInfo) -> Result<()> {
    let started = Instant::now();
    let r = &state.config.recovery;
    let email = form.email.trim();
    let mut errors = Vec::new();
    if email.is_empty() {
        errors.push(problem(Field::Email, Problem::Required));
    } else if check_email(email).is_err() {
        errors.push(problem(Field::Email, Problem::BadEmail));
    }
    if form.captcha.trim().is_empty() {
        errors.push(problem(Field::Captcha, Problem::Required));
    }
    // The challenge is used up by any try, even an incomplete form.
    let solved = captcha::solve(state, form.captcha_id, form.captcha).await?;
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors).into());
    }

    // The address counts every try with a complete form; the email only
    // tries that solved the CAPTCHA, so nobody can use up another person's
    // reminders without it. A try the email's limit refuses gives the
    // address its count back. The email is kept only as a hash.
    let for_address = [(
        format!("login-names:addr:{}", client.addr),
        ThrottleRule::hourly(r.login_names_per_address_per_hour),
    )];
    let for_email = [(
        format!("login-names:email:{}", hash_token(&email.to_lowercase())),
        ThrottleRule::hourly(r.login_names_per_email_per_hour),
    )];
    let counted = reserve_quotas(state, &for_address).await?;
    if !solved {
        return Err(AppError::Invalid(vec![problem(Field::Captcha, Problem::CaptchaWrong)]).into());
    }
    let counted_email = match reserve_quotas(state, &for_email).await {
        Ok(counted) => counted,
        Err(refused) => {
            release_quotas(state, &for_address, &counted).await?;
            return Err(refused);
        }
    };

    let accounts = match state.store.accounts_by_email(email).await {
        Ok(accounts) => accounts,
        // Read for every address alike: nothing was done, nothing counts.
        Err(e) => {
            release_quotas(state, &for_email, &counted_email).await?;
            release_quotas(state, &for_address, &counted).await?;
            return Err(Error::from(e));
        }
    };
    let accounts: Vec<_> = accounts
        .into_iter()
        .filter(|a| a.status == AccountStatus::Active && !lifecycle::ended(state, a))
        .collect();
    if !accounts.is_empty() {
        let now = state.clock.now();
        let mail = notices::login_names(state, email, &accounts, now, client);
        let events: Vec<AuditEvent> = accounts
            .iter()
            .map(|a| AuditEvent::about(&a.login, Action::LoginNamesSent, Outcome::Success, client))
            .collect();
        match state
            .store
            .queue_notice(&mail, &events, now.unix_timestamp())
            .await
        {
            Ok(()) => state.mail_wakeup.notify_one(),
            // Only a registered address gets this far: answering with the
            // failure would tell it apart. The user sees the same page and
            // no mail comes, as for an outage of the mail server.
            Err(e) => {
                tracing::error!(error = %e, "the login-name reminder could not be queued");
            }
        }
    }
    wait_for_floor(state, started).await;
    Ok(())
}

fn problem(field: Field, problem: Problem) -> FieldError {
    FieldError { field, problem }
}
