//! The CAPTCHA of the forms that anyone may send (forgot password, forgot
//! login name): the image, another one, the audio alternative, and the
//! answer, tied to its hint and its error.
use leptos::prelude::*;

use crate::api;
use crate::components::{field_aria, FieldProblem};
use crate::i18n::*;
use crate::recovery::recovery_captcha;
use gatehouse_types::error::Problem;

/// Shows another challenge whenever `refused` becomes true again: any
/// answer uses the challenge up. Not for the answer the page was served
/// with (a form posted without JavaScript): that page already drew a new
/// one, which the user may be answering while the WebAssembly loads.
pub fn renew_after_refusal(
    captcha: RwSignal<String>,
    refused: impl Fn() -> bool + Send + Sync + 'static,
) {
    Effect::watch(
        refused,
        move |refused, _, _| {
            if *refused {
                another_captcha(captcha);
            }
        },
        false,
    );
}

/// Shows another challenge in place of `captcha`.
fn another_captcha(captcha: RwSignal<String>) {
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
    let (invalid, described) = field_aria(Some("captcha-hint"), "captcha-error", move || {
        problem.with(Option::is_some)
    });
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
                aria-invalid=invalid
                aria-describedby=described
            />
            <p class="hint" id="captcha-hint">{t!(i18n, fp_captcha_hint)}</p>
            {move || problem.get().map(|problem| view! { <FieldProblem problem id="captcha-error"/> })}
        </div>
    }
}
