//! A password field with a show/hide toggle and a Caps Lock warning. Paste
//! is allowed: nothing here blocks it.
use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;

use crate::i18n::*;

#[component]
pub fn PasswordInput(
    /// `id` and `name` of the input (the server function's argument name).
    name: &'static str,
    label: impl IntoView + 'static,
    autocomplete: &'static str,
    /// Mirrors what is typed, for live checks.
    #[prop(optional)]
    value: Option<RwSignal<String>>,
    /// Id of the element that always describes the field (the checklist).
    #[prop(optional)]
    described_by: Option<&'static str>,
    /// Whether the last answer found the field wrong: then it is
    /// `aria-invalid` and described by its error, `{name}-error`.
    #[prop(optional, into)]
    invalid: Option<Signal<bool>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let shown = RwSignal::new(false);
    let caps_lock = RwSignal::new(false);
    let on_key = move |ev: KeyboardEvent| caps_lock.set(ev.get_modifier_state("CapsLock"));
    let caps_id = format!("{name}-caps");
    let invalid = move || invalid.is_some_and(|i| i.get());
    let descriptions = move || {
        let error = invalid().then(|| format!("{name}-error"));
        let ids: Vec<String> = described_by
            .map(str::to_owned)
            .into_iter()
            .chain(error)
            .collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    let input_ref = NodeRef::<html::Input>::new();
    // What was typed (or autofilled) before the WebAssembly arrived is only
    // in the field: no `input` handler saw it. `on_load` runs in the
    // browser once hydration is over, so the signal, and the checklist and
    // match hint that follow it, catch up.
    if let Some(signal) = value {
        input_ref.on_load(move |input| {
            let typed = input.value();
            if signal.with_untracked(|v| *v != typed) {
                signal.set(typed);
            }
        });
    }
    // The signal reaches the field (a reset clears it), except for an empty
    // first value: that one is written while hydrating, over whatever the
    // user typed. `None` leaves the field as it is; later values are
    // always written.
    let mut first = true;
    let field_value = move || {
        let text = value.map(|v| v.get()).unwrap_or_default();
        if std::mem::take(&mut first) && text.is_empty() {
            None
        } else {
            Some(text)
        }
    };
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <div class="password-row">
                <input
                    node_ref=input_ref
                    id=name
                    name=name
                    type=move || if shown.get() { "text" } else { "password" }
                    autocomplete=autocomplete
                    autocapitalize="off"
                    spellcheck="false"
                    aria-describedby=descriptions
                    aria-invalid=move || invalid().then_some("true")
                    on:keydown=on_key
                    on:keyup=on_key
                    on:input=move |ev| {
                        if let Some(v) = value {
                            v.set(event_target_value(&ev));
                        }
                    }
                    prop:value=field_value
                />
                <button
                    type="button"
                    class="toggle"
                    aria-controls=name
                    aria-pressed=move || shown.get().to_string()
                    aria-label=move || t_string!(i18n, show_password_label)
                    on:click=move |_| shown.update(|s| *s = !*s)
                >
                    {move || if shown.get() { t_string!(i18n, hide_password) } else { t_string!(i18n, show_password) }}
                </button>
            </div>
            <p id=caps_id class="caps-lock" role="status" hidden=move || !caps_lock.get()>
                {t!(i18n, caps_lock_on)}
            </p>
        </div>
    }
}
