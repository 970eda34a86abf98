//! Generates the permissions of the app's own commands (one per command
//! declared in `src/commands.rs`, read from there so the list is written
//! once), so the window's capability can allow exactly the commands the UI
//! uses. A unit test checks that `capabilities/main.json` allows each of
//! them and nothing else of the app's.

/// The names of the commands declared in `commands! { ... }`: each
/// `fn name(` inside it (the arguments may follow on the next lines).
fn declared_commands(source: &str) -> Vec<String> {
    let Some(start) = source.find("commands! {") else {
        return Vec::new();
    };
    source[start..]
        .lines()
        .filter_map(|l| l.trim().strip_prefix("fn "))
        .filter_map(|rest| rest.split_once('(').map(|(name, _)| name.trim().to_string()))
        .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .collect()
}

fn main() {
    println!("cargo:rerun-if-changed=src/commands.rs");
    let source = std::fs::read_to_string("src/commands.rs").expect("src/commands.rs is readable");
    let commands = declared_commands(&source);
    assert!(!commands.is_empty(), "no commands found in src/commands.rs");
    // The manifest keeps `&'static` names; a build script ends right after.
    let names: &'static [&'static str] = Box::leak(
        commands
            .into_iter()
            .map(|c| &*Box::leak(c.into_boxed_str()))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(names)),
    )
    .expect("failed to run the Tauri build script");
}
