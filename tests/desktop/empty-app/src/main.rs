//! An empty Tauri app whose page reports when it has loaded, like Switchyard's
//! `ui_ready`, so both are timed the same way.

#[tauri::command]
fn ready() {
    if let Some(path) = std::env::var_os("SWITCHYARD_READY_FILE") {
        let _ = std::fs::write(path, "ready");
    }
}

fn main() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ready])
        .run(tauri::generate_context!())
        .expect("error while running the empty app");
}
