//! Every query, written once for both databases: this file is compiled
//! once for SQLite and once for PostgreSQL (see `sqlite.rs` and
//! `postgres.rs`), with `Db` and `DIALECT` set by each. Parameters are
//! `$N` (both drivers accept them); `IS [NOT] DISTINCT FROM`, `CAST` and
//! `CASE` cover what the two dialects spell differently, and `DIALECT`
//! the rest. Every counter is changed by one statement (or under the row
//! lock that statement takes), never read, changed in Rust and written
//! back.
use async_trait::async_trait;
use gatehouse_types::admin::ImportReport;
use gatehouse_types::{AccountStatus, LoginName};
use sqlx::Row;

use super::{Db, DIALECT};
use crate::audit::AuditEvent;
use crate::mail::OutgoingMail;
use crate::model::*;
use crate::throttle::{ThrottleRule, ThrottleState};
use crate::{
    AccountStore, AuditLog, CaptchaStore, Dialect, FlowStore, Housekeeping, MailQueue, OidcStore,
    PasskeyStore, SecurityInfoStore, SessionStore, SingleLogoutStore, StoreError, StoreResult,
    ThrottleStore, TicketStore,
};

/// One pool of either database, and every query on it.
pub struct SqlStore {
    pool: sqlx::Pool<Db>,
}

impl SqlStore {
    pub(super) fn new(pool: sqlx::Pool<Db>) -> Self {
        SqlStore { pool }
    }

    /// Runs a `DELETE … < $1`-style statement; how many rows went.
    async fn delete_before(&self, sql: &'static str, at: i64) -> StoreResult<u64> {
        Ok(sqlx::query(sql)
            .bind(at)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}

/// `text` for a LIKE pattern with `\` as the escape character.
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// An audit event as read back, with its time.
#[derive(sqlx::FromRow)]
struct AuditRow {
    at: i64,
    #[sqlx(flatten)]
    event: AuditEvent,
}

/// A queued message as read back, with its id.
#[derive(sqlx::FromRow)]
struct MailRow {
    id: i64,
    #[sqlx(flatten)]
    mail: OutgoingMail,
}

/// An import report as read back.
#[derive(sqlx::FromRow)]
struct ImportReportRow {
    at: i64,
    actor: String,
    dry_run: bool,
    summary: String,
    report: String,
}

const ACCOUNT_COLUMNS: &str =
    "id, login, display_name, role, email, alt_email, mobile, status, valid_until, \
     password_hash, password_changed_at, must_change, language, created_at";

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Gives a reserved attempt back (see `ThrottleStore::release_attempt`).
async fn release_attempt(
    tx: &mut sqlx::Transaction<'_, Db>,
    key: &str,
    reserved: i64,
    rule: &ThrottleRule,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE throttle SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END, \
           locked_until = CASE WHEN $1 >= $2 THEN CASE WHEN locked_until < $3 THEN locked_until ELSE $3 END ELSE locked_until END \
         WHERE key = $4",
    )
    .bind(reserved)
    .bind(rule.lock_after)
    .bind(now)
    .bind(key)
    .execute(&mut **tx)
    .await?;
    // Nothing left to remember: as if the attempt never came.
    sqlx::query("DELETE FROM throttle WHERE key = $1 AND failures <= 0")
        .bind(key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn insert_audit<'e, E>(executor: E, event: &AuditEvent, at: i64) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    sqlx::query(
        "INSERT INTO audit_events (at, actor, subject, action, outcome, client_addr, user_agent, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(at)
    .bind(&event.actor)
    .bind(&event.subject)
    .bind(event.action.as_str())
    .bind(event.outcome.as_str())
    .bind(&event.client_addr)
    .bind(&event.user_agent)
    .bind(&event.detail)
    .execute(executor)
    .await?;
    Ok(())
}

async fn insert_mail<'e, E>(executor: E, mail: &OutgoingMail, now: i64) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    sqlx::query(
        "INSERT INTO mail_queue (created_at, recipient, subject, body_text, body_html, next_try_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(now)
    .bind(&mail.to)
    .bind(&mail.subject)
    .bind(&mail.text)
    .bind(&mail.html)
    .bind(now)
    .execute(executor)
    .await?;
    Ok(())
}

#[async_trait]
impl AccountStore for SqlStore {
    async fn create_account(&self, new: &NewAccount) -> StoreResult<Account> {
        let account = sqlx::query_as::<_, Account>(&format!(
            "INSERT INTO accounts (login_key, login, display_name, role, email, mobile, password_hash, \
             password_changed_at, must_change, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             RETURNING {ACCOUNT_COLUMNS}"
        ))
        .bind(new.login.key())
        .bind(new.login.as_str())
        .bind(&new.display_name)
        .bind(new.role.as_str())
        .bind(&new.email)
        .bind(&new.mobile)
        .bind(&new.password_hash)
        .bind(new.password_hash.as_ref().map(|_| new.now))
        .bind(new.must_change)
        .bind(new.now)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Duplicate } else { e.into() })?;
        Ok(account)
    }

    async fn account_by_login(&self, login: &LoginName) -> StoreResult<Option<Account>> {
        Ok(sqlx::query_as::<_, Account>(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE login_key = $1"
        ))
        .bind(login.key())
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn account_by_id(&self, id: i64) -> StoreResult<Option<Account>> {
        Ok(sqlx::query_as::<_, Account>(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn account_records(&self) -> StoreResult<Vec<AccountRecord>> {
        Ok(sqlx::query_as::<_, AccountRecord>(
            "SELECT login, display_name, role, email, mobile, alt_email, valid_until, language \
             FROM accounts",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn apply_import(&self, batch: &ImportBatch<'_>) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        for r in batch.create {
            sqlx::query(
                "INSERT INTO accounts (login_key, login, display_name, role, email, mobile, alt_email, \
             valid_until, language, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(LoginName::key_of(&r.login))
            .bind(&r.login)
            .bind(&r.display_name)
            .bind(r.role.as_str())
            .bind(&r.email)
            .bind(&r.mobile)
            .bind(&r.alt_email)
            .bind(&r.valid_until)
            .bind(&r.language)
            .bind(batch.now)
            .execute(&mut *tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { StoreError::Duplicate } else { e.into() })?;
        }
        for r in batch.update {
            let updated = sqlx::query(
                "UPDATE accounts SET login = $1, display_name = $2, role = $3, email = $4, mobile = $5, \
             alt_email = $6, valid_until = $7, language = $8 WHERE login_key = $9",
            )
            .bind(&r.login)
            .bind(&r.display_name)
            .bind(r.role.as_str())
            .bind(&r.email)
            .bind(&r.mobile)
            .bind(&r.alt_email)
            .bind(&r.valid_until)
            .bind(&r.language)
            .bind(LoginName::key_of(&r.login))
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict);
            }
        }
        for event in batch.audit {
            insert_audit(&mut *tx, event, batch.now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn record_import_report(&self, r: &ImportReport) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO import_reports (at, actor, dry_run, summary, report) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(r.at)
        .bind(&r.actor)
        .bind(r.dry_run)
        .bind(&r.summary)
        .bind(&r.report)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn import_reports(&self, limit: i64) -> StoreResult<Vec<ImportReport>> {
        let rows = sqlx::query_as::<_, ImportReportRow>(
            "SELECT at, actor, dry_run, summary, report FROM import_reports ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| ImportReport {
                at: r.at,
                actor: r.actor,
                dry_run: r.dry_run,
                summary: r.summary,
                report: r.report,
            })
            .collect())
    }

    async fn search_accounts(&self, text: &str, limit: i64) -> StoreResult<Vec<Account>> {
        let pattern = format!("%{}%", like_escape(&text.trim().to_lowercase()));
        Ok(sqlx::query_as::<_, Account>(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE login_key LIKE $1 ESCAPE '\\' \
             OR lower(display_name) LIKE $1 ESCAPE '\\' OR lower(email) LIKE $1 ESCAPE '\\' \
             ORDER BY login_key LIMIT $2"
        ))
        .bind(pattern)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn accounts_by_email(&self, email: &str) -> StoreResult<Vec<Account>> {
        Ok(sqlx::query_as::<_, Account>(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE lower(email) = lower($1) ORDER BY login_key"
        ))
        .bind(email.trim())
        .fetch_all(&self.pool)
        .await?)
    }

    async fn apply_admin_action(&self, c: &AdminChange<'_>) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        if let Some(status) = c.status {
            sqlx::query("UPDATE accounts SET status = $1 WHERE id = $2")
                .bind(status.as_str())
                .bind(c.account_id)
                .execute(&mut *tx)
                .await?;
            if status != AccountStatus::Active {
                // Whatever the account had open ends with it: reset and
                // second-step flows alike.
                sqlx::query(
                    "UPDATE recovery_flows SET state = 'void' WHERE account_id = $1 \
                     AND state IN ('channel', 'code', 'password')",
                )
                .bind(c.account_id)
                .execute(&mut *tx)
                .await?;
            }
        }
        if c.must_change {
            sqlx::query("UPDATE accounts SET must_change = TRUE WHERE id = $1")
                .bind(c.account_id)
                .execute(&mut *tx)
                .await?;
        }
        if c.end_sessions {
            sqlx::query("DELETE FROM sessions WHERE account_id = $1")
                .bind(c.account_id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(key) = c.clear_throttle {
            sqlx::query("DELETE FROM throttle WHERE key = $1")
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(notice) = c.notice {
            insert_mail(&mut *tx, notice, c.now).await?;
        }
        insert_audit(&mut *tx, c.audit, c.now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn accounts_due_reminder(&self, after: i64, until: i64) -> StoreResult<Vec<Account>> {
        Ok(sqlx::query_as::<_, Account>(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE status = 'active' AND password_changed_at > $1 AND password_changed_at <= $2 \
             AND (password_reminded_for IS NULL OR password_reminded_for <> password_changed_at)"
        ))
        .bind(after)
        .bind(until)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn record_password_reminder(
        &self,
        account_id: i64,
        changed_at: i64,
        mail: &OutgoingMail,
        now: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let claimed = sqlx::query(
            "UPDATE accounts SET password_reminded_for = $1 WHERE id = $2 AND password_changed_at = $1 \
             AND (password_reminded_for IS NULL OR password_reminded_for <> $1)",
        )
        .bind(changed_at)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() != 1 {
            return Ok(false);
        }
        insert_mail(&mut *tx, mail, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn password_history(&self, account_id: i64, limit: usize) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT hash FROM password_history WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(account_id)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn change_password(&self, c: &PasswordChange<'_>) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE accounts SET password_hash = $1, password_changed_at = $2, must_change = FALSE \
             WHERE id = $3 AND password_hash IS NOT DISTINCT FROM $4",
        )
        .bind(c.new_hash)
        .bind(c.now)
        .bind(c.account_id)
        .bind(c.expected_hash)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        if let Some(old) = c.expected_hash {
            sqlx::query(
                "INSERT INTO password_history (account_id, hash, replaced_at) VALUES ($1, $2, $3)",
            )
            .bind(c.account_id)
            .bind(old)
            .bind(c.now)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "DELETE FROM password_history WHERE account_id = $1 AND id NOT IN \
             (SELECT id FROM password_history WHERE account_id = $1 ORDER BY id DESC LIMIT $2)",
        )
        .bind(c.account_id)
        .bind(c.history_depth as i64)
        .execute(&mut *tx)
        .await?;
        if let Some(flow) = c.complete_flow {
            let done = sqlx::query(
                "UPDATE recovery_flows SET state = 'done' WHERE id_hash = $1 AND state = 'password'",
            )
            .bind(flow)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict);
            }
        }
        if let Some(key) = c.clear_throttle {
            sqlx::query("DELETE FROM throttle WHERE key = $1")
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_hash IS DISTINCT FROM $2")
            .bind(c.account_id)
            .bind(c.keep_session)
            .execute(&mut *tx)
            .await?;
        insert_mail(&mut *tx, c.notice, c.now).await?;
        insert_audit(&mut *tx, c.audit, c.now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn rehash_password(
        &self,
        account_id: i64,
        old_hash: &str,
        new_hash: &str,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
            .bind(new_hash)
            .bind(account_id)
            .bind(old_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn accounts_profile(&self) -> StoreResult<AccountsProfile> {
        let domains: Vec<(String, i64)> = sqlx::query_as(&format!(
            "SELECT LOWER(SUBSTR(email, {at} + 1)) AS domain, COUNT(*) AS n FROM accounts \
                 WHERE {at} > 0 GROUP BY domain ORDER BY n DESC, domain LIMIT 200",
            at = DIALECT.position_of("'@'", "email"),
        ))
        .fetch_all(&self.pool)
        .await?;
        let plain: (i64, i64) = sqlx::query_as(
            "SELECT COUNT(CASE WHEN mobile IS NULL OR mobile = '' THEN 1 END), \
             COUNT(CASE WHEN mobile IS NOT NULL AND mobile <> '' THEN 1 END) FROM accounts a \
             WHERE NOT EXISTS (SELECT 1 FROM security_info s WHERE s.account_id = a.id)",
        )
        .fetch_one(&self.pool)
        .await?;
        let documents: Vec<(String, bool)> = sqlx::query_as(
            "SELECT s.document, CASE WHEN a.mobile IS NOT NULL AND a.mobile <> '' THEN TRUE ELSE FALSE END \
             FROM security_info s JOIN accounts a ON a.id = s.account_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(AccountsProfile {
            domains,
            plain,
            documents,
        })
    }
}

#[async_trait]
impl SecurityInfoStore for SqlStore {
    async fn security_info(&self, account_id: i64) -> StoreResult<Option<(String, i64)>> {
        let row = sqlx::query("SELECT document, version FROM security_info WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => Some((row.try_get("document")?, row.try_get("version")?)),
            None => None,
        })
    }

    async fn save_security_info(&self, c: &SecuritySave<'_>) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let written = match c.expected_version {
            Some(version) => sqlx::query(
                "UPDATE security_info SET document = $1, version = version + 1 \
                 WHERE account_id = $2 AND version = $3",
            )
            .bind(c.document)
            .bind(c.account_id)
            .bind(version),
            None => sqlx::query(
                "INSERT INTO security_info (account_id, document, version) VALUES ($2, $1, 1) \
                 ON CONFLICT (account_id) DO NOTHING",
            )
            .bind(c.document)
            .bind(c.account_id),
        }
        .execute(&mut *tx)
        .await?;
        if written.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        if let Some(ids) = c.passkey_ids {
            sqlx::query("DELETE FROM passkey_ids WHERE account_id = $1")
                .bind(c.account_id)
                .execute(&mut *tx)
                .await?;
            for id in ids {
                sqlx::query("INSERT INTO passkey_ids (credential_id, account_id) VALUES ($1, $2)")
                    .bind(id)
                    .bind(c.account_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| {
                        if is_unique_violation(&e) {
                            StoreError::Duplicate
                        } else {
                            StoreError::from(e)
                        }
                    })?;
            }
        }
        for notice in c.notices {
            insert_mail(&mut *tx, notice, c.now).await?;
        }
        if let Some(audit) = c.audit {
            insert_audit(&mut *tx, audit, c.now).await?;
        }
        match c.end_sessions {
            EndSessions::None => {}
            EndSessions::AllBut(keep) => {
                sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_hash <> $2")
                    .bind(c.account_id)
                    .bind(keep)
                    .execute(&mut *tx)
                    .await?;
            }
            EndSessions::All => {
                sqlx::query("DELETE FROM sessions WHERE account_id = $1")
                    .bind(c.account_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl PasskeyStore for SqlStore {
    async fn account_by_passkey(&self, credential_id: &str) -> StoreResult<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT account_id FROM passkey_ids WHERE credential_id = $1")
                .bind(credential_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn create_challenge(&self, id_hash: &str, c: &Challenge) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO webauthn_challenges (id_hash, purpose, account_id, bound_to, state, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id_hash)
        .bind(&c.purpose)
        .bind(c.account_id)
        .bind(&c.bound_to)
        .bind(&c.state)
        .bind(c.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn take_challenge(&self, id_hash: &str) -> StoreResult<Option<Challenge>> {
        let row = sqlx::query(
            "DELETE FROM webauthn_challenges WHERE id_hash = $1 \
             RETURNING purpose, account_id, bound_to, state, expires_at",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(row) => Some(Challenge {
                purpose: row.try_get("purpose")?,
                account_id: row.try_get("account_id")?,
                bound_to: row.try_get("bound_to")?,
                state: row.try_get("state")?,
                expires_at: row.try_get("expires_at")?,
            }),
            None => None,
        })
    }
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn finish_sign_in(&self, done: &SignInDone<'_>) -> StoreResult<()> {
        let now = done.session.now;
        let mut tx = self.pool.begin().await?;
        release_attempt(
            &mut tx,
            done.address_key,
            done.address_reserved,
            done.address_rule,
            now,
        )
        .await?;
        sqlx::query("DELETE FROM throttle WHERE key = $1")
            .bind(done.login_key)
            .execute(&mut *tx)
            .await?;
        if let Some(previous) = done.previous {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(previous)
                .execute(&mut *tx)
                .await?;
        }
        let s = &done.session;
        sqlx::query(
            "INSERT INTO sessions (id_hash, account_id, created_at, last_seen_at, client_addr, user_agent, reauthenticated_at, two_step) \
             VALUES ($1, $2, $3, $3, $4, $5, $3, $6)",
        )
        .bind(s.id_hash)
        .bind(s.account_id)
        .bind(s.now)
        .bind(s.client_addr)
        .bind(s.user_agent)
        .bind(s.two_step)
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut *tx, done.event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(&self, id_hash: &str) -> StoreResult<Option<Session>> {
        Ok(sqlx::query_as(
            "SELECT id_hash, account_id, created_at, last_seen_at, reauthenticated_at, two_step FROM sessions WHERE id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn touch_session(&self, id_hash: &str, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn rotate_session(
        &self,
        id_hash: &str,
        new_id_hash: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let rotated = sqlx::query(
            "UPDATE sessions SET id_hash = $1, reauthenticated_at = $2 WHERE id_hash = $3",
        )
        .bind(new_id_hash)
        .bind(now)
        .bind(id_hash)
        .execute(&mut *tx)
        .await?;
        // The e-services' sign-ins go on with the session under its new id.
        for sql in [
            "UPDATE oidc_grants SET session_hash = $1 WHERE session_hash = $2",
            "UPDATE cas_logins SET session_hash = $1 WHERE session_hash = $2",
        ] {
            sqlx::query(sql)
                .bind(new_id_hash)
                .bind(id_hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(rotated.rows_affected() == 1)
    }

    async fn count_sessions(&self, account_id: i64) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE account_id = $1")
                .bind(account_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn account_sessions(
        &self,
        account_id: i64,
        seen_since: i64,
        started_since: i64,
    ) -> StoreResult<Vec<ListedSession>> {
        Ok(sqlx::query_as(
            "SELECT id_hash, created_at, last_seen_at, client_addr, user_agent FROM sessions \
             WHERE account_id = $1 AND last_seen_at >= $2 AND created_at >= $3 \
             ORDER BY last_seen_at DESC, id_hash",
        )
        .bind(account_id)
        .bind(seen_since)
        .bind(started_since)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn end_account_session(&self, account_id: i64, id_hash: &str) -> StoreResult<bool> {
        let ended = sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_hash = $2")
            .bind(account_id)
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(ended.rows_affected() == 1)
    }

    async fn end_other_sessions(&self, account_id: i64, keep: &str) -> StoreResult<u64> {
        let ended = sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_hash <> $2")
            .bind(account_id)
            .bind(keep)
            .execute(&self.pool)
            .await?;
        Ok(ended.rows_affected())
    }
}

#[async_trait]
impl ThrottleStore for SqlStore {
    async fn throttle_state(&self, key: &str) -> StoreResult<Option<ThrottleState>> {
        Ok(sqlx::query_as(
            "SELECT failures, last_failure_at, locked_until FROM throttle WHERE key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn clear_failures(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM throttle WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn reserve_attempt(
        &self,
        key: &str,
        rule: &ThrottleRule,
        now: i64,
    ) -> StoreResult<Option<i64>> {
        // One statement. A count starts again once its window has passed
        // or once its lock has been served (at most `lock_after` attempts
        // a lock period); a held-back key is left as it is (no row comes
        // back). Only failures move the window (`settle_failure`).
        let first_lock = if rule.lock_after <= 1 {
            now + rule.lock_seconds
        } else {
            0
        };
        Ok(sqlx::query_scalar(
            "INSERT INTO throttle (key, failures, last_failure_at, locked_until) VALUES ($1, 1, $2, $5) \
             ON CONFLICT(key) DO UPDATE SET \
               failures = CASE WHEN throttle.last_failure_at < $3 \
                   OR (throttle.failures >= $4 AND throttle.locked_until > 0) THEN 1 \
                 ELSE throttle.failures + 1 END, \
               last_failure_at = CASE WHEN throttle.last_failure_at < $3 \
                   OR (throttle.failures >= $4 AND throttle.locked_until > 0) THEN $2 \
                 ELSE throttle.last_failure_at END, \
               locked_until = CASE WHEN (CASE WHEN throttle.last_failure_at < $3 \
                   OR (throttle.failures >= $4 AND throttle.locked_until > 0) THEN 1 \
                 ELSE throttle.failures + 1 END) >= $4 \
                 THEN $2 + $6 ELSE throttle.locked_until END \
             WHERE throttle.locked_until <= $2 \
             RETURNING failures",
        )
        .bind(key)
        .bind(now)
        .bind(now - rule.window_seconds)
        .bind(rule.lock_after)
        .bind(first_lock)
        .bind(rule.lock_seconds)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn settle_failure(
        &self,
        key: &str,
        reserved: i64,
        rule: &ThrottleRule,
        now: i64,
    ) -> StoreResult<()> {
        // Attempts under way count when reserved, not once they fail: the
        // one that took the lock may find the count back below the limit
        // (the others were given back), and then earns only a delay.
        let delay = rule.locked_until(reserved.min(rule.lock_after - 1), now);
        sqlx::query(
            "UPDATE throttle SET last_failure_at = $6, locked_until = CASE \
               WHEN failures >= $1 THEN CASE WHEN locked_until > $2 THEN locked_until ELSE $2 END \
               WHEN $3 >= $1 THEN $4 \
               ELSE CASE WHEN locked_until > $4 THEN locked_until ELSE $4 END END \
             WHERE key = $5",
        )
        .bind(rule.lock_after)
        .bind(now + rule.lock_seconds)
        .bind(reserved)
        .bind(delay)
        .bind(key)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn release_attempt(
        &self,
        key: &str,
        reserved: i64,
        rule: &ThrottleRule,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        release_attempt(&mut tx, key, reserved, rule, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl CaptchaStore for SqlStore {
    async fn create_captcha(
        &self,
        id_hash: &str,
        answer: &str,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<()> {
        sqlx::query("DELETE FROM captchas WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        sqlx::query("INSERT INTO captchas (id_hash, answer, expires_at) VALUES ($1, $2, $3)")
            .bind(id_hash)
            .bind(answer)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn take_captcha(&self, id_hash: &str) -> StoreResult<Option<(String, i64)>> {
        Ok(
            sqlx::query_as("DELETE FROM captchas WHERE id_hash = $1 RETURNING answer, expires_at")
                .bind(id_hash)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn captcha_answer(&self, id_hash: &str) -> StoreResult<Option<(String, i64)>> {
        Ok(
            sqlx::query_as("SELECT answer, expires_at FROM captchas WHERE id_hash = $1")
                .bind(id_hash)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn captcha_media(
        &self,
        id_hash: &str,
        media: CaptchaMedia,
    ) -> StoreResult<Option<Vec<u8>>> {
        let sql = match media {
            CaptchaMedia::Image => "SELECT image FROM captchas WHERE id_hash = $1",
            CaptchaMedia::Audio => "SELECT audio FROM captchas WHERE id_hash = $1",
        };
        let row: Option<(Option<Vec<u8>>,)> = sqlx::query_as(sql)
            .bind(id_hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.and_then(|(bytes,)| bytes))
    }

    async fn keep_captcha_media(
        &self,
        id_hash: &str,
        media: CaptchaMedia,
        drawn: &[u8],
    ) -> StoreResult<Option<Vec<u8>>> {
        let sql = match media {
            CaptchaMedia::Image => {
                "UPDATE captchas SET image = COALESCE(image, $1) WHERE id_hash = $2 RETURNING image"
            }
            CaptchaMedia::Audio => {
                "UPDATE captchas SET audio = COALESCE(audio, $1) WHERE id_hash = $2 RETURNING audio"
            }
        };
        let row: Option<(Option<Vec<u8>>,)> = sqlx::query_as(sql)
            .bind(drawn)
            .bind(id_hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.and_then(|(bytes,)| bytes))
    }
}

#[async_trait]
impl FlowStore for SqlStore {
    async fn start_flow(&self, f: &NewFlow<'_>) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE recovery_flows SET state = 'void', code_hash = NULL \
             WHERE login_key = $1 AND state NOT IN ('done', 'void')",
        )
        .bind(f.login_key)
        .execute(&mut *tx)
        .await?;
        // Flows a day past their end are kept no longer.
        sqlx::query("DELETE FROM recovery_flows WHERE expires_at < $1")
            .bind(f.now - 86_400)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO recovery_flows (id_hash, login_key, account_id, state, created_at, expires_at, service) \
             VALUES ($1, $2, $3, 'channel', $4, $5, $6)",
        )
        .bind(f.id_hash)
        .bind(f.login_key)
        .bind(f.account_id)
        .bind(f.now)
        .bind(f.expires_at)
        .bind(f.service)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn flow(&self, id_hash: &str) -> StoreResult<Option<Flow>> {
        Ok(sqlx::query_as(
            "SELECT id_hash, login_key, account_id, state, created_at, expires_at, channel, code_hash, \
             code_expires_at, codes_sent, last_sent_at, wrong_codes, first_factor, service FROM recovery_flows WHERE id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn claim_code_send(&self, c: &SendClaim<'_>) -> StoreResult<bool> {
        let claimed = sqlx::query(
            "UPDATE recovery_flows SET codes_sent = codes_sent + 1, last_sent_at = $1 \
             WHERE id_hash = $2 AND state IN ('channel', 'code') AND codes_sent = $3 \
               AND codes_sent < $4 AND (last_sent_at IS NULL OR last_sent_at <= $5)",
        )
        .bind(c.now)
        .bind(c.flow)
        .bind(c.codes_sent_before)
        .bind(c.max_codes)
        .bind(c.now - c.cooldown_seconds)
        .execute(&self.pool)
        .await?;
        Ok(claimed.rows_affected() == 1)
    }

    async fn release_code_send(&self, c: &SendClaim<'_>) -> StoreResult<()> {
        sqlx::query(
            "UPDATE recovery_flows SET codes_sent = codes_sent - 1, last_sent_at = $1 \
             WHERE id_hash = $2 AND codes_sent = $3 AND last_sent_at = $4",
        )
        .bind(c.last_sent_before)
        .bind(c.flow)
        .bind(c.codes_sent_before + 1)
        .bind(c.now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn record_code_sent(&self, c: &CodeSent<'_>) -> StoreResult<()> {
        let updated = sqlx::query(
            "UPDATE recovery_flows SET state = 'code', channel = $1, code_hash = $2, code_expires_at = $3 \
             WHERE id_hash = $4 AND state IN ('channel', 'code') AND codes_sent = $5 AND last_sent_at = $6",
        )
        .bind(c.channel)
        .bind(c.code_hash)
        .bind(c.code_expires_at)
        .bind(c.flow)
        .bind(c.codes_sent_before + 1)
        .bind(c.now)
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    async fn reserve_code_check(&self, id_hash: &str, max: i64) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar(
            "UPDATE recovery_flows SET wrong_codes = wrong_codes + 1 \
             WHERE id_hash = $1 AND state <> 'void' AND wrong_codes < $2 RETURNING wrong_codes",
        )
        .bind(id_hash)
        .bind(max)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn release_code_check(&self, id_hash: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE recovery_flows SET wrong_codes = wrong_codes - 1 WHERE id_hash = $1 AND wrong_codes > 0",
        )
        .bind(id_hash)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn pass_factor(&self, p: &FactorPassed<'_>) -> StoreResult<bool> {
        let updated = sqlx::query(
            "UPDATE recovery_flows SET \
               state = CASE WHEN CAST($3 AS TEXT) IS NULL THEN 'password' ELSE 'channel' END, \
               first_factor = COALESCE(CAST($3 AS TEXT), first_factor), \
               last_sent_at = CASE WHEN CAST($3 AS TEXT) IS NULL THEN last_sent_at ELSE NULL END, \
               code_hash = NULL \
             WHERE id_hash = $1 AND state IN ('channel', 'code') \
               AND (CAST($2 AS TEXT) IS NULL OR code_hash = CAST($2 AS TEXT))",
        )
        .bind(p.flow)
        .bind(p.code_hash)
        .bind(p.first_factor)
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    async fn void_flow(&self, id_hash: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE recovery_flows SET state = 'void', code_hash = NULL \
             WHERE id_hash = $1 AND state != 'done'",
        )
        .bind(id_hash)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[async_trait]
impl TicketStore for SqlStore {
    async fn create_ticket(&self, id_hash: &str, t: &Ticket) -> StoreResult<()> {
        sqlx::query("DELETE FROM cas_tickets WHERE expires_at <= $1")
            .bind(t.issued_at)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO cas_tickets (id_hash, service, account_id, from_new_login, issued_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id_hash)
        .bind(&t.service)
        .bind(t.account_id)
        .bind(t.from_new_login)
        .bind(t.issued_at)
        .bind(t.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn take_ticket(&self, id_hash: &str) -> StoreResult<Option<Ticket>> {
        Ok(sqlx::query_as(
            "DELETE FROM cas_tickets WHERE id_hash = $1 \
             RETURNING service, account_id, from_new_login, issued_at, expires_at",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?)
    }
}

const SIGNING_KEY_COLUMNS: &str = "kid, alg, public_jwk, private_sealed, created_at, retired_at";

async fn insert_signing_keys(
    tx: &mut sqlx::Transaction<'_, Db>,
    keys: &[SigningKey],
) -> StoreResult<()> {
    for k in keys {
        sqlx::query(
            "INSERT INTO oidc_keys (kid, alg, public_jwk, private_sealed, created_at, retired_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&k.kid)
        .bind(&k.alg)
        .bind(&k.public_jwk)
        .bind(&k.private_sealed)
        .bind(k.created_at)
        .bind(k.retired_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_tokens(
    tx: &mut sqlx::Transaction<'_, Db>,
    grant_id: &str,
    tokens: &[NewToken<'_>],
) -> StoreResult<()> {
    for t in tokens {
        sqlx::query(
            "INSERT INTO oidc_tokens (token_hash, grant_id, kind, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(t.hash)
        .bind(grant_id)
        .bind(t.kind.as_str())
        .bind(t.expires_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A token and its grant as read back.
#[derive(sqlx::FromRow)]
struct TokenRow {
    kind: String,
    expires_at: i64,
    used_at: Option<i64>,
    live: bool,
    #[sqlx(flatten)]
    grant: Grant,
}

#[async_trait]
impl OidcStore for SqlStore {
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SIGNING_KEY_COLUMNS} FROM oidc_keys ORDER BY created_at DESC, kid DESC"
        ))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn add_first_signing_keys(&self, keys: &[SigningKey]) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let signing: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM oidc_keys WHERE retired_at IS NULL")
                .fetch_one(&mut *tx)
                .await?;
        if signing > 0 {
            return Ok(false);
        }
        insert_signing_keys(&mut tx, keys).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn rotate_signing_keys(
        &self,
        keys: &[SigningKey],
        now: i64,
        drop_retired_before: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM oidc_keys WHERE retired_at < $1")
            .bind(drop_retired_before)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE oidc_keys SET retired_at = $1 WHERE retired_at IS NULL")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        insert_signing_keys(&mut tx, keys).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_code(&self, code_hash: &str, c: &AuthorizationCode) -> StoreResult<()> {
        // A used code is kept ten minutes past its expiry, so a replay
        // still revokes what it gave.
        sqlx::query("DELETE FROM oidc_codes WHERE expires_at <= $1")
            .bind(c.issued_at - 600)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO oidc_codes (code_hash, client_id, redirect_uri, account_id, session_hash, scope, \
             nonce, code_challenge, auth_time, two_step, issued_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(code_hash)
        .bind(&c.client_id)
        .bind(&c.redirect_uri)
        .bind(c.account_id)
        .bind(&c.session_hash)
        .bind(&c.scope)
        .bind(&c.nonce)
        .bind(&c.code_challenge)
        .bind(c.auth_time)
        .bind(c.two_step)
        .bind(c.issued_at)
        .bind(c.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn exchange_code(&self, code_hash: &str, now: i64) -> StoreResult<CodeExchange> {
        let fresh: Option<AuthorizationCode> = sqlx::query_as(
            "UPDATE oidc_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL \
             RETURNING client_id, redirect_uri, account_id, session_hash, scope, nonce, \
             code_challenge, auth_time, two_step, issued_at, expires_at",
        )
        .bind(code_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(code) = fresh {
            return Ok(CodeExchange::Fresh(code));
        }
        // Used before: the code goes, then whatever it produced is
        // revoked (an exchange still finishing finds its code gone).
        let gone = sqlx::query("DELETE FROM oidc_codes WHERE code_hash = $1")
            .bind(code_hash)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if gone == 0 {
            return Ok(CodeExchange::Unknown);
        }
        sqlx::query(
            "UPDATE oidc_grants SET revoked_at = $2 WHERE code_hash = $1 AND revoked_at IS NULL",
        )
        .bind(code_hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(CodeExchange::Reused)
    }

    async fn create_grant(
        &self,
        g: &Grant,
        code_hash: &str,
        tokens: &[NewToken<'_>],
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO oidc_grants (id, code_hash, client_id, account_id, session_hash, scope, \
             auth_time, two_step, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&g.id)
        .bind(code_hash)
        .bind(&g.client_id)
        .bind(g.account_id)
        .bind(&g.session_hash)
        .bind(&g.scope)
        .bind(g.auth_time)
        .bind(g.two_step)
        .bind(g.created_at)
        .execute(&mut *tx)
        .await?;
        insert_tokens(&mut tx, &g.id, tokens).await?;
        // A code presented twice at once: if the other presentation
        // deleted it as reused, this grant must not be born. The update
        // locks the code's row until this commits, so a deletion either
        // came first (none left here) or waits and then revokes this grant.
        let code_kept = sqlx::query("UPDATE oidc_codes SET used_at = used_at WHERE code_hash = $1")
            .bind(code_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if code_kept == 0 {
            return Err(StoreError::Conflict);
        }
        tx.commit().await?;
        Ok(())
    }

    async fn token(
        &self,
        token_hash: &str,
        limits: SessionLimits,
    ) -> StoreResult<Option<StoredToken>> {
        let row: Option<TokenRow> = sqlx::query_as(
            "SELECT t.kind, t.expires_at, t.used_at, \
             (g.revoked_at IS NULL AND EXISTS (SELECT 1 FROM sessions s WHERE s.id_hash = g.session_hash \
               AND s.last_seen_at >= $2 AND s.created_at >= $3)) AS live, \
             g.id, g.client_id, g.account_id, g.session_hash, g.scope, g.auth_time, g.two_step, g.created_at \
             FROM oidc_tokens t JOIN oidc_grants g ON g.id = t.grant_id WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .bind(limits.seen_after)
        .bind(limits.started_after)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| StoredToken {
            kind: if r.kind == "refresh" {
                TokenKind::Refresh
            } else {
                TokenKind::Access
            },
            expires_at: r.expires_at,
            used: r.used_at.is_some(),
            live: r.live,
            grant: r.grant,
        }))
    }

    async fn rotate_refresh_token(
        &self,
        token_hash: &str,
        now: i64,
        successors: &[NewToken<'_>],
    ) -> StoreResult<Rotation> {
        let mut tx = self.pool.begin().await?;
        let grant: Option<String> = sqlx::query_scalar(
            "UPDATE oidc_tokens SET used_at = $2 \
             WHERE token_hash = $1 AND kind = 'refresh' AND used_at IS NULL RETURNING grant_id",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(grant) = grant else {
            sqlx::query(
                "UPDATE oidc_grants SET revoked_at = $2 WHERE revoked_at IS NULL AND id = \
                 (SELECT grant_id FROM oidc_tokens WHERE token_hash = $1)",
            )
            .bind(token_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(Rotation::Reused);
        };
        insert_tokens(&mut tx, &grant, successors).await?;
        tx.commit().await?;
        Ok(Rotation::Rotated)
    }

    async fn consented_scope(
        &self,
        account_id: i64,
        client_id: &str,
    ) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT scope FROM oidc_consents WHERE account_id = $1 AND client_id = $2",
        )
        .bind(account_id)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn record_consent(
        &self,
        account_id: i64,
        client_id: &str,
        scope: &str,
        now: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO oidc_consents (account_id, client_id, scope, granted_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account_id, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at",
        )
        .bind(account_id)
        .bind(client_id)
        .bind(scope)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn revoke_token(&self, token_hash: &str, now: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE oidc_grants SET revoked_at = $2 WHERE revoked_at IS NULL AND id = \
             (SELECT grant_id FROM oidc_tokens WHERE token_hash = $1 AND kind = 'refresh')",
        )
        .bind(token_hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM oidc_tokens WHERE token_hash = $1 AND kind = 'access'")
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl SingleLogoutStore for SqlStore {
    async fn record_cas_login(
        &self,
        session_hash: &str,
        service: &str,
        ticket: &str,
        now: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO cas_logins (session_hash, service, ticket, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(session_hash)
        .bind(service)
        .bind(ticket)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn ended_logins(
        &self,
        limits: SessionLimits,
        limit: i64,
    ) -> StoreResult<Vec<EndedLogin>> {
        let grants: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT DISTINCT g.session_hash, g.client_id, g.account_id FROM oidc_grants g \
             WHERE g.logout_queued_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id_hash = g.session_hash \
               AND s.last_seen_at >= $2 AND s.created_at >= $3) LIMIT $1",
        )
        .bind(limit)
        .bind(limits.seen_after)
        .bind(limits.started_after)
        .fetch_all(&self.pool)
        .await?;
        let cas: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT c.session_hash, c.service, c.ticket FROM cas_logins c \
             WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id_hash = c.session_hash \
               AND s.last_seen_at >= $2 AND s.created_at >= $3) LIMIT $1",
        )
        .bind(limit)
        .bind(limits.seen_after)
        .bind(limits.started_after)
        .fetch_all(&self.pool)
        .await?;
        Ok(grants
            .into_iter()
            .map(|(session_hash, client_id, account_id)| EndedLogin::Oidc {
                session_hash,
                client_id,
                account_id,
            })
            .chain(
                cas.into_iter()
                    .map(|(session_hash, service, ticket)| EndedLogin::Cas {
                        session_hash,
                        service,
                        ticket,
                    }),
            )
            .collect())
    }

    async fn queue_logout(
        &self,
        login: &EndedLogin,
        notice: Option<&LogoutNotice>,
        now: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let claimed = match login {
            EndedLogin::Oidc {
                session_hash,
                client_id,
                ..
            } => sqlx::query(
                "UPDATE oidc_grants SET logout_queued_at = $3 \
                 WHERE session_hash = $1 AND client_id = $2 AND logout_queued_at IS NULL",
            )
            .bind(session_hash)
            .bind(client_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
            EndedLogin::Cas {
                session_hash,
                service,
                ticket,
            } => sqlx::query(
                "DELETE FROM cas_logins WHERE session_hash = $1 AND service = $2 AND ticket = $3",
            )
            .bind(session_hash)
            .bind(service)
            .bind(ticket)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
        };
        if claimed == 0 {
            return Ok(false);
        }
        if let Some(n) = notice {
            let (kind, body) = n.what.stored();
            sqlx::query(
                "INSERT INTO logout_notices (created_at, target, kind, body, next_try_at) \
                 VALUES ($1, $2, $3, $4, $1)",
            )
            .bind(now)
            .bind(&n.target)
            .bind(kind)
            .bind(body)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn due_logout_notices(
        &self,
        now: i64,
        limit: i64,
    ) -> StoreResult<Vec<(i64, i64, LogoutNotice)>> {
        let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(match DIALECT {
            // Claimed for longer than a batch can take, so another
            // instance's worker skips them.
            Dialect::Postgres => {
                "UPDATE logout_notices SET next_try_at = $1 + 600 WHERE id IN \
                       (SELECT id FROM logout_notices WHERE sent_at IS NULL AND next_try_at <= $1 \
                        ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) \
                     RETURNING id, target, kind, body, attempts"
            }
            Dialect::Sqlite => {
                "SELECT id, target, kind, body, attempts FROM logout_notices \
                     WHERE sent_at IS NULL AND next_try_at <= $1 ORDER BY id LIMIT $2"
            }
        })
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, target, kind, body, attempts)| {
                let what = NoticeBody::read(&kind, body)?;
                Some((id, attempts, LogoutNotice { target, what }))
            })
            .collect())
    }

    async fn mark_logout_sent(&self, id: i64, now: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE logout_notices SET sent_at = $1, attempts = attempts + 1 WHERE id = $2",
        )
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session_sign_ins(&self, account_id: i64) -> StoreResult<Vec<(String, bool, String)>> {
        Ok(sqlx::query_as(
            "SELECT g.session_hash, TRUE AS oidc, g.client_id AS what FROM oidc_grants g \
             JOIN sessions s ON s.id_hash = g.session_hash \
             WHERE s.account_id = $1 AND g.revoked_at IS NULL \
             UNION SELECT c.session_hash, FALSE AS oidc, c.service AS what FROM cas_logins c \
             JOIN sessions s ON s.id_hash = c.session_hash WHERE s.account_id = $1 \
             ORDER BY 1, 3",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn mark_logout_failed(&self, id: i64, retry_at: Option<i64>) -> StoreResult<()> {
        // Given up: never due again, and never marked sent.
        sqlx::query(
            "UPDATE logout_notices SET attempts = attempts + 1, \
             next_try_at = COALESCE($1, CAST(9223372036854775807 AS BIGINT)) WHERE id = $2",
        )
        .bind(retry_at)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[async_trait]
impl AuditLog for SqlStore {
    async fn record_audit(&self, event: &AuditEvent, at: i64) -> StoreResult<()> {
        insert_audit(&self.pool, event, at).await?;
        Ok(())
    }

    async fn audit_events(&self, subject: &str, limit: i64) -> StoreResult<Vec<(i64, AuditEvent)>> {
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT at, actor, subject, action, outcome, client_addr, user_agent, detail FROM audit_events \
             WHERE subject = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(subject)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| (r.at, r.event)).collect())
    }

    async fn audit_query(
        &self,
        f: &AuditFilter,
        limit: i64,
    ) -> StoreResult<Vec<(i64, AuditEvent)>> {
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT at, actor, subject, action, outcome, client_addr, user_agent, detail FROM audit_events \
             WHERE (CAST($1 AS TEXT) IS NULL OR lower(subject) = $1) \
             AND (CAST($2 AS TEXT) IS NULL OR action = $2) \
             AND (CAST($3 AS BIGINT) IS NULL OR at >= $3) \
             AND (CAST($4 AS BIGINT) IS NULL OR at < $4) \
             ORDER BY id DESC LIMIT $5",
        )
        .bind(f.subject.as_ref().map(|s| s.to_lowercase()))
        .bind(&f.action)
        .bind(f.from)
        .bind(f.until)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| (r.at, r.event)).collect())
    }
}

#[async_trait]
impl MailQueue for SqlStore {
    async fn queue_mail(&self, mail: &OutgoingMail, now: i64) -> StoreResult<()> {
        insert_mail(&self.pool, mail, now).await?;
        Ok(())
    }

    async fn queue_notice(
        &self,
        mail: &OutgoingMail,
        events: &[AuditEvent],
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        insert_mail(&mut *tx, mail, now).await?;
        for event in events {
            insert_audit(&mut *tx, event, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn due_mail(&self, now: i64, limit: i64) -> StoreResult<Vec<(i64, OutgoingMail)>> {
        let rows: Vec<MailRow> = sqlx::query_as(match DIALECT {
            // Claimed for a minute, so another instance's worker skips them.
            Dialect::Postgres => {
                "UPDATE mail_queue SET next_try_at = $1 + 60 WHERE id IN \
                       (SELECT id FROM mail_queue WHERE sent_at IS NULL AND next_try_at <= $1 \
                        ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) \
                     RETURNING id, recipient, subject, body_text, body_html"
            }
            // One file has one worker's instance.
            Dialect::Sqlite => {
                "SELECT id, recipient, subject, body_text, body_html FROM mail_queue \
                     WHERE sent_at IS NULL AND next_try_at <= $1 ORDER BY id LIMIT $2"
            }
        })
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| (r.id, r.mail)).collect())
    }

    async fn mark_mail_sent(&self, id: i64, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE mail_queue SET sent_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn mark_mail_failed(&self, id: i64, retry_at: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE mail_queue SET attempts = attempts + 1, next_try_at = $1 WHERE id = $2",
        )
        .bind(retry_at)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[async_trait]
impl Housekeeping for SqlStore {
    async fn sweep(&self, c: &Sweep) -> StoreResult<Swept> {
        let sessions =
            sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
                .bind(c.sessions_seen_before)
                .bind(c.sessions_started_before)
                .execute(&self.pool)
                .await?
                .rows_affected();
        let throttle =
            sqlx::query("DELETE FROM throttle WHERE last_failure_at < $1 AND locked_until <= $2")
                .bind(c.throttle_before)
                .bind(c.now)
                .execute(&self.pool)
                .await?
                .rows_affected();
        let expired = |sql| self.delete_before(sql, c.now);
        Ok(Swept {
            sessions,
            flows: expired("DELETE FROM recovery_flows WHERE expires_at < $1").await?,
            tickets: expired("DELETE FROM cas_tickets WHERE expires_at <= $1").await?,
            captchas: expired("DELETE FROM captchas WHERE expires_at <= $1").await?,
            challenges: expired("DELETE FROM webauthn_challenges WHERE expires_at <= $1").await?,
            oidc: self
                .delete_before("DELETE FROM oidc_codes WHERE expires_at <= $1", c.now - 600)
                .await?
                + expired("DELETE FROM oidc_tokens WHERE expires_at <= $1").await?
                // A grant with no token left whose session has ended.
                + expired(
                    "DELETE FROM oidc_grants WHERE created_at < $1 AND logout_queued_at IS NOT NULL \
                     AND NOT EXISTS (SELECT 1 FROM oidc_tokens t WHERE t.grant_id = oidc_grants.id) \
                     AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id_hash = oidc_grants.session_hash)",
                )
                .await?,
            throttle,
            audit: match c.audit_before {
                Some(before) => {
                    self.delete_before("DELETE FROM audit_events WHERE at < $1", before)
                        .await?
                }
                None => 0,
            },
        })
    }
}
