//! SIGINT and SIGTERM: the binary finishes the task that is running, runs nothing
//! more and reports what ran.
//!
//! [`install`] sets a handler for both signals with `sigaction(2)` (declared by hand, as
//! in `facts/sys.rs`). The handler only records the first signal in an atomic, so the
//! running task (a `command` child included) is not disturbed; `SA_RESTART` keeps
//! interrupted system calls going, so std's I/O never sees `EINTR`. `SA_RESETHAND`
//! puts the default action back once a signal has been caught: a second SIGINT (or
//! SIGTERM) while the binary is stopping ends it at once, as the default action does.
//! A signal that was ignored when the binary started (`nohup`, background jobs of a
//! non-interactive shell) stays ignored.
//!
//! Where no `struct sigaction` layout is declared here, nothing is installed and the
//! signals keep their default action.

use std::sync::atomic::{AtomicI32, Ordering};

/// `SIGINT`: the same number on every Unix.
pub const SIGINT: i32 = 2;
/// `SIGTERM`: the same number on every Unix.
pub const SIGTERM: i32 = 15;

/// The signal that asked the run to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    Int,
    Term,
}

impl Interrupt {
    /// The interrupt for a signal number, if it is one this module handles.
    pub fn from_signal(signal: i32) -> Option<Interrupt> {
        match signal {
            SIGINT => Some(Interrupt::Int),
            SIGTERM => Some(Interrupt::Term),
            _ => None,
        }
    }

    /// `SIGINT` or `SIGTERM`, as the JSON report names it.
    pub fn name(self) -> &'static str {
        match self {
            Interrupt::Int => "SIGINT",
            Interrupt::Term => "SIGTERM",
        }
    }

    /// The shell's code for a process ended by the signal: 128 + its number.
    pub fn exit_code(self) -> i32 {
        match self {
            Interrupt::Int => 128 + SIGINT,
            Interrupt::Term => 128 + SIGTERM,
        }
    }
}

/// The first signal caught, 0 while none was.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// The first SIGINT or SIGTERM caught since [`install`], if any.
pub fn received() -> Option<Interrupt> {
    Interrupt::from_signal(RECEIVED.load(Ordering::SeqCst))
}

extern "C" fn on_signal(signal: std::ffi::c_int) {
    // Only an atomic store: nothing else is async-signal-safe enough to do here.
    let _ = RECEIVED.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
}

/// Installs the handler for SIGINT and SIGTERM (see the module docs). Returns false
/// where this platform has no declared `sigaction` layout or the calls failed.
pub fn install() -> bool {
    let int = sys::catch(SIGINT, on_signal);
    let term = sys::catch(SIGTERM, on_signal);
    int && term
}

/// `catch(signal, handler)` for a `sys` module that declares `SigAction`, `action`,
/// `sigaction` and the `SIG_IGN` / `SA_*` constants of its libc.
macro_rules! catch_with_sigaction {
    () => {
        pub(super) fn catch(signal: i32, handler: extern "C" fn(c_int)) -> bool {
            let new = action(handler as usize, SA_RESTART | SA_RESETHAND);
            let mut old = action(0, 0);
            // SAFETY: both pointers refer to live structs laid out as this libc's.
            if unsafe { sigaction(signal, &new, &mut old) } != 0 {
                return false;
            }
            if old.sa_handler == SIG_IGN {
                // SAFETY: as above; the old action is put back as it was.
                return unsafe { sigaction(signal, &old, std::ptr::null_mut()) } == 0;
            }
            true
        }
    };
}

#[cfg(all(
    target_os = "linux",
    any(target_env = "gnu", target_env = "musl"),
    not(any(
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "mips32r6",
        target_arch = "mips64r6",
        target_arch = "sparc",
        target_arch = "sparc64"
    ))
))]
mod sys {
    use std::ffi::{c_int, c_ulong};

    /// `struct sigaction` of glibc and musl on the generic Linux ABI (x86, ARM, RISC-V,
    /// PowerPC, s390x): a 1024-bit `sigset_t`.
    #[repr(C)]
    struct SigAction {
        sa_handler: usize,
        sa_mask: [c_ulong; 128 / std::mem::size_of::<c_ulong>()],
        sa_flags: c_int,
        sa_restorer: usize,
    }

    const SIG_IGN: usize = 1;
    const SA_RESTART: c_int = 0x1000_0000;
    const SA_RESETHAND: c_int = 0x8000_0000_u32 as c_int;

    extern "C" {
        fn sigaction(signum: c_int, act: *const SigAction, oldact: *mut SigAction) -> c_int;
    }

    fn action(handler: usize, flags: c_int) -> SigAction {
        SigAction {
            sa_handler: handler,
            sa_mask: [0; 128 / std::mem::size_of::<c_ulong>()],
            sa_flags: flags,
            sa_restorer: 0,
        }
    }

    catch_with_sigaction!();
}

#[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
mod sys {
    use std::ffi::c_int;

    /// `struct sigaction` of Apple's libc: a 32-bit `sigset_t` after the handler.
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    #[repr(C)]
    struct SigAction {
        sa_handler: usize,
        sa_mask: u32,
        sa_flags: c_int,
    }

    /// `struct sigaction` of FreeBSD: the flags, then a 128-bit `sigset_t`.
    #[cfg(target_os = "freebsd")]
    #[repr(C)]
    struct SigAction {
        sa_handler: usize,
        sa_flags: c_int,
        sa_mask: [u32; 4],
    }

    const SIG_IGN: usize = 1;
    const SA_RESTART: c_int = 0x0002;
    const SA_RESETHAND: c_int = 0x0004;

    extern "C" {
        fn sigaction(signum: c_int, act: *const SigAction, oldact: *mut SigAction) -> c_int;
    }

    fn action(handler: usize, flags: c_int) -> SigAction {
        SigAction {
            sa_handler: handler,
            sa_mask: Default::default(),
            sa_flags: flags,
        }
    }

    catch_with_sigaction!();
}

#[cfg(not(any(
    all(
        target_os = "linux",
        any(target_env = "gnu", target_env = "musl"),
        not(any(
            target_arch = "mips",
            target_arch = "mips64",
            target_arch = "mips32r6",
            target_arch = "mips64r6",
            target_arch = "sparc",
            target_arch = "sparc64"
        ))
    ),
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd"
)))]
mod sys {
    pub(super) fn catch(_signal: i32, _handler: extern "C" fn(std::ffi::c_int)) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_exit_codes() {
        assert_eq!(Interrupt::from_signal(2), Some(Interrupt::Int));
        assert_eq!(Interrupt::from_signal(15), Some(Interrupt::Term));
        assert_eq!(Interrupt::from_signal(9), None);
        assert_eq!(Interrupt::from_signal(0), None);
        assert_eq!(Interrupt::Int.name(), "SIGINT");
        assert_eq!(Interrupt::Term.name(), "SIGTERM");
        assert_eq!(Interrupt::Int.exit_code(), 130);
        assert_eq!(Interrupt::Term.exit_code(), 143);
    }
}
