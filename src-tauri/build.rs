//! Generates the permissions of the app's own commands, so the window's
//! capability can allow exactly the commands the UI uses.

const COMMANDS: &[&str] = &[
    "overview",
    "list_projects",
    "inspect_folder",
    "import_project",
    "project_detail",
    "list_runs",
    "get_run",
    "start_run",
    "cancel_run",
    "read_log",
    "search_log",
    "save_log",
    "test_results",
    "get_settings",
    "update_settings",
    "pause_notifications",
    "first_run",
    "import_demo",
    "pending_deep_link",
    "ui_ready",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run the Tauri build script");
}
