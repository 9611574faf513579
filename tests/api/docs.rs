//! docs/methods.md is the registry's own Markdown (`make docs` writes it).

#[test]
fn the_method_catalogue_in_docs_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/methods.md");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    let generated = yafgate::registry().docs_markdown();
    assert!(
        on_disk == generated,
        "docs/methods.md is stale: run `make docs` (cargo run -q -- docs > docs/methods.md)"
    );
}
