//! The stop signal of the long-running binaries (`sim`, `companion run`).

/// Resolves on Ctrl-C (SIGINT) or, on Unix, SIGTERM.
///
/// The SIGTERM hook is installed when this is called, not when the future is first polled:
/// call it before binding and announcing a port, so that a signal sent right after the
/// announcement is already a graceful stop and never the default (killing) action. Needs the
/// tokio runtime: call it inside `block_on`.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => Some(term),
        Err(e) => {
            tracing::warn!("SIGTERM handler not installed: {e}; stopping on Ctrl-C only");
            None
        }
    };
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// SIGTERM to this process resolves the future (the hook is in place before the signal).
    #[tokio::test(flavor = "current_thread")]
    async fn sigterm_resolves_it() {
        let stop = shutdown_signal();
        // std has no kill(2): the `kill` command signals our own pid. tokio's handler stays
        // installed for the life of the process, so the test binary is not killed.
        let status = std::process::Command::new("kill")
            .args(["-TERM", &std::process::id().to_string()])
            .status()
            .expect("running kill");
        assert!(status.success());
        tokio::time::timeout(std::time::Duration::from_secs(10), stop)
            .await
            .expect("the shutdown future resolves on SIGTERM");
    }
}
