//! Desktop notifications: shows what the engine says is due (a failed run,
//! a failing branch that is fixed; see
//! `switchyard_engine::Engine::notification_for`).
//!
//! Sent over the session bus (org.freedesktop.Notifications) with a default
//! action, so clicking the notification opens the run. Waiting for that
//! click blocks a thread until the notification is closed, so at most
//! [`MAX_WAITING`] notifications wait for a click at once; beyond that they
//! are still shown, but a click on them does nothing (the run is in the
//! tray's menu). Threads end when their notification goes away.

use std::sync::atomic::{AtomicUsize, Ordering};

use switchyard_engine::views::Notification;
use tauri::AppHandle;

/// Most notifications waiting for a click at once.
pub const MAX_WAITING: usize = 4;

static WAITING: AtomicUsize = AtomicUsize::new(0);

/// A place among the notifications waiting for a click; given back when
/// dropped.
struct Waiter(&'static AtomicUsize);

impl Waiter {
    /// A place, when fewer than `max` are taken.
    fn enter(count: &'static AtomicUsize, max: usize) -> Option<Waiter> {
        count
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < max).then_some(n + 1))
            .ok()
            .map(|_| Waiter(count))
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn build(n: &Notification) -> notify_rust::Notification {
    let mut b = notify_rust::Notification::new();
    b.appname("Switchyard")
        .summary(&n.summary)
        .body(&n.body)
        .icon("switchyard")
        .action("default", "Open");
    b
}

/// Shows a notification; clicking it opens the run.
pub fn show(app: &AppHandle, n: Notification) {
    let Some(waiter) = Waiter::enter(&WAITING, MAX_WAITING) else {
        // Showing is one D-Bus call; only waiting for the click is long.
        tauri::async_runtime::spawn_blocking(move || {
            if let Err(e) = build(&n).show() {
                tracing::warn!(error = %e, "cannot show a desktop notification");
            }
        });
        return;
    };
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name("switchyard-notify".into())
        .spawn(move || {
            let _waiter = waiter;
            let route = n.route.clone();
            match build(&n).show() {
                Ok(handle) => handle.wait_for_action(|action| {
                    if action == "default" {
                        crate::tray::navigate(&app, route.clone());
                    }
                }),
                Err(e) => tracing::warn!(error = %e, "cannot show a desktop notification"),
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start a notification thread");
    }
}

/// Notifications waiting for a click now (for tests).
pub fn waiting() -> usize {
    WAITING.load(Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: each notification kept a thread waiting for its click
    /// for as long as the notification stayed, without limit.
    #[test]
    fn at_most_a_few_notifications_wait_for_a_click() {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let held: Vec<Waiter> = (0..100)
            .filter_map(|_| Waiter::enter(&COUNT, MAX_WAITING))
            .collect();
        assert_eq!(held.len(), MAX_WAITING);
        drop(held);
        assert_eq!(COUNT.load(Ordering::SeqCst), 0);
        assert!(Waiter::enter(&COUNT, MAX_WAITING).is_some());
    }
}
