//! The messages Gatehouse sends, in English and Traditional Chinese (English
//! first; where the two differ, the English prevails).
use time::macros::format_description;

use crate::config::Config;
use crate::mail::OutgoingMail;
use crate::sms::OutgoingSms;
use crate::Core;
use gatehouse_store::Account;
use gatehouse_store::ClientInfo;

/// A language a notice is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    ZhHant,
}

macro_rules! texts {
    ($($key:ident),* $(,)?) => {
        /// Every sentence of the notices, named as in the translations.
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Text {
            $($key),*
        }

        impl Text {
            /// Every text, for a check that each language has each.
            pub const ALL: &'static [Text] = &[$(Text::$key),*];
        }
    };
}

texts!(
    mail_admin_disabled,
    mail_admin_enabled,
    mail_admin_questions,
    mail_admin_require_change,
    mail_admin_sessions_ended,
    mail_admin_subject,
    mail_changed_body,
    mail_changed_greeting,
    mail_changed_not_you,
    mail_changed_single,
    mail_changed_subject,
    mail_code_body,
    mail_code_greeting,
    mail_code_not_you,
    mail_code_subject,
    mail_invite_body,
    mail_invite_subject,
    mail_ln_body,
    mail_ln_greeting,
    mail_ln_names,
    mail_ln_next,
    mail_ln_not_you,
    mail_ln_subject,
    mail_reminder_body,
    mail_reminder_subject,
    mail_reset_body,
    mail_reset_subject,
    mail_si_alt_email_added,
    mail_si_alt_email_changed,
    mail_si_alt_email_removed,
    mail_si_app_added,
    mail_si_app_removed,
    mail_si_app_replaced,
    mail_si_body,
    mail_si_default_changed,
    mail_si_mobile_added,
    mail_si_mobile_changed,
    mail_si_mobile_removed,
    mail_si_passkey_added,
    mail_si_passkey_disabled,
    mail_si_passkey_removed,
    mail_si_passkey_renamed,
    mail_si_questions_removed,
    mail_si_questions_set,
    mail_si_recovery_codes,
    mail_si_reset_by_admin,
    mail_si_subject,
    mail_si_two_step_off,
    mail_si_two_step_on,
    mail_signature,
    sms_code,
);

/// The notices' words, supplied by whoever holds the translations (the
/// app, from the same files as its pages).
pub trait NoticeTexts: Send + Sync {
    fn text(&self, lang: Lang, text: Text) -> &'static str;
}

/// Which change a password notice reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordEvent {
    /// Changed while signed in.
    Changed,
    /// Set through the forgot-password / first-time page.
    Reset,
}

pub fn password_changed(
    core: &Core,
    account: &Account,
    at: time::OffsetDateTime,
    client: &ClientInfo,
    event: PasswordEvent,
) -> OutgoingMail {
    let (config, texts) = (&*core.config, &*core.texts);
    let when = format_time(at);
    let link = link(config, "/forgot-password");
    let values = [
        ("name", account.display_name.as_str()),
        ("login", account.login.as_str()),
        ("time", when.as_str()),
        ("address", client.addr.as_str()),
        ("browser", client.user_agent.as_str()),
        ("link", link.as_str()),
    ];
    let text = |locale: Lang| {
        let contact = contact(config, locale);
        let (body, single) = match event {
            PasswordEvent::Changed => (
                texts.text(locale, Text::mail_changed_body),
                texts.text(locale, Text::mail_changed_single),
            ),
            PasswordEvent::Reset => (
                texts.text(locale, Text::mail_reset_body),
                texts.text(locale, Text::mail_changed_single),
            ),
        };
        vec![
            fill(texts.text(locale, Text::mail_changed_greeting), &values),
            fill(body, &values),
            single.to_string(),
            fill(
                texts.text(locale, Text::mail_changed_not_you),
                &[("link", &link), ("contact", &contact)],
            ),
            texts.text(locale, Text::mail_signature).to_string(),
        ]
    };
    let subject = |locale: Lang| match event {
        PasswordEvent::Changed => texts.text(locale, Text::mail_changed_subject),
        PasswordEvent::Reset => texts.text(locale, Text::mail_reset_subject),
    };
    bilingual(&account.email, subject, text)
}

/// The reminder that a password is due for change in `days` days.
pub fn password_reminder(core: &Core, account: &Account, days: i64) -> OutgoingMail {
    let (config, texts) = (&*core.config, &*core.texts);
    let link = link(config, "/account/password");
    let days = days.to_string();
    let values = [
        ("login", account.login.as_str()),
        ("days", days.as_str()),
        ("link", link.as_str()),
    ];
    to_account(
        texts,
        account,
        |locale| texts.text(locale, Text::mail_reminder_subject),
        |locale| {
            vec![
                fill(texts.text(locale, Text::mail_reminder_body), &values),
                texts.text(locale, Text::mail_changed_single).to_string(),
            ]
        },
    )
}

/// Tells the user what an administrator did to their account.
pub fn admin_action(core: &Core, account: &Account, action: &str) -> OutgoingMail {
    let (config, texts) = (&*core.config, &*core.texts);
    let link = link(config, "/login");
    let values = [("login", account.login.as_str()), ("link", link.as_str())];
    to_account(
        texts,
        account,
        |locale| texts.text(locale, Text::mail_admin_subject),
        |locale| {
            let what = match action {
                "disable" => texts.text(locale, Text::mail_admin_disabled),
                "enable" => texts.text(locale, Text::mail_admin_enabled),
                "require_change" => texts.text(locale, Text::mail_admin_require_change),
                _ => texts.text(locale, Text::mail_admin_sessions_ended),
            };
            let contact = contact(config, locale);
            vec![
                fill(what, &values),
                fill(
                    texts.text(locale, Text::mail_admin_questions),
                    &[("contact", &contact)],
                ),
            ]
        },
    )
}

/// Tells the user their security info changed (`change` names what, as
/// the audit event does), when and from where.
pub fn security_changed(
    core: &Core,
    account: &Account,
    change: &str,
    at: time::OffsetDateTime,
    client: &ClientInfo,
) -> OutgoingMail {
    let (config, texts) = (&*core.config, &*core.texts);
    let when = format_time(at);
    let reset = link(config, "/forgot-password");
    let page = link(config, "/account/security-info");
    to_account(
        texts,
        account,
        |locale| texts.text(locale, Text::mail_si_subject),
        |locale| {
            let what = match change {
                "app_added" => texts.text(locale, Text::mail_si_app_added),
                "app_replaced" => texts.text(locale, Text::mail_si_app_replaced),
                "app_removed" => texts.text(locale, Text::mail_si_app_removed),
                "alt_email_added" => texts.text(locale, Text::mail_si_alt_email_added),
                "alt_email_changed" => texts.text(locale, Text::mail_si_alt_email_changed),
                "alt_email_removed" => texts.text(locale, Text::mail_si_alt_email_removed),
                "mobile_added" => texts.text(locale, Text::mail_si_mobile_added),
                "mobile_changed" => texts.text(locale, Text::mail_si_mobile_changed),
                "mobile_removed" => texts.text(locale, Text::mail_si_mobile_removed),
                "passkey_added" => texts.text(locale, Text::mail_si_passkey_added),
                "passkey_renamed" => texts.text(locale, Text::mail_si_passkey_renamed),
                "passkey_removed" => texts.text(locale, Text::mail_si_passkey_removed),
                "passkey_disabled" => texts.text(locale, Text::mail_si_passkey_disabled),
                "questions_added" | "questions_changed" => {
                    texts.text(locale, Text::mail_si_questions_set)
                }
                "questions_removed" => texts.text(locale, Text::mail_si_questions_removed),
                "default_changed" => texts.text(locale, Text::mail_si_default_changed),
                "two_step_on" => texts.text(locale, Text::mail_si_two_step_on),
                "two_step_off" => texts.text(locale, Text::mail_si_two_step_off),
                "recovery_codes_new" => texts.text(locale, Text::mail_si_recovery_codes),
                _ => texts.text(locale, Text::mail_si_reset_by_admin),
            };
            let contact = contact(config, locale);
            vec![
                fill(
                    texts.text(locale, Text::mail_si_body),
                    &[
                        ("login", account.login.as_str()),
                        ("change", what),
                        ("time", when.as_str()),
                        ("address", client.addr.as_str()),
                        ("page", page.as_str()),
                    ],
                ),
                fill(
                    texts.text(locale, Text::mail_changed_not_you),
                    &[("link", &reset), ("contact", &contact)],
                ),
            ]
        },
    )
}

/// An administrator's invitation to set a new password through the
/// forgot-password page: the user proves a channel and chooses it; nobody
/// else ever sees it.
pub fn reset_invitation(core: &Core, account: &Account) -> OutgoingMail {
    let (config, texts) = (&*core.config, &*core.texts);
    let link = link(config, "/forgot-password");
    let values = [("login", account.login.as_str()), ("link", link.as_str())];
    to_account(
        texts,
        account,
        |locale| texts.text(locale, Text::mail_invite_subject),
        |locale| {
            vec![
                fill(texts.text(locale, Text::mail_invite_body), &values),
                texts.text(locale, Text::mail_code_not_you).to_string(),
            ]
        },
    )
}

/// The login names registered to `to`, asked for through "Forgot your
/// login name?" on the sign-in page.
pub fn login_names(
    core: &Core,
    to: &str,
    accounts: &[Account],
    at: time::OffsetDateTime,
    client: &ClientInfo,
) -> OutgoingMail {
    let (config, texts) = (&*core.config, &*core.texts);
    let when = format_time(at);
    let sign_in = link(config, "/login");
    let reset = link(config, "/forgot-password");
    let names = accounts
        .iter()
        .map(|a| format!("{} ({})", a.login, a.display_name))
        .collect::<Vec<_>>()
        .join(", ");
    let values = [
        ("email", to),
        ("time", when.as_str()),
        ("address", client.addr.as_str()),
        ("logins", names.as_str()),
        ("link", sign_in.as_str()),
        ("reset", reset.as_str()),
    ];
    bilingual(
        to,
        |locale| texts.text(locale, Text::mail_ln_subject),
        |locale| {
            vec![
                texts.text(locale, Text::mail_ln_greeting).to_string(),
                fill(texts.text(locale, Text::mail_ln_body), &values),
                fill(texts.text(locale, Text::mail_ln_names), &values),
                fill(texts.text(locale, Text::mail_ln_next), &values),
                texts.text(locale, Text::mail_ln_not_you).to_string(),
                texts.text(locale, Text::mail_signature).to_string(),
            ]
        },
    )
}

/// A notice to the account's registered email in both languages: the
/// greeting, the `body` lines, the signature.
fn to_account(
    texts: &dyn NoticeTexts,
    account: &Account,
    subject: impl Fn(Lang) -> &'static str,
    body: impl Fn(Lang) -> Vec<String>,
) -> OutgoingMail {
    let name = [("name", account.display_name.as_str())];
    bilingual(&account.email, subject, |locale| {
        let mut lines = vec![fill(texts.text(locale, Text::mail_changed_greeting), &name)];
        lines.extend(body(locale));
        lines.push(texts.text(locale, Text::mail_signature).to_string());
        lines
    })
}

/// A page of Gatehouse as linked from an email.
fn link(config: &Config, path: &str) -> String {
    format!("{}{path}", config.public_url.trim_end_matches('/'))
}

/// The email that carries a verification code.
pub fn code_email(
    core: &Core,
    account: &Account,
    to: &str,
    code: &str,
    valid_until: time::OffsetDateTime,
) -> OutgoingMail {
    let texts = &*core.texts;
    let until = format_time(valid_until);
    let values = [
        ("name", account.display_name.as_str()),
        ("code", code),
        ("time", until.as_str()),
    ];
    let text = |locale: Lang| {
        vec![
            fill(texts.text(locale, Text::mail_code_greeting), &values),
            fill(texts.text(locale, Text::mail_code_body), &values),
            texts.text(locale, Text::mail_code_not_you).to_string(),
            texts.text(locale, Text::mail_signature).to_string(),
        ]
    };
    bilingual(
        to,
        |locale| texts.text(locale, Text::mail_code_subject),
        text,
    )
}

/// The text message that carries a verification code, in the account's
/// language.
pub fn code_sms(
    core: &Core,
    account: &Account,
    to: &str,
    code: &str,
    valid_until: time::OffsetDateTime,
) -> OutgoingSms {
    let texts = &*core.texts;
    let until = valid_until
        .format(format_description!("[hour]:[minute] UTC"))
        .unwrap_or_default();
    let locale = if account.language.starts_with("zh") {
        Lang::ZhHant
    } else {
        Lang::En
    };
    OutgoingSms {
        to: to.to_owned(),
        text: fill(
            texts.text(locale, Text::sms_code),
            &[("code", code), ("time", until.as_str())],
        ),
    }
}

fn format_time(at: time::OffsetDateTime) -> String {
    at.format(format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
    ))
    .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

fn contact(config: &Config, locale: Lang) -> String {
    let c = &config.contact;
    match locale {
        Lang::ZhHant => format!("{}（{}，{}）", c.name_zh, c.phone, c.email),
        Lang::En => format!("{} ({}, {})", c.name_en, c.phone, c.email),
    }
}

/// One message in English then Traditional Chinese, as plain text and HTML.
fn bilingual(
    to: &str,
    subject: impl Fn(Lang) -> &'static str,
    text: impl Fn(Lang) -> Vec<String>,
) -> OutgoingMail {
    let en = text(Lang::En);
    let zh = text(Lang::ZhHant);
    OutgoingMail {
        to: to.to_owned(),
        subject: format!("{} / {}", subject(Lang::En), subject(Lang::ZhHant)),
        text: format!("{}\n\n----------\n\n{}\n", en.join("\n\n"), zh.join("\n\n")),
        html: format!(
            "<!DOCTYPE html><html><body><div lang=\"en\">{}</div><hr><div lang=\"zh-Hant\">{}</div></body></html>",
            paragraphs(&en),
            paragraphs(&zh)
        ),
    }
}

/// Puts values into a message's `{name}` placeholders. Values are inserted
/// in one pass, so a value that itself contains `{…}` is never expanded.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}').map(|end| (&after[..end], end)) {
            Some((key, end)) => match values.iter().find(|(k, _)| *k == key) {
                Some((_, value)) => {
                    out.push_str(value);
                    rest = &after[end + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            },
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn paragraphs(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| format!("<p>{}</p>", escape(l)))
        .collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::fill;

    #[test]
    fn placeholders_are_filled_once_and_unknown_ones_kept() {
        assert_eq!(
            fill("Dear {name}, {other}", &[("name", "{name}")]),
            "Dear {name}, {other}"
        );
    }
}
