//! `/help`: the questions the user guides answer, with the facts that
//! depend on the settings (the password rules enforced, the e-services
//! that share the password, the reset code's lifetime, when accounts end,
//! whom to contact) read from the server, so the page never says
//! something the portal does not do.
mod page;

use gatehouse_policy::Policy;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use page::HelpPage;

use crate::account::Role;
use gatehouse_types::error::AppError;

/// When the help text itself was last changed (shown on the page).
pub const LAST_UPDATED: &str = "2026-12-02";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HelpFacts {
    /// The active password policy, whose rules the page lists.
    pub policy: Policy,
    /// The e-services registered to sign in through the portal.
    pub services: Vec<String>,
    /// Minutes a verification code stays valid.
    pub code_minutes: u32,
    /// Roles that may still sign in for a while after their end date:
    /// the role, months and days.
    pub grace: Vec<(Role, u32, u32)>,
    /// Whether security questions can be a method.
    pub questions: bool,
    pub contact: Contact,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name_en: String,
    pub name_zh: String,
    pub phone: String,
    pub email: String,
    pub hours_en: String,
    pub hours_zh: String,
}

#[server(endpoint = "help_facts", client = crate::api::Client)]
pub async fn load_help_facts() -> Result<HelpFacts, AppError> {
    let state = crate::ssr::state()?;
    let config = &state.config;
    let c = &config.contact;
    Ok(HelpFacts {
        policy: (*state.policy).clone(),
        services: config.cas.services.iter().map(|s| s.name.clone()).collect(),
        code_minutes: config.recovery.code_lifetime_seconds.div_ceil(60),
        grace: config
            .lifecycle
            .grace
            .iter()
            .filter_map(|(role, g)| Some((role.parse().ok()?, g.months, g.days)))
            .filter(|(_, months, days)| months + days > 0)
            .collect(),
        questions: config.security_info.questions.enabled,
        contact: Contact {
            name_en: c.name_en.clone(),
            name_zh: c.name_zh.clone(),
            phone: c.phone.clone(),
            email: c.email.clone(),
            hours_en: c.hours_en.clone(),
            hours_zh: c.hours_zh.clone(),
        },
    })
}
