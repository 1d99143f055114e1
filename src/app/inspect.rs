//! `keyguard rules` and `keyguard config check`: what is in force, rendered by `report`.

use anyhow::Result;

use super::{ignore_broken_pipe, matcher_for, settings_anywhere, Outcome};
use crate::cli::Common;
use crate::config;
use crate::report;

pub(super) fn list_rules(common: &Common) -> Result<Outcome> {
    let settings = settings_anywhere(common)?;
    let stdout = std::io::stdout();
    report::rules::write(&settings.rules, common.format, &mut stdout.lock())
        .or_else(ignore_broken_pipe)?;
    Ok(Outcome::Clean)
}

pub(super) fn config_check(common: &Common) -> Result<Outcome> {
    let settings = settings_anywhere(common)?;
    print!("{}", report::settings::describe(&settings));
    // Custom rules' own examples must behave, or the rule is not doing what its author thinks.
    let failures = config::check_custom_rules(&settings, &matcher_for(&settings)?)?;
    if !failures.is_empty() {
        let lines: Vec<String> = failures.iter().map(ToString::to_string).collect();
        anyhow::bail!("custom rule examples failed:\n  {}", lines.join("\n  "));
    }
    Ok(Outcome::Clean)
}
