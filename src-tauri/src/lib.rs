//! Switchyard's desktop shell: the Tauri 2 app over the engine.
//!
//! The shell holds no business logic. [`commands`] maps IPC calls to the
//! engine, [`bridge`] forwards the engine's events to the window, [`tray`]
//! and [`notify`] keep the desktop informed, and [`deeplink`] parses the
//! `switchyard://` links that [`run`] receives at start and from second
//! launches (single instance: a second launch forwards its link here).

pub mod bridge;
pub mod commands;
pub mod deeplink;
pub mod demo;
pub mod dto;
pub mod error;
pub mod ipc;
pub mod notify;
pub mod opener;
pub mod scheme;
pub mod settings;
pub mod state;
pub mod tray;

use switchyard_engine::Home;
use tauri::{AppHandle, Emitter, Manager, RunEvent, WindowEvent};
use tauri_plugin_deep_link::DeepLinkExt;

use crate::state::AppState;

fn init_tracing(home: &Home) {
    use tracing_subscriber::prelude::*;
    let filter = tracing_subscriber::EnvFilter::try_from_env("SWITCHYARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = std::fs::create_dir_all(home.root());
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(home.root().join("switchyard-desktop.log"))
        .ok();
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr));
    match file {
        Some(f) => {
            let _ = registry
                .with(
                    tracing_subscriber::fmt::layer()
                        .with_ansi(false)
                        .with_writer(std::sync::Mutex::new(f)),
                )
                .try_init();
        }
        None => {
            let _ = registry.try_init();
        }
    }
}

/// What `switchyard-desktop ARG` prints instead of starting, for the
/// arguments a packaged binary is expected to answer.
fn early_answer(arg: &str) -> Option<String> {
    match arg {
        "--version" | "-V" => Some(format!("switchyard-desktop {}", env!("CARGO_PKG_VERSION"))),
        "--help" | "-h" => Some(format!(
            "switchyard-desktop {}: Switchyard's desktop app.\n\n\
             Usage: switchyard-desktop [switchyard://LINK]\n\n\
             A link opens that page (a second launch hands it to the running app).\n\
             The command-line interface is `switchyard`; see `switchyard --help`.",
            env!("CARGO_PKG_VERSION")
        )),
        _ => None,
    }
}

/// Registers this binary for `switchyard://` links, or leaves them to an
/// installed package (see [`scheme`]).
#[cfg(target_os = "linux")]
fn claim_scheme(app: &AppHandle) {
    use scheme::SchemeAction;
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let system = scheme::find_system_handler(&scheme::system_data_dirs(
        std::env::var_os("XDG_DATA_DIRS").as_deref(),
    ));
    let force = std::env::var_os("SWITCHYARD_REGISTER_SCHEME").is_some_and(|v| v == "1");
    match scheme::decide(&exe, system, std::env::var_os("PATH").as_deref(), force) {
        SchemeAction::Register => {
            if let Err(e) = app.deep_link().register_all() {
                tracing::warn!(error = %e, "cannot register the switchyard:// scheme");
            }
        }
        SchemeAction::UseInstalled { entry } => {
            // A handler a development build registered for the user would
            // shadow the package's entry: drop it.
            if let Err(e) = app.deep_link().unregister("switchyard") {
                tracing::warn!(error = %e, "cannot drop the per-user switchyard:// handler");
            }
            tracing::info!(entry = %entry.display(), "switchyard:// links go to the installed app");
        }
        SchemeAction::LeaveToInstalled { entry, program } => tracing::info!(
            entry = %entry.display(),
            program,
            exe = %exe.display(),
            "an installed Switchyard handles switchyard:// links; this build leaves them to it \
             (set SWITCHYARD_REGISTER_SCHEME=1 to send them here)"
        ),
    }
}

fn handle_links(app: &AppHandle, urls: Vec<String>) {
    for url in urls {
        let link = deeplink::parse(&url);
        tracing::info!(?link, "deep link");
        tray::show_window(app);
        let _ = app.emit("switchyard://deep-link", link);
    }
}

/// Starts the app. Exits the process with a message when the data dir or
/// history cannot be opened.
pub fn run() {
    let _ = state::STARTED.set(std::time::Instant::now());
    // Answered before anything starts (no window, no engine), like the CLI's.
    if let Some(arg) = std::env::args().nth(1)
        && let Some(text) = early_answer(&arg)
    {
        println!("{text}");
        return;
    }
    let home = match Home::from_env() {
        Ok(h) => h,
        Err(e) => {
            eprintln!("switchyard-desktop: {e}");
            std::process::exit(1);
        }
    };
    init_tracing(&home);

    let app = tauri::Builder::default()
        // Single instance first: a second launch forwards its link and exits.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            tracing::info!(?argv, "second launch");
            tray::show_window(app);
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(commands::handler())
        .setup(move |app| {
            tracing::debug!(
                ms = state::STARTED.get().map(|s| s.elapsed().as_millis()).unwrap_or(0),
                "opening the engine"
            );
            // An invalid config.toml does not keep the app from starting: it
            // runs on the defaults and Settings shows the problem.
            let mut config = switchyard_cloud::engine_config(home.clone());
            let config_path = home
                .config_file()
                .map_err(|e| format!("cannot start Switchyard: {e}"))?;
            config.config = Some(std::sync::Arc::new(
                switchyard_engine::config::ConfigFile::open_lenient(config_path),
            ));
            // Canary analyses read Prometheus through the monitoring crate.
            config.metrics = Some(std::sync::Arc::new(
                switchyard_monitoring::analysis::PrometheusMetrics,
            ));
            let engine = tauri::async_runtime::block_on(switchyard_cloud::open_with(config))
                .map_err(|e| format!("cannot start Switchyard: {e}"))?;
            tracing::info!(
                ms = state::STARTED.get().map(|s| s.elapsed().as_millis()).unwrap_or(0),
                "engine open"
            );
            app.manage(AppState::new(engine));

            #[cfg(target_os = "linux")]
            if std::env::var_os("SWITCHYARD_NO_SCHEME_REGISTRATION").is_none() {
                claim_scheme(app.handle());
            }
            #[cfg(windows)]
            if std::env::var_os("SWITCHYARD_NO_SCHEME_REGISTRATION").is_none()
                && let Err(e) = app.deep_link().register_all()
            {
                tracing::warn!(error = %e, "cannot register the switchyard:// scheme");
            }
            // Started by a link: keep it for the UI to ask for once it is up.
            if let Ok(Some(urls)) = app.deep_link().get_current()
                && let Some(url) = urls.first()
            {
                app.state::<AppState>()
                    .set_pending_link(deeplink::parse(url.as_str()));
            }
            let handle = app.handle().clone();
            app.deep_link().on_open_url(move |event| {
                handle_links(&handle, event.urls().into_iter().map(|u| u.to_string()).collect());
            });

            match tray::build(app.handle()) {
                Ok(t) => {
                    app.manage(t);
                    tray::refresh(app.handle());
                }
                Err(e) => tracing::warn!(error = %e, "no tray icon"),
            }
            bridge::start(app.handle().clone());
            // Alert rules are evaluated while the app runs (the CLI's
            // `switchyard alerts` evaluates once); what changes comes back
            // as Event::Alerts through the bridge.
            let engine = app.state::<AppState>().engine.clone();
            tauri::async_runtime::spawn(async move {
                loop {
                    let every = engine.config().alerts.evaluate_every_secs.get();
                    if !engine.config().alerts.rules.is_empty() {
                        let now = jiff::Timestamp::now().as_millisecond();
                        if let Err(e) = switchyard_monitoring::alerts::evaluate(&engine, now).await {
                            tracing::warn!(error = %e, "cannot evaluate the alert rules");
                        }
                    }
                    tokio::time::sleep(std::time::Duration::from_secs(u64::from(every))).await;
                }
            });
            // Runs whose Kubernetes jobs went on while Switchyard was closed
            // are picked up again; what ended runs left in clusters goes.
            let engine = app.state::<AppState>().engine.clone();
            tauri::async_runtime::spawn(async move {
                match engine.resume_runs().await {
                    Ok(handles) if !handles.is_empty() => {
                        tracing::info!(runs = handles.len(), "resumed runs")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot resume runs"),
                }
            });
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                let state = window.state::<AppState>();
                if state.settings().close_to_tray && window.app_handle().try_state::<tray::Tray>().is_some() {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("switchyard-desktop: {e}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let RunEvent::Exit = event
            && let Some(state) = handle.try_state::<AppState>()
        {
            let engine = state.engine.clone();
            let _ = tauri::async_runtime::block_on(engine.flush());
        }
    });
}
