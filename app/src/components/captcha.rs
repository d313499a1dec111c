//! The CAPTCHA of the forms that anyone may send (forgot password, forgot
//! login name): the image, another one, the audio alternative, and the
//! answer, tied to its hint and its error.
use leptos::prelude::*;

use crate::api;
use crate::components::FieldProblem;
use crate::error::Problem;
use crate::i18n::*;
use crate::recovery::recovery_captcha;

/// Shows another challenge in place of `captcha`.
pub fn another_captcha(captcha: RwSignal<String>) {
    leptos::task::spawn_local(async move {
        if let Ok(id) = recovery_captcha().await {
            captcha.set(id);
        }
    });
}

#[component]
pub fn CaptchaField(
    /// The challenge's id.
    captcha: RwSignal<String>,
    /// The page itself: without JavaScript, "Display another" reloads it.
    page: &'static str,
    /// What was wrong with the last answer.
    #[prop(into)]
    problem: Signal<Option<Problem>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let image = move || api::url(&format!("/captcha/{}/image.png", captcha.get()));
    let audio = move || api::url(&format!("/captcha/{}/audio.wav", captcha.get()));
    let download = move || api::url(&format!("/captcha/{}/audio.wav?download=1", captcha.get()));
    let play = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        if let Ok(player) = web_sys::HtmlAudioElement::new_with_src(&audio()) {
            let _ = player.play();
        }
    };
    let another = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        another_captcha(captcha);
    };
    view! {
        <div class="field captcha">
            <img id="captcha-image" src=image width="220" height="120" alt=move || t_string!(i18n, fp_captcha_alt)/>
            <input type="hidden" name="captcha_id" value=move || captcha.get()/>
            <p class="captcha-links">
                <a id="captcha-another" href=page on:click=another>{t!(i18n, fp_captcha_another)}</a>
                <a id="captcha-play" href=audio on:click=play>{t!(i18n, fp_captcha_audio)}</a>
                <a id="captcha-download" href=download download="security-code.wav">{t!(i18n, fp_captcha_download)}</a>
            </p>
            <label for="captcha">{t!(i18n, fp_captcha)}</label>
            <input
                id="captcha"
                name="captcha"
                type="text"
                autocomplete="off"
                autocapitalize="characters"
                spellcheck="false"
                aria-invalid=move || problem.get().map(|_| "true")
                aria-describedby=move || described_by("captcha-hint", "captcha-error", problem.get().is_some())
            />
            <p class="hint" id="captcha-hint">{t!(i18n, fp_captcha_hint)}</p>
            {move || problem.get().map(|problem| view! { <FieldProblem problem id="captcha-error"/> })}
        </div>
    }
}

/// The ids a field's `aria-describedby` names: its hint, and its error
/// while it has one.
pub fn described_by(hint: &str, error: &str, has_error: bool) -> String {
    if has_error {
        format!("{hint} {error}")
    } else {
        hint.to_owned()
    }
}
