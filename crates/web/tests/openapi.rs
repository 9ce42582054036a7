//! The OpenAPI document is pinned: a change to the API shows up as a diff of
//! `tests/snapshots/openapi.json`. Regenerate with `UPDATE_SNAPSHOTS=1`.

#[test]
fn openapi_document_matches_the_snapshot() {
    let doc = gongjian_web::openapi::document();
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json");
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &doc).unwrap();
    }
    let pinned = std::fs::read_to_string(&path)
        .expect("snapshot exists; run with UPDATE_SNAPSHOTS=1 to create it");
    assert_eq!(
        doc, pinned,
        "the API changed: review the diff and run with UPDATE_SNAPSHOTS=1"
    );
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let paths = v["paths"].as_object().unwrap();
    for p in [
        "/api/v1/session",
        "/api/v1/divisions",
        "/api/v1/units/{id}",
        "/api/v1/users",
        "/api/v1/roles",
        "/api/v1/audit",
        "/api/v1/tokens",
    ] {
        assert!(paths.contains_key(p), "{p} missing from the document");
    }
}
