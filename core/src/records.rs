//! The institution's records: what a valid account row is, reading a CSV or
//! JSON-lines file of them, and importing it. Every row is checked on its
//! own; the good ones are applied in one transaction (all or none), the bad
//! ones are reported with their reason and change nothing. Running the same
//! file again changes nothing.
use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Deserialize;
use time::macros::format_description;

use crate::Core;
use gatehouse_store::audit::{Action, AuditEvent, Outcome};
use gatehouse_store::ClientInfo;
use gatehouse_store::{AccountRecord, ImportBatch, StoreError};
use gatehouse_types::account::Role;

/// The columns of a records file, in the order the CSV header usually has.
pub const COLUMNS: [&str; 8] = [
    "login",
    "display_name",
    "role",
    "email",
    "mobile",
    "alt_email",
    "valid_until",
    "language",
];
const REQUIRED: [&str; 4] = ["login", "display_name", "role", "email"];
/// The languages pages and emails exist in.
pub const LANGUAGES: [&str; 2] = ["en", "zh-Hant"];

pub fn check_login(login: &str) -> Result<String, String> {
    let login = login.trim();
    if login.is_empty()
        || login.len() > 64
        || !login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(format!(
            "login name {login:?} must be 1 to 64 letters, digits, dots, dashes or underscores"
        ));
    }
    Ok(login.to_owned())
}

pub fn check_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 128 {
        return Err("the display name must be 1 to 128 characters".into());
    }
    Ok(name.to_owned())
}

pub fn check_email(email: &str) -> Result<String, String> {
    let email = email.trim();
    email
        .parse::<lettre::Address>()
        .map(|_| email.to_owned())
        .map_err(|_| format!("{email:?} is not a valid email address"))
}

pub fn check_mobile(mobile: &str) -> Result<String, String> {
    let m = mobile.trim();
    let digits = m.chars().filter(char::is_ascii_digit).count();
    if !(8..=15).contains(&digits) || !m.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c))
    {
        return Err(format!("{m:?} is not a phone number of 8 to 15 digits"));
    }
    Ok(m.to_owned())
}

fn check_date(date: &str) -> Result<String, String> {
    let date = date.trim();
    time::Date::parse(date, format_description!("[year]-[month]-[day]"))
        .map(|d| d.to_string())
        .map_err(|_| format!("{date:?} is not a date written YYYY-MM-DD"))
}

fn check_language(language: &str) -> Result<String, String> {
    let language = language.trim();
    LANGUAGES
        .into_iter()
        .find(|l| l.eq_ignore_ascii_case(language))
        .map(str::to_owned)
        .ok_or_else(|| format!("unknown language {language:?}; use en or zh-Hant"))
}

/// A row as written in the file, before any check.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    login: String,
    display_name: String,
    role: String,
    email: String,
    #[serde(default)]
    mobile: Option<String>,
    #[serde(default)]
    alt_email: Option<String>,
    #[serde(default)]
    valid_until: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

fn present(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

impl RawRow {
    fn check(self) -> Result<AccountRecord, String> {
        let field = |name: &'static str| move |e: String| format!("{name}: {e}");
        Ok(AccountRecord {
            login: check_login(&self.login).map_err(field("login"))?,
            display_name: check_name(&self.display_name).map_err(field("display_name"))?,
            role: self.role.parse::<Role>().map_err(field("role"))?,
            email: check_email(&self.email).map_err(field("email"))?,
            mobile: present(self.mobile)
                .map(|m| check_mobile(&m))
                .transpose()
                .map_err(field("mobile"))?,
            alt_email: present(self.alt_email)
                .map(|e| check_email(&e))
                .transpose()
                .map_err(field("alt_email"))?,
            valid_until: present(self.valid_until)
                .map(|d| check_date(&d))
                .transpose()
                .map_err(field("valid_until"))?,
            language: present(self.language)
                .map(|l| check_language(&l))
                .transpose()
                .map_err(field("language"))?
                .unwrap_or_else(|| "en".into()),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    /// From a file name: `.jsonl`/`.ndjson`/`.json` are JSON lines, anything
    /// else CSV.
    pub fn of(name: &str) -> Format {
        let lower = name.to_ascii_lowercase();
        if [".jsonl", ".ndjson", ".json"]
            .iter()
            .any(|e| lower.ends_with(e))
        {
            Format::JsonLines
        } else {
            Format::Csv
        }
    }
}

/// One line of the file: its number (1 is the first line, the CSV header
/// included), the login name as written (empty if none could be read) and
/// what the line holds.
type Parsed = Vec<(u64, String, Result<AccountRecord, String>)>;

/// Reads the rows. A file that cannot be read as a whole (no header, a
/// missing or unknown column) is an error; a bad row is a rejected row.
pub fn parse(content: &str, format: Format) -> Result<Parsed, String> {
    match format {
        Format::Csv => parse_csv(content),
        Format::JsonLines => Ok(parse_json_lines(content)),
    }
}

fn parse_csv(content: &str) -> Result<Parsed, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(content.trim_start_matches('\u{feff}').as_bytes());
    let header = reader
        .headers()
        .map_err(|e| format!("the header line cannot be read: {e}"))?
        .clone();
    if let Some(unknown) = header.iter().find(|h| !COLUMNS.contains(h)) {
        return Err(format!(
            "unknown column {unknown:?}; the columns are {}",
            COLUMNS.join(", ")
        ));
    }
    if let Some(missing) = REQUIRED.iter().find(|r| !header.iter().any(|h| h == **r)) {
        return Err(format!(
            "the header has no {missing:?} column; required: {}",
            REQUIRED.join(", ")
        ));
    }
    let login_column = header.iter().position(|h| h == "login");
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let unreadable = |e: &dyn std::fmt::Display| format!("the line cannot be read: {e}");
        let (line, login, row) = match record {
            Ok(r) => (
                r.position().map_or(i as u64 + 2, |p| p.line()),
                login_column
                    .and_then(|c| r.get(c))
                    .unwrap_or_default()
                    .to_owned(),
                r.deserialize::<RawRow>(Some(&header))
                    .map_err(|e| unreadable(&e))
                    .and_then(RawRow::check),
            ),
            Err(e) => (
                e.position().map_or(i as u64 + 2, |p| p.line()),
                String::new(),
                Err(unreadable(&e)),
            ),
        };
        rows.push((line, login, row));
    }
    Ok(rows)
}

fn parse_json_lines(content: &str) -> Parsed {
    content
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let value = serde_json::from_str::<serde_json::Value>(line);
            let login = value
                .as_ref()
                .ok()
                .and_then(|v| v.get("login")?.as_str())
                .unwrap_or_default()
                .to_owned();
            let row = value
                .and_then(serde_json::from_value::<RawRow>)
                .map_err(|e| format!("the line is not a valid record: {e}"))
                .and_then(RawRow::check);
            (i as u64 + 1, login, row)
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    Created,
    /// The fields that changed.
    Updated(Vec<&'static str>),
    Unchanged,
    Rejected(String),
}

#[derive(Debug, Clone)]
pub struct RowReport {
    pub line: u64,
    /// As written in the row (empty when it could not be read).
    pub login: String,
    pub outcome: RowOutcome,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub dry_run: bool,
    pub rows: Vec<RowReport>,
}

impl Report {
    pub fn count(&self, kind: fn(&RowOutcome) -> bool) -> usize {
        self.rows.iter().filter(|r| kind(&r.outcome)).count()
    }

    pub fn created(&self) -> usize {
        self.count(|o| *o == RowOutcome::Created)
    }

    pub fn updated(&self) -> usize {
        self.count(|o| matches!(o, RowOutcome::Updated(_)))
    }

    pub fn unchanged(&self) -> usize {
        self.count(|o| *o == RowOutcome::Unchanged)
    }

    pub fn rejected(&self) -> usize {
        self.count(|o| matches!(o, RowOutcome::Rejected(_)))
    }

    /// `created 3, updated 1, unchanged 10, rejected 2`
    pub fn summary(&self) -> String {
        format!(
            "created {}, updated {}, unchanged {}, rejected {}",
            self.created(),
            self.updated(),
            self.unchanged(),
            self.rejected()
        )
    }

    /// The summary, then one line per row that changed or was rejected.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}{}\n",
            if self.dry_run {
                "dry run, nothing changed: would have "
            } else {
                ""
            },
            self.summary()
        );
        for row in &self.rows {
            let _ = match &row.outcome {
                RowOutcome::Created => writeln!(text, "line {}: {} created", row.line, row.login),
                RowOutcome::Updated(fields) => writeln!(
                    text,
                    "line {}: {} updated ({})",
                    row.line,
                    row.login,
                    fields.join(", ")
                ),
                RowOutcome::Rejected(why) => {
                    writeln!(text, "line {}: {} rejected: {why}", row.line, row.login)
                }
                RowOutcome::Unchanged => Ok(()),
            };
        }
        text
    }
}

fn changed_fields(old: &AccountRecord, new: &AccountRecord) -> Vec<&'static str> {
    let pairs: [(&'static str, bool); 8] = [
        ("login", old.login != new.login),
        ("display_name", old.display_name != new.display_name),
        ("role", old.role != new.role),
        ("email", old.email != new.email),
        ("mobile", old.mobile != new.mobile),
        ("alt_email", old.alt_email != new.alt_email),
        ("valid_until", old.valid_until != new.valid_until),
        ("language", old.language != new.language),
    ];
    pairs
        .into_iter()
        .filter_map(|(name, changed)| changed.then_some(name))
        .collect()
}

/// Who imports, for the audit log.
pub struct Importer<'a> {
    pub actor: &'a str,
    pub client: &'a ClientInfo,
}

/// Imports `content`: checks every row, compares it with the account of
/// the same login name, and (unless `dry_run`) applies every creation and
/// update in one transaction with an audit event for each and one for the
/// import. Never sets a password: new accounts get theirs through the
/// first-time flow.
pub async fn import(
    state: &Core,
    content: &str,
    format: Format,
    dry_run: bool,
    by: &Importer<'_>,
) -> Result<Report, String> {
    let parsed = parse(content, format)?;
    let existing: HashMap<String, AccountRecord> = state
        .store
        .account_records()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|r| (gatehouse_types::LoginName::key_of(&r.login), r))
        .collect();

    let mut report = Report {
        dry_run,
        rows: Vec::with_capacity(parsed.len()),
    };
    let (mut create, mut update) = (Vec::new(), Vec::new());
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, written, row) in parsed {
        let (login, outcome) = match row {
            Err(why) => (written, RowOutcome::Rejected(why)),
            Ok(record) => {
                let key = gatehouse_types::LoginName::key_of(&record.login);
                let outcome = if let Some(first) = seen.get(&key) {
                    RowOutcome::Rejected(format!("login name already in this file on line {first}"))
                } else {
                    seen.insert(key.clone(), line);
                    match existing.get(&key) {
                        None => RowOutcome::Created,
                        Some(old) if *old == record => RowOutcome::Unchanged,
                        Some(old) => RowOutcome::Updated(changed_fields(old, &record)),
                    }
                };
                match outcome {
                    RowOutcome::Created => create.push(record.clone()),
                    RowOutcome::Updated(_) => update.push(record.clone()),
                    _ => {}
                }
                (record.login, outcome)
            }
        };
        report.rows.push(RowReport {
            line,
            login,
            outcome,
        });
    }
    if dry_run {
        return Ok(report);
    }

    let event = |subject: &str, action: Action, detail: String| AuditEvent {
        actor: Some(by.actor.to_owned()),
        subject: Some(subject.to_owned()),
        action,
        outcome: Outcome::Success,
        client_addr: by.client.addr.clone(),
        user_agent: by.client.user_agent.clone(),
        detail: Some(detail),
    };
    let mut audit: Vec<AuditEvent> = Vec::with_capacity(create.len() + update.len() + 1);
    audit.extend(create.iter().map(|r| {
        event(
            &r.login,
            Action::AccountCreated,
            format!("import; role={}", r.role.as_str()),
        )
    }));
    let changed: HashMap<&str, &Vec<&'static str>> = report
        .rows
        .iter()
        .filter_map(|r| match &r.outcome {
            RowOutcome::Updated(fields) => Some((r.login.as_str(), fields)),
            _ => None,
        })
        .collect();
    audit.extend(update.iter().map(|r| {
        let fields = changed
            .get(r.login.as_str())
            .map(|f| f.join(","))
            .unwrap_or_default();
        event(
            &r.login,
            Action::AccountUpdated,
            format!("import; {fields}"),
        )
    }));
    audit.push(AuditEvent {
        subject: None,
        ..event("", Action::Import, report.summary())
    });
    let batch = ImportBatch {
        create: &create,
        update: &update,
        audit: &audit,
        now: state.clock.unix(),
    };
    state.store.apply_import(&batch).await.map_err(|e| match e {
        StoreError::Duplicate | StoreError::Conflict => {
            "accounts changed while the file was being imported; nothing was changed, run the import again".to_owned()
        }
        other => format!("the import failed and nothing was changed: {other}"),
    })?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "login,display_name,role,email,mobile,alt_email,valid_until,language\n";

    fn rows(content: &str) -> Parsed {
        parse(content, Format::Csv).unwrap()
    }

    #[test]
    fn a_good_csv_row_becomes_a_record() {
        let parsed = rows(&format!(
            "{HEADER}s1234567, Chan Tai Man ,Student,s1234567@example.edu,+852 9123 4567,,2027-08-31,zh-hant\n"
        ));
        let (line, login, record) = &parsed[0];
        assert_eq!(login, "s1234567");
        assert_eq!(*line, 2);
        let record = record.as_ref().unwrap();
        assert_eq!(record.display_name, "Chan Tai Man");
        assert_eq!(record.role, Role::Student);
        assert_eq!(record.mobile.as_deref(), Some("+852 9123 4567"));
        assert_eq!(record.alt_email, None);
        assert_eq!(record.valid_until.as_deref(), Some("2027-08-31"));
        assert_eq!(record.language, "zh-Hant");
    }

    #[test]
    fn each_bad_field_is_named_in_the_rejection() {
        let cases = [
            ("s 1,A,student,a@example.edu,,,,", "login:"),
            ("s1,,student,a@example.edu,,,,", "display_name:"),
            ("s1,A,wizard,a@example.edu,,,,", "role:"),
            ("s1,A,student,not-an-email,,,,", "email:"),
            ("s1,A,student,a@example.edu,12ab,,,", "mobile:"),
            ("s1,A,student,a@example.edu,,nope,,", "alt_email:"),
            ("s1,A,student,a@example.edu,,,31/08/2027,", "valid_until:"),
            ("s1,A,student,a@example.edu,,,2027-02-30,", "valid_until:"),
            ("s1,A,student,a@example.edu,,,,fr", "language:"),
            ("s1,A,student", "cannot be read"),
        ];
        for (row, reason) in cases {
            let parsed = rows(&format!("{HEADER}{row}\n"));
            let why = parsed[0].2.as_ref().unwrap_err();
            assert!(why.contains(reason), "{row}: {why}");
        }
    }

    #[test]
    fn a_file_with_an_unknown_or_missing_column_is_refused_whole() {
        let err = parse("login,display_name,role,email,shoe_size\n", Format::Csv).unwrap_err();
        assert!(err.contains("shoe_size"), "{err}");
        let err = parse("login,display_name,role\n", Format::Csv).unwrap_err();
        assert!(err.contains("email"), "{err}");
    }

    #[test]
    fn json_lines_are_read_line_by_line() {
        let parsed = parse(
            "{\"login\":\"t7654321\",\"display_name\":\"Wong\",\"role\":\"teacher\",\"email\":\"t@example.edu\"}\n\n{\"login\":\"x\"}\n",
            Format::JsonLines,
        )
        .unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].2.as_ref().unwrap().language, "en");
        assert_eq!((parsed[1].0, parsed[1].1.as_str()), (3, "x"));
        assert!(parsed[1].2.as_ref().unwrap_err().contains("missing field"));
    }

    #[test]
    fn the_format_follows_the_file_name() {
        assert_eq!(Format::of("records.CSV"), Format::Csv);
        assert_eq!(Format::of("records.jsonl"), Format::JsonLines);
    }
}
