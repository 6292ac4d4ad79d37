//! containerd's errdefs: how a shim's ttrpc error is classified on containerd's side
//! (containerd 1.7: `errdefs.FromGRPC` after `ttrpc` status conversion).

use super::rules::{class_of_code, ErrClass};
use crate::net::ttrpc::TtrpcError;

/// An error as containerd's services return it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CtrdError {
    pub class: ErrClass,
    pub message: String,
}

impl CtrdError {
    pub fn new(class: ErrClass, message: impl Into<String>) -> CtrdError {
        CtrdError {
            class,
            message: message.into(),
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.class == ErrClass::NotFound
    }
}

impl std::fmt::Display for CtrdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A status code maps to its class (Internal and Unknown are Unknown in 1.7); a
/// client-side timeout is Unknown (the raw context error is not a status); a closed
/// connection is Unknown `ttrpc: closed`, as `errdefs.FromGRPC` leaves ttrpc's
/// `ErrClosed` (v1.7.34 `runtime/v2/shim.go`: Kill, Wait, Start, Pause, Resume, Create).
pub fn classify(e: &TtrpcError) -> ErrClass {
    match e {
        TtrpcError::Closed | TtrpcError::DeadlineExceeded | TtrpcError::Canceled => {
            ErrClass::Unknown
        }
        TtrpcError::Status(s) => class_of_code(s.code()),
    }
}

/// The containerd error for a failed shim call.
pub fn from_ttrpc(e: &TtrpcError) -> CtrdError {
    CtrdError::new(classify(e), e.message())
}

/// The containerd error for a failed State, Delete or Shutdown: the three calls whose
/// `shimTask` method reads ttrpc's `ErrClosed` as NotFound (v1.7.34 `runtime/v2/shim.go`:
/// State 714-723, delete 455-465, Shutdown 426-433); otherwise as [`from_ttrpc`].
pub fn from_ttrpc_closed_not_found(e: &TtrpcError) -> CtrdError {
    match e {
        TtrpcError::Closed => CtrdError::new(ErrClass::NotFound, e.message()),
        _ => from_ttrpc(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use containerd_shim_protos::ttrpc::{get_status, Code};

    #[test]
    fn shim_statuses_map_like_containerd_1_7() {
        let st = |c| TtrpcError::Status(get_status(c, "x"));
        assert_eq!(classify(&TtrpcError::Closed), ErrClass::Unknown);
        assert_eq!(classify(&st(Code::NOT_FOUND)), ErrClass::NotFound);
        assert_eq!(classify(&st(Code::UNKNOWN)), ErrClass::Unknown);
        assert_eq!(classify(&st(Code::INTERNAL)), ErrClass::Unknown);
        assert_eq!(classify(&st(Code::UNAVAILABLE)), ErrClass::Unavailable);
        assert_eq!(classify(&TtrpcError::DeadlineExceeded), ErrClass::Unknown);
    }

    #[test]
    fn a_closed_connection_is_not_found_only_where_containerd_says_so() {
        assert_eq!(
            from_ttrpc(&TtrpcError::Closed),
            CtrdError::new(ErrClass::Unknown, "ttrpc: closed")
        );
        assert!(from_ttrpc_closed_not_found(&TtrpcError::Closed).is_not_found());
        let st = TtrpcError::Status(get_status(Code::UNKNOWN, "x"));
        assert_eq!(from_ttrpc_closed_not_found(&st), from_ttrpc(&st));
    }
}
