//! The security reminders shown with every password form.
use leptos::prelude::*;

use crate::i18n::*;

#[component]
pub fn SecurityReminders() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="reminders" aria-labelledby="reminders-title">
            <p id="reminders-title">{t!(i18n, rem_intro)}</p>
            <ol>
                <li>{t!(i18n, rem_1)}</li>
                <li>{t!(i18n, rem_2)}</li>
                <li>{t!(i18n, rem_3)}</li>
                <li>{t!(i18n, rem_4)}</li>
                <li>{t!(i18n, rem_5)}</li>
                <li>{t!(i18n, rem_6)}</li>
                <li>{t!(i18n, rem_7)}</li>
            </ol>
            <p>{t!(i18n, rem_note_intro)}</p>
            <ol>
                <li>{t!(i18n, rem_note_1)}</li>
                <li>{t!(i18n, rem_note_2)}</li>
            </ol>
        </section>
    }
}
