//! The policy checklist: the policy crate's outcomes rendered as localised
//! lines, plus the strength meter and the re-entry match hint.
use gatehouse_policy::{CharClass, Report, Rule, Status};
use leptos::prelude::*;

use crate::i18n::*;

#[component]
pub fn Checklist(report: Signal<Report>, touched: Signal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let strength = move || report.with(|r| r.strength);
    let summary = settled_summary(report, touched);
    view! {
        <p class="sr-only" role="status" id="new_password-summary">
            {move || summary.get().map(|(met, total)| t!(i18n, rules_summary, met, total))}
        </p>
        <div class="checklist" id="new_password-rules">
            <p class="checklist-title">{t!(i18n, cp_rules_title)}</p>
            <ul>
                {move || {
                    let touched = touched.get();
                    report
                        .get()
                        .outcomes
                        .into_iter()
                        .map(|o| {
                            let state = match (touched, o.status) {
                                (_, Status::Pending) => "pending",
                                (false, _) => "untouched",
                                (true, Status::Met) => "met",
                                (true, Status::Unmet) => "unmet",
                            };
                            let class = if o.rule.is_advice() { format!("rule advice {state}") } else { format!("rule {state}") };
                            view! {
                                <li class=class data-rule=rule_id(&o.rule) data-state=state>
                                    <RuleText rule=o.rule.clone()/>
                                    <span class="sr-only">" — " <StatusText state=state/></span>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            // Shown once the estimate of what was typed is known.
            <div class="strength" hidden=move || !touched.get() || strength().is_none()>
                <label for="strength-meter">{t!(i18n, strength_label)}</label>
                <meter id="strength-meter" min="0" max="4" low="2" high="3" optimum="4" value=move || strength().unwrap_or(0)></meter>
                <span class="strength-text" data-strength=strength>
                    {move || match strength() {
                        None => "",
                        Some(0) => t_string!(i18n, strength_0),
                        Some(1) => t_string!(i18n, strength_1),
                        Some(2) => t_string!(i18n, strength_2),
                        Some(3) => t_string!(i18n, strength_3),
                        Some(_) => t_string!(i18n, strength_4),
                    }}
                </span>
            </div>
        </div>
    }
}

/// How many of the rules that can be checked now are met, out of how many:
/// told to a screen reader once typing pauses, not at every keystroke (the
/// list itself is not a live region).
fn settled_summary(
    report: Signal<Report>,
    touched: Signal<bool>,
) -> ReadSignal<Option<(usize, usize)>> {
    let (summary, set_summary) = signal(None);
    #[cfg(any(feature = "hydrate", feature = "csr"))]
    {
        let pending = StoredValue::new_local(None::<gloo_timers::callback::Timeout>);
        Effect::new(move |_| {
            let counts = report.with(|r| {
                let checked = r
                    .outcomes
                    .iter()
                    .filter(|o| !o.rule.is_advice() && o.status != Status::Pending);
                let (met, total) = checked.fold((0, 0), |(m, t), o| {
                    (m + usize::from(o.status == Status::Met), t + 1)
                });
                (met, total)
            });
            if !touched.get() {
                return;
            }
            // Replacing the timer drops, and so cancels, the one before.
            let timer =
                gloo_timers::callback::Timeout::new(1500, move || set_summary.set(Some(counts)));
            pending.set_value(Some(timer));
        });
    }
    #[cfg(not(any(feature = "hydrate", feature = "csr")))]
    let _ = (report, touched, set_summary);
    summary
}

/// A stable name for each rule, for styling and tests.
pub fn rule_id(rule: &Rule) -> String {
    match rule {
        Rule::MinLength { .. } => "min_length".into(),
        Rule::MaxLength { .. } => "max_length".into(),
        Rule::RequiredClass { class } => format!("class_{}", class_id(*class)),
        Rule::NoForbiddenChars { .. } => "no_forbidden_chars".into(),
        Rule::NotLoginOrName => "not_login_or_name".into(),
        Rule::NotCommon => "not_common".into(),
        Rule::MinStrength { .. } => "min_strength".into(),
        Rule::DiffersFromCurrent => "differs_from_current".into(),
        Rule::NotRecent { .. } => "not_recent".into(),
        Rule::Recommended { .. } => "recommended".into(),
    }
}

fn class_id(class: CharClass) -> &'static str {
    match class {
        CharClass::Upper => "upper",
        CharClass::Lower => "lower",
        CharClass::Letter => "letter",
        CharClass::Digit => "digit",
        CharClass::Symbol => "symbol",
    }
}

#[component]
pub fn RuleText(rule: Rule) -> impl IntoView {
    let i18n = use_i18n();
    match rule {
        Rule::MinLength { min } => t!(i18n, rule_min_length, min).into_any(),
        Rule::MaxLength { max } => t!(i18n, rule_max_length, max).into_any(),
        Rule::RequiredClass { class } => match class {
            CharClass::Upper => t!(i18n, rule_class_upper).into_any(),
            CharClass::Lower => t!(i18n, rule_class_lower).into_any(),
            CharClass::Letter => t!(i18n, rule_class_letter).into_any(),
            CharClass::Digit => t!(i18n, rule_class_digit).into_any(),
            CharClass::Symbol => t!(i18n, rule_class_symbol).into_any(),
        },
        Rule::NoForbiddenChars { chars, whitespace } => {
            let chars: String = chars
                .chars()
                .map(String::from)
                .collect::<Vec<_>>()
                .join(" ");
            match (chars.is_empty(), whitespace) {
                (false, true) => t!(i18n, rule_no_forbidden_ws, chars).into_any(),
                (false, false) => t!(i18n, rule_no_forbidden, chars).into_any(),
                (true, _) => t!(i18n, rule_no_ws).into_any(),
            }
        }
        Rule::NotLoginOrName => t!(i18n, rule_not_login_or_name).into_any(),
        Rule::NotCommon => t!(i18n, rule_not_common).into_any(),
        Rule::MinStrength { min } => {
            let level = move || match min {
                0 => t_string!(i18n, strength_0),
                1 => t_string!(i18n, strength_1),
                2 => t_string!(i18n, strength_2),
                3 => t_string!(i18n, strength_3),
                _ => t_string!(i18n, strength_4),
            };
            t!(i18n, rule_min_strength, level).into_any()
        }
        Rule::DiffersFromCurrent => t!(i18n, rule_differs_from_current).into_any(),
        Rule::NotRecent { depth } => t!(i18n, rule_not_recent, depth).into_any(),
        Rule::Recommended { min_length, .. } => {
            t!(i18n, rule_recommended, min = min_length).into_any()
        }
    }
}

#[component]
fn StatusText(state: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    match state {
        "met" => t!(i18n, rule_status_met).into_any(),
        "pending" => t!(i18n, rule_status_pending).into_any(),
        _ => t!(i18n, rule_status_unmet).into_any(),
    }
}

/// Whether the re-entered password matches, shown once something is typed.
#[component]
pub fn MatchHint(new: RwSignal<String>, confirm: RwSignal<String>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        let (new, confirm) = (new.get(), confirm.get());
        if confirm.is_empty() {
            None
        } else if new == confirm {
            Some(view! { <p class="hint ok" data-match="yes">{t!(i18n, cp_match)}</p> }.into_any())
        } else {
            Some(
                view! { <p class="hint bad" data-match="no">{t!(i18n, cp_mismatch)}</p> }
                    .into_any(),
            )
        }
    }
}
