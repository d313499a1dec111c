//! The change itself: every check on the server (it is the authority), then
//! one transaction that writes the hash, the history, ends the other
//! sessions, queues the notice and records the audit event.
use crate::error::{Error, Result};
use gatehouse_policy::{check, Context, Reuse, Status};

use crate::notices;
use crate::sign_in::password_again;
use crate::Core;
use gatehouse_store::audit::{Action, AuditEvent, Outcome};
use gatehouse_store::ClientInfo;
use gatehouse_store::{Account, PasswordChange, Session, StoreError};
use gatehouse_types::error::{AppError, Field, FieldError, Problem};
use gatehouse_types::Password;

pub struct ChangeRequest<'a> {
    pub current: &'a Password,
    pub new: &'a Password,
    pub confirm: &'a Password,
}

#[tracing::instrument(skip_all, fields(login = %account.login))]
pub async fn change_password(
    state: &Core,
    session: &Session,
    account: &Account,
    form: &ChangeRequest<'_>,
    client: &ClientInfo,
) -> Result<()> {
    let store = state.store.as_ref();
    let now = state.clock.unix();
    let mut errors = Vec::new();
    if form.current.is_empty() {
        errors.push(FieldError {
            field: Field::CurrentPassword,
            problem: Problem::Required,
        });
    }

    // The current password is a guess like a sign-in: reserved first.
    let current_ok = if form.current.is_empty() {
        false
    } else {
        let right = password_again(state, account, form.current, client).await?;
        if !right {
            errors.push(FieldError {
                field: Field::CurrentPassword,
                problem: Problem::WrongCurrentPassword,
            });
        }
        right
    };
    // Reuse is checked only for a caller who proved the current password.
    errors.extend(check_new_password(state, account, form.new, form.confirm, current_ok).await?);

    if !errors.is_empty() {
        let event = AuditEvent::by_user(
            &account.login,
            Action::PasswordChanged,
            Outcome::Failure,
            client,
        )
        .detail(if current_ok {
            "rejected_input"
        } else {
            "wrong_current_password"
        });
        store.record_audit(&event, now).await?;
        return Err(AppError::Invalid(errors).into());
    }

    let new_hash = state.hasher.hash(form.new.expose()).await?;
    let notice = notices::password_changed(
        state,
        account,
        state.clock.now(),
        client,
        notices::PasswordEvent::Changed,
    );
    let audit = AuditEvent::by_user(
        &account.login,
        Action::PasswordChanged,
        Outcome::Success,
        client,
    );
    let change = PasswordChange {
        account_id: account.id,
        expected_hash: account.password_hash.as_deref(),
        new_hash: &new_hash,
        history_depth: state.policy.history_depth,
        keep_session: Some(&session.id_hash),
        notice: &notice,
        audit: &audit,
        complete_flow: None,
        clear_throttle: None,
        now,
    };
    match store.change_password(&change).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => {
            tracing::info!("password changed concurrently; this change was not applied");
            return Err(AppError::Conflict.into());
        }
        Err(e) => return Err(Error::from(e)),
    }
    store
        .clear_failures(&crate::throttle::login_key(&account.login))
        .await?;
    state.mail_wakeup.notify_one();
    Ok(())
}

/// The new password and its confirmation checked as the server does:
/// present, equal, and within the policy (reuse included when
/// `check_reuse`, which needs hashing against the current and earlier ones).
pub async fn check_new_password(
    state: &Core,
    account: &Account,
    new: &Password,
    confirm: &Password,
    check_reuse: bool,
) -> Result<Vec<FieldError>> {
    let mut errors = Vec::new();
    for (field, value) in [(Field::NewPassword, new), (Field::ConfirmPassword, confirm)] {
        if value.is_empty() {
            errors.push(FieldError {
                field,
                problem: Problem::Required,
            });
        }
    }
    if !confirm.is_empty() && new != confirm {
        errors.push(FieldError {
            field: Field::ConfirmPassword,
            problem: Problem::Mismatch,
        });
    }
    if new.is_empty() {
        return Ok(errors);
    }
    let reuse = if check_reuse {
        reuse_of(state, account, new).await?
    } else {
        Reuse::Unknown
    };
    let ctx = Context {
        login: &account.login,
        display_name: &account.display_name,
        reuse,
    };
    let failed: Vec<_> = check(new.expose(), &state.policy, &ctx)
        .outcomes
        .into_iter()
        .filter(|o| !o.rule.is_advice() && o.status == Status::Unmet)
        .map(|o| o.rule)
        .collect();
    if !failed.is_empty() {
        errors.push(FieldError {
            field: Field::NewPassword,
            problem: Problem::Policy { failed },
        });
    }
    Ok(errors)
}

/// Whether the new password repeats the current one or one of the last N.
async fn reuse_of(state: &Core, account: &Account, new: &Password) -> Result<Reuse> {
    let mut earlier: Vec<String> = account.password_hash.iter().cloned().collect();
    let current = earlier.len();
    earlier.extend(
        state
            .store
            .password_history(account.id, state.policy.history_depth)
            .await?,
    );
    for (i, old) in earlier.iter().enumerate() {
        if state.hasher.verify(new.expose(), Some(old)).await? {
            return Ok(if i < current {
                Reuse::SameAsCurrent
            } else {
                Reuse::Recent
            });
        }
    }
    Ok(Reuse::Fresh)
}
