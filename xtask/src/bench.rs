//! `cargo xtask bench`: the comparison suite.

pub fn run(_args: &[String]) -> Result<(), String> {
    Err("bench: not yet written".into())
}
