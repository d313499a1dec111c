//! The notices' words from the app's translations (`locales/`), so an
//! email says what the pages say, in the same two languages.
use gatehouse_core::notices::{Lang, NoticeTexts, Text};

use crate::i18n::*;

/// The translations, as the core services ask for them.
pub struct Translations;

macro_rules! lookup {
    ($locale:expr, $text:expr, [$($key:ident),* $(,)?]) => {
        match $text {
            $(Text::$key => td_string!($locale, $key),)*
        }
    };
}

impl NoticeTexts for Translations {
    fn text(&self, lang: Lang, text: Text) -> &'static str {
        let locale = match lang {
            Lang::En => Locale::en,
            Lang::ZhHant => Locale::zh_Hant,
        };
        lookup!(
            locale,
            text,
            [
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
            ]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_text_is_written_in_both_languages() {
        for &text in Text::ALL {
            for lang in [Lang::En, Lang::ZhHant] {
                assert!(
                    !Translations.text(lang, text).trim().is_empty(),
                    "{text:?} {lang:?}"
                );
            }
        }
    }
}
