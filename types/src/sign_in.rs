//! The second step of a sign-in, as the page shows it.
use serde::{Deserialize, Serialize};

use crate::recovery::ChannelOption;
use crate::security::{Method, Question};

/// What the second step of a sign-in shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecondStepView {
    /// The method asked now: the default one at first.
    pub method: Method,
    /// Every method the account can use, the default first, with masked
    /// addresses ("Use another method").
    pub options: Vec<ChannelOption>,
    /// The account's security questions, in the order to answer them.
    pub questions: Vec<Question>,
    /// A code for `method` is out.
    pub code_sent: bool,
    pub seconds_left: i64,
}
