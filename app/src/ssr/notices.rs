//! The messages Gatehouse sends, in English and Traditional Chinese (English
//! first; where the two differ, the English prevails).
use time::macros::format_description;

use crate::i18n::*;
use crate::ssr::config::Config;
use crate::ssr::mail::OutgoingMail;
use crate::ssr::request::ClientInfo;
use crate::ssr::store::Account;

pub fn password_changed(
    config: &Config,
    account: &Account,
    at: time::OffsetDateTime,
    client: &ClientInfo,
) -> OutgoingMail {
    let when = at
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
        ))
        .unwrap_or_else(|_| at.unix_timestamp().to_string());
    let link = format!(
        "{}/forgot-password",
        config.public_url.trim_end_matches('/')
    );
    let contact_en = format!(
        "{} ({}, {})",
        config.contact.name_en, config.contact.phone, config.contact.email
    );
    let contact_zh = format!(
        "{}（{}，{}）",
        config.contact.name_zh, config.contact.phone, config.contact.email
    );
    let name = account.display_name.as_str();
    let login = account.login.as_str();
    let addr = client.addr.as_str();
    let browser = client.user_agent.as_str();

    let values = [
        ("name", name),
        ("login", login),
        ("time", when.as_str()),
        ("address", addr),
        ("browser", browser),
        ("link", link.as_str()),
    ];
    let en = [
        fill(td_string!(Locale::en, mail_changed_greeting), &values),
        fill(td_string!(Locale::en, mail_changed_body), &values),
        td_string!(Locale::en, mail_changed_single).to_string(),
        fill(
            td_string!(Locale::en, mail_changed_not_you),
            &[("link", &link), ("contact", &contact_en)],
        ),
        td_string!(Locale::en, mail_signature).to_string(),
    ];
    let zh = [
        fill(td_string!(Locale::zh_Hant, mail_changed_greeting), &values),
        fill(td_string!(Locale::zh_Hant, mail_changed_body), &values),
        td_string!(Locale::zh_Hant, mail_changed_single).to_string(),
        fill(
            td_string!(Locale::zh_Hant, mail_changed_not_you),
            &[("link", &link), ("contact", &contact_zh)],
        ),
        td_string!(Locale::zh_Hant, mail_signature).to_string(),
    ];
    OutgoingMail {
        to: account.email.clone(),
        subject: format!(
            "{} / {}",
            td_string!(Locale::en, mail_changed_subject),
            td_string!(Locale::zh_Hant, mail_changed_subject)
        ),
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
            Some((key, end)) if values.iter().any(|(k, _)| *k == key) => {
                let value = values
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| *v)
                    .unwrap_or_default();
                out.push_str(value);
                rest = &after[end + 1..];
            }
            _ => {
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
