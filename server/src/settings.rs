//! Loading settings: built-in defaults, then the TOML file, then
//! `GATEHOUSE_…` environment variables (`__` separates sections, e.g.
//! `GATEHOUSE_POLICY__PRESET=standards`).
use std::path::Path;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use gatehouse_core::config::Config;
use gatehouse_policy::Policy;

pub fn load(file: Option<&Path>) -> Result<(Config, Policy), String> {
    let mut figment = Figment::from(Serialized::defaults(Config::default()));
    if let Some(path) = file {
        if !path.is_file() {
            return Err(format!(
                "the configuration file {} does not exist; fix the --config path (or GATEHOUSE_CONFIG)",
                path.display()
            ));
        }
        figment = figment.merge(Toml::file(path));
    }
    figment = figment.merge(Env::prefixed("GATEHOUSE_").ignore(&["config"]).split("__"));
    let config: Config = figment
        .extract()
        .map_err(|e| format!("invalid setting: {e}"))?;
    let policy = config.validate()?;
    Ok((config, policy))
}
