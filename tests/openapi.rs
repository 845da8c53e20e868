//! The OpenAPI document validated by an independent implementation:
//! `openapi-spec-validator` from PyPI (installed by `.ci/run`), run as its own process.

use std::process::Command;

#[test]
fn the_openapi_document_is_valid_by_an_independent_validator() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openapi.json");
    let document = trustlabel::publish::openapi::document("https://tinnhiem.example.vn");
    std::fs::write(&path, serde_json::to_vec_pretty(&document).unwrap()).unwrap();
    let output = Command::new("python3")
        .args(["-m", "openapi_spec_validator", "--errors", "all"])
        .arg(&path)
        .output()
        .expect("python3 runs (install Debian package python3)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("No module named openapi_spec_validator"),
        "openapi-spec-validator is missing: `pip install openapi-spec-validator` (.ci/run does)"
    );
    assert!(
        output.status.success() && stdout.contains("OK"),
        "the validator refused the document:\n{stdout}\n{stderr}"
    );
}
