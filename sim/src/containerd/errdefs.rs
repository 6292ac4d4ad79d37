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

/// A closed ttrpc connection is NotFound; a status code maps to its class
/// (Internal and Unknown are Unknown in 1.7); a client-side timeout is Unknown (the raw
/// context error is not a status).
pub fn classify(e: &TtrpcError) -> ErrClass {
    match e {
        TtrpcError::Closed => ErrClass::NotFound,
        TtrpcError::DeadlineExceeded => ErrClass::Unknown,
        TtrpcError::Status(s) => class_of_code(s.code()),
    }
}

/// The containerd error for a failed shim call.
pub fn from_ttrpc(e: &TtrpcError) -> CtrdError {
    CtrdError::new(classify(e), e.message())
}

#[cfg(test)]
mod tests {
    use super::*;
    use containerd_shim_protos::ttrpc::{get_status, Code};

    #[test]
    fn shim_statuses_map_like_containerd_1_7() {
        let st = |c| TtrpcError::Status(get_status(c, "x"));
        assert_eq!(classify(&TtrpcError::Closed), ErrClass::NotFound);
        assert_eq!(classify(&st(Code::NOT_FOUND)), ErrClass::NotFound);
        assert_eq!(classify(&st(Code::UNKNOWN)), ErrClass::Unknown);
        assert_eq!(classify(&st(Code::INTERNAL)), ErrClass::Unknown);
        assert_eq!(classify(&st(Code::UNAVAILABLE)), ErrClass::Unavailable);
        assert_eq!(classify(&TtrpcError::DeadlineExceeded), ErrClass::Unknown);
    }
}
