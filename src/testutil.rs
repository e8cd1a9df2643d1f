//! Helpers shared by the unit tests (`#[cfg(test)]` only).

use crate::model::Family;
use crate::syntax::{parse_restore, save_string, RestoreOptions, SaveOptions};

/// Restores `*TABLE` / `-A CHAIN RULE` / `COMMIT` and returns what
/// iptables-save prints after `-A CHAIN `, or the error text: the round
/// trip every extension's tests use.
pub(crate) fn round_trip(
    family: Family,
    table: &str,
    chain: &str,
    rule: &str,
) -> Result<String, String> {
    let input = format!("*{table}\n-A {chain} {rule}\nCOMMIT\n");
    let rs = parse_restore(&input, &RestoreOptions::new(family)).map_err(|e| e.to_string())?;
    let text = save_string(&rs, SaveOptions::default()).map_err(|e| e.to_string())?;
    let prefix = format!("-A {chain} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix).map(str::to_string))
        .ok_or_else(|| "no rule".to_string())
}
