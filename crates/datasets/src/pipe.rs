//! Standard output behaviour for the command-line tools.

/// Restores the default action of `SIGPIPE`, so that a tool whose output
/// goes into a pipe that closes early (`tool | head`) ends quietly, as
/// Unix tools do, instead of panicking inside `println!`.
///
/// Call it first thing in `main`. It does nothing on other platforms.
pub fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: `signal` with `SIG_DFL` only resets the disposition of one
    // signal. It is called before the program starts any thread, and no
    // handler is replaced that other code relies on (Rust's runtime sets
    // `SIGPIPE` to ignore only so that writes return `BrokenPipe`).
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
