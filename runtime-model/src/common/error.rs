//! `runtimes/common/src/error.rs`.

/// Errors the container manager raises itself (agent and hook errors travel as `anyhow`).
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum Error {
    #[error("failed to find container {0}")]
    ContainerNotFound(String),
    #[error("failed to find process {0}")]
    ProcessNotFound(String),
}

#[cfg(test)]
mod tests {
    #[test]
    fn container_not_found_text_is_upstreams() {
        let e = super::Error::ContainerNotFound("c1".into());
        assert_eq!(e.to_string(), "failed to find container c1");
    }
}
