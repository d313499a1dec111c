//! The help page: a list of the questions, then each answer in its own
//! section, so a link can point at one (`/help#forgot-password`).
use crate::components::DocumentTitle;
use gatehouse_policy::rules_of;
use leptos::prelude::*;

use super::{load_help_facts, Contact, HelpFacts, LAST_UPDATED};
use crate::account::page::{Loading, RoleName};
use crate::components::{ErrorMessage, RuleText, SecurityReminders};
use crate::i18n::*;

/// The questions, in the order the page answers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Topic {
    ChangePassword,
    ForgotPassword,
    SinglePassword,
    PasswordNotWorking,
    CannotSignIn,
    ForgotLoginName,
    LostTwoStep,
    Security,
    Contact,
}

impl Topic {
    const ALL: [Topic; 9] = [
        Topic::ChangePassword,
        Topic::ForgotPassword,
        Topic::SinglePassword,
        Topic::PasswordNotWorking,
        Topic::CannotSignIn,
        Topic::ForgotLoginName,
        Topic::LostTwoStep,
        Topic::Security,
        Topic::Contact,
    ];

    /// The section's id, so a link can point at it (`/help#contact`).
    fn id(self) -> &'static str {
        match self {
            Topic::ChangePassword => "change-password",
            Topic::ForgotPassword => "forgot-password",
            Topic::SinglePassword => "single-password",
            Topic::PasswordNotWorking => "password-not-working",
            Topic::CannotSignIn => "cannot-sign-in",
            Topic::ForgotLoginName => "forgot-login-name",
            Topic::LostTwoStep => "lost-two-step",
            Topic::Security => "security",
            Topic::Contact => "contact",
        }
    }
}

#[component]
pub fn HelpPage() -> impl IntoView {
    let i18n = use_i18n();
    let facts = Resource::new(|| (), |_| load_help_facts());
    view! {
        <section class="card help-page" id="help">
            <h1>{t!(i18n, hp_title)}</h1>
            <DocumentTitle text=move || t_string!(i18n, hp_title).to_string()/>
            <p class="hint" id="help-updated">
                {t!(i18n, hp_updated)} " " <time datetime=LAST_UPDATED>{LAST_UPDATED}</time>
            </p>
            <nav aria-labelledby="help-questions">
                <h2 id="help-questions">{t!(i18n, hp_questions)}</h2>
                <ul class="help-toc">
                    {Topic::ALL
                        .into_iter()
                        .map(|topic| view! { <li><a href=format!("#{}", topic.id())><Question topic/></a></li> })
                        .collect_view()}
                </ul>
            </nav>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match facts.await {
                        Ok(facts) => view! { <Answers facts/> }.into_any(),
                        Err(error) => view! { <ErrorMessage error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// A question's heading text.
#[component]
fn Question(topic: Topic) -> impl IntoView {
    let i18n = use_i18n();
    match topic {
        Topic::ChangePassword => t!(i18n, hp_change_q).into_any(),
        Topic::ForgotPassword => t!(i18n, hp_forgot_q).into_any(),
        Topic::SinglePassword => t!(i18n, hp_single_q).into_any(),
        Topic::PasswordNotWorking => t!(i18n, help_title).into_any(),
        Topic::CannotSignIn => t!(i18n, hp_cannot_q).into_any(),
        Topic::ForgotLoginName => t!(i18n, ln_link).into_any(),
        Topic::LostTwoStep => t!(i18n, hp_lost_q).into_any(),
        Topic::Security => t!(i18n, hp_security_q).into_any(),
        Topic::Contact => t!(i18n, hp_contact_q).into_any(),
    }
}

#[component]
fn Section(topic: Topic, children: Children) -> impl IntoView {
    let i18n = use_i18n();
    let id = topic.id();
    let heading = format!("{id}-title");
    view! {
        <section class="help-answer" id=id aria-labelledby=heading.clone()>
            <h2 id=heading.clone()><Question topic/></h2>
            {children()}
            <p class="back"><a href="#help">{t!(i18n, hp_top)}</a></p>
        </section>
    }
}

#[component]
fn Answers(facts: HelpFacts) -> impl IntoView {
    let i18n = use_i18n();
    let HelpFacts {
        policy,
        services,
        code_minutes,
        grace,
        questions,
        contact,
    } = facts;
    let rules = rules_of(&policy);
    let contact_name = {
        let contact = contact.clone();
        move || match i18n.get_locale() {
            Locale::zh_Hant => contact.name_zh.clone(),
            Locale::en => contact.name_en.clone(),
        }
    };
    view! {
        <Section topic=Topic::ChangePassword>
            <ol class="steps">
                <li>{t!(i18n, hp_change_1)} " " <a href="/login">{t!(i18n, login_title)}</a></li>
                <li>{t!(i18n, hp_change_2)}</li>
                <li>{t!(i18n, hp_change_3)}</li>
                <li>{t!(i18n, hp_change_4)}</li>
                <li>{t!(i18n, hp_change_5)}</li>
                <li>{t!(i18n, hp_change_6)}</li>
            </ol>
            <p id="help-rules-title">{t!(i18n, cp_rules_title)}</p>
            <ul class="help-rules" aria-labelledby="help-rules-title">
                {rules.into_iter().map(|rule| view! { <li><RuleText rule/></li> }).collect_view()}
            </ul>
            <p class="notice">{t!(i18n, help_single_password)}</p>
        </Section>
        <Section topic=Topic::ForgotPassword>
            <p>{t!(i18n, hp_forgot_intro)} " " <a href="/forgot-password">{t!(i18n, login_forgot)}</a></p>
            <ol class="steps">
                <li>{t!(i18n, hp_forgot_1)}</li>
                <li>{t!(i18n, hp_forgot_2)}</li>
                <li>{t!(i18n, hp_forgot_3, minutes = code_minutes)}</li>
                <li>{t!(i18n, hp_forgot_4)}</li>
            </ol>
            <p>{t!(i18n, hp_forgot_first_time)}</p>
            <p>{t!(i18n, hp_forgot_two_step)}</p>
        </Section>
        <Section topic=Topic::SinglePassword>
            <p>{t!(i18n, hp_single_1)}</p>
            {if services.is_empty() {
                view! { <p id="help-services">{t!(i18n, hp_single_none)}</p> }.into_any()
            } else {
                view! {
                    <p>{t!(i18n, hp_single_list)}</p>
                    <ul id="help-services">
                        {services.into_iter().map(|name| view! { <li>{name}</li> }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
            <p>{t!(i18n, hp_single_2)}</p>
        </Section>
        <Section topic=Topic::PasswordNotWorking>
            <ul>
                <li>{t!(i18n, help_case_sensitive)}</li>
                <li>{t!(i18n, hp_caps_lock)}</li>
                <li>{t!(i18n, help_single_password)}</li>
                <li>{t!(i18n, hp_not_active)}</li>
                <li>{t!(i18n, hp_locked)}</li>
            </ul>
        </Section>
        <Section topic=Topic::CannotSignIn>
            <ol class="steps">
                <li>{t!(i18n, hp_cannot_1)} " " <a href="/login">{t!(i18n, login_title)}</a></li>
                <li>{t!(i18n, hp_cannot_2)}</li>
                <li>{t!(i18n, hp_cannot_3)}</li>
            </ol>
            {(!grace.is_empty()).then(|| view! {
                <ul id="help-grace">
                    {grace.into_iter().map(|(role, months, days)| view! {
                        <li><RoleName role/> ": " {t!(i18n, hp_grace, months, days)}</li>
                    }).collect_view()}
                </ul>
            })}
        </Section>
        <Section topic=Topic::ForgotLoginName>
            <p>{t!(i18n, hp_login_name)} " " <a href="/forgot-login-name">{t!(i18n, ln_link)}</a></p>
        </Section>
        <Section topic=Topic::LostTwoStep>
            <p>{t!(i18n, hp_lost_1)}</p>
            {questions.then(|| view! { <p>{t!(i18n, hp_lost_questions)}</p> })}
            <p>{t!(i18n, hp_lost_2, contact = contact_name.clone())}</p>
        </Section>
        <Section topic=Topic::Security>
            <SecurityReminders/>
            <p class="notice" id="help-never-ask">{t!(i18n, hp_never_ask)}</p>
        </Section>
        <Section topic=Topic::Contact>
            <ContactDetails contact/>
        </Section>
    }
}

#[component]
fn ContactDetails(contact: Contact) -> impl IntoView {
    let i18n = use_i18n();
    let Contact {
        name_en,
        name_zh,
        phone,
        email,
        hours_en,
        hours_zh,
    } = contact;
    let zh = move || i18n.get_locale() == Locale::zh_Hant;
    let tel = format!("tel:{}", phone.replace([' ', '(', ')', '-'], ""));
    let mailto = format!("mailto:{email}");
    view! {
        <dl class="contact-details" id="help-contact">
            <dt>{t!(i18n, hp_contact_name)}</dt>
            <dd>{move || if zh() { name_zh.clone() } else { name_en.clone() }}</dd>
            <dt>{t!(i18n, hp_contact_phone)}</dt>
            <dd><a href=tel>{phone}</a></dd>
            <dt>{t!(i18n, hp_contact_email)}</dt>
            <dd><a href=mailto>{email}</a></dd>
            <dt>{t!(i18n, hp_contact_hours)}</dt>
            <dd>{move || if zh() { hours_zh.clone() } else { hours_en.clone() }}</dd>
        </dl>
    }
}
