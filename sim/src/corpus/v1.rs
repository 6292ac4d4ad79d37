//! The first case-file format, `kata-dst-seed/1`, read by upgrading it to the current
//! one: the madsim seed was `seed`; a step named its container as an id (`pod<p>-c<c>`,
//! or `never-created`) in `container`; a Kill was `{"kill": <signal>}` (never `all`).

use serde_json::{json, Value};

/// The format's name.
pub const FORMAT: &str = "kata-dst-seed/1";

/// The same file in the current format's shape (still to be checked by the reader).
pub fn upgrade(mut file: Value) -> Result<Value, String> {
    file["format"] = json!(super::FORMAT);
    let case = file
        .get_mut("case")
        .and_then(Value::as_object_mut)
        .ok_or("no \"case\" object")?;
    if let Some(seed) = case.remove("seed") {
        case.insert("madsim_seed".into(), seed);
    }
    let lanes = case
        .get_mut("lanes")
        .and_then(Value::as_array_mut)
        .ok_or("no \"case.lanes\" array")?;
    for step in lanes.iter_mut().filter_map(Value::as_array_mut).flatten() {
        let step = step.as_object_mut().ok_or("a step is not an object")?;
        if let Some(signal) = step.get("op").and_then(|op| op.get("kill")).cloned() {
            step.insert(
                "op".into(),
                json!({"kill": {"signal": signal, "all": false}}),
            );
        }
        if let Some(container) = step.remove("container") {
            let id = container
                .as_str()
                .ok_or("a step's container is not a string")?;
            step.insert("target".into(), target(id)?);
        }
    }
    Ok(file)
}

/// The target a v1 container id names.
fn target(id: &str) -> Result<Value, String> {
    if id == "never-created" {
        return Ok(json!("never_created"));
    }
    let parsed = id
        .strip_prefix("pod")
        .and_then(|rest| rest.split_once("-c"))
        .and_then(|(p, c)| Some((p.parse::<u8>().ok()?, c.parse::<u8>().ok()?)));
    match parsed {
        Some((pod, index)) => Ok(json!({"container": {"pod": pod, "index": index}})),
        None => Err(format!(
            "container {id:?} is not one of a case (valid: pod<P>-c<C> or never-created)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_v1_file_upgrades_to_targets_kill_flags_and_madsim_seed() {
        let v1 = json!({
            "format": FORMAT,
            "case": {"seed": 3, "lanes": [[
                {"at_us": 1, "op": {"kill": 9}, "container": "pod2-c1", "via": "tasks"},
                {"at_us": 2, "op": "state", "container": "never-created", "via": "shim"},
                {"at_us": 3, "op": "list", "via": "tasks"}
            ]]}
        });
        let v2 = upgrade(v1).unwrap();
        assert_eq!(v2["format"], super::super::FORMAT);
        assert_eq!(v2["case"]["madsim_seed"], 3);
        let steps = &v2["case"]["lanes"][0];
        assert_eq!(steps[0]["op"], json!({"kill": {"signal": 9, "all": false}}));
        assert_eq!(
            steps[0]["target"],
            json!({"container": {"pod": 2, "index": 1}})
        );
        assert_eq!(steps[1]["target"], "never_created");
        assert!(steps[2].get("target").is_none());
        let bad = json!({"format": FORMAT, "case": {"lanes": [[{"container": "x"}]]}});
        assert!(upgrade(bad).unwrap_err().contains("\"x\""));
    }
}
