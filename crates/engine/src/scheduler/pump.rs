//! Moves a step's output into the job's log.

use crate::logs::{LogWriter, Stream};
use crate::mask::{LineMasker, Secrets};
use crate::runner::OutputKind;
use crate::store::now_ms;

/// Moves a step's output into the log: masks secrets, splits lines, writes
/// chunks when full and at least every [`crate::logs::FLUSH_INTERVAL`].
pub(super) async fn pump(
    output: Option<tokio::sync::mpsc::Receiver<crate::runner::Output>>,
    writer: &mut LogWriter,
    secrets: Secrets,
    step: u32,
) {
    let Some(mut rx) = output else {
        return;
    };
    let mut out = LineMasker::new(secrets.clone());
    let mut err = LineMasker::new(secrets);
    let mut tick = tokio::time::interval(crate::logs::FLUSH_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            piece = rx.recv() => {
                let Some(piece) = piece else { break };
                let ts = now_ms();
                let (masker, stream) = match piece.kind {
                    OutputKind::Stdout => (&mut out, Stream::Stdout),
                    OutputKind::Stderr => (&mut err, Stream::Stderr),
                };
                let mut full = false;
                masker.feed(&piece.data, |line| full |= writer.push(ts, stream, Some(step), line));
                if full {
                    writer.flush().await;
                }
            }
            _ = tick.tick() => writer.flush().await,
        }
    }
    let ts = now_ms();
    out.finish(|line| {
        writer.push(ts, Stream::Stdout, Some(step), line);
    });
    err.finish(|line| {
        writer.push(ts, Stream::Stderr, Some(step), line);
    });
    writer.flush().await;
}
