//! The layer check (docs/architecture.md): every `crate::…` path in `src/`
//! and `methods/` must point at its own layer or one below it. A module
//! that reaches up (say `services` naming `http`, or `config` naming
//! `methods`) fails this test with the file, the line and the rule.

use std::fs;
use std::path::{Path, PathBuf};

/// The layers from the bottom up; a layer may use those before it.
/// `client` and `methods` sit beside the stack, with their own lists.
const ORDER: &[&str] = &[
    "protocol", "domain", "config", "stores", "gate", "shared", "handler", "pipeline", "http",
    "app",
];

/// What a layer may name besides itself.
fn allowed(from: &str) -> Vec<&'static str> {
    match from {
        // The handlers build on the handler API and the plain layers
        // under it; never on the pipeline, HTTP or start-up.
        "methods" => vec![
            "protocol", "domain", "config", "stores", "gate", "shared", "handler",
        ],
        "client" => vec!["protocol"],
        // Start-up wires everything, the handlers included.
        "app" => {
            let mut all = ORDER.to_vec();
            // `crate::registry()`: the handlers, through lib.rs.
            all.extend(["methods", "client", "registry"]);
            all
        }
        _ => {
            let at = ORDER
                .iter()
                .position(|l| *l == from)
                .unwrap_or_else(|| panic!("layer {from} is not in ORDER"));
            ORDER[..at].to_vec()
        }
    }
}

/// The layer a source file belongs to, from its path under the crate root.
fn layer_of(relative: &Path) -> Option<String> {
    let mut parts = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    match parts.next()?.as_str() {
        "methods" => Some("methods".into()),
        "src" => {
            let first = parts.next()?;
            let name = first.trim_end_matches(".rs").to_string();
            // lib.rs declares the layers and is the one place that names
            // `methods`; main.rs is the binary. Both stand above the layers.
            (name != "lib" && name != "main").then_some(name)
        }
        _ => None,
    }
}

/// Every `crate::<name>` in `text`, with its line number.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().last();
            rest = &rest[at + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // `yafgate_crate::` or the like
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push((n + 1, name));
            }
        }
        // `super::super::` climbs out of a layer folder without naming it.
        if code.contains("super::super::super") {
            found.push((n + 1, "super::super::super".into()));
        }
    }
    found
}

/// The violations in one file's text, as messages.
fn violations(relative: &Path, text: &str) -> Vec<String> {
    let Some(layer) = layer_of(relative) else {
        return Vec::new();
    };
    let ok = allowed(&layer);
    crate_paths(text)
        .into_iter()
        .filter(|(_, target)| {
            *target != layer && !ok.contains(&target.as_str()) && !is_root_item(target)
        })
        .map(|(line, target)| {
            format!(
                "{}:{line}: layer `{layer}` uses `crate::{target}`; it may use only {:?}",
                relative.display(),
                ok
            )
        })
        .collect()
}

/// Re-exports of lib.rs that name nothing above the layer using them.
fn is_root_item(name: &str) -> bool {
    matches!(name, "Config")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_uses_a_layer_above_its_own() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("methods"), &mut files);
    let mut problems = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(root).unwrap();
        let text = fs::read_to_string(file).unwrap();
        problems.extend(violations(relative, &text));
    }
    assert!(files.len() > 40, "found only {} files", files.len());
    assert!(
        problems.is_empty(),
        "upward imports:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_layer_folder_opens_with_a_doc_of_what_it_may_use() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for layer in ORDER.iter().filter(|l| **l != "app") {
        let path = root.join("src").join(layer).join("mod.rs");
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc: String = text
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(!doc.is_empty(), "{} has no //! doc", path.display());
        let says_what_it_uses = doc.contains("May use") || doc.contains("uses no other part");
        assert!(
            says_what_it_uses,
            "{}'s doc does not say what it may use",
            path.display()
        );
    }
}

#[test]
fn no_source_file_is_much_over_five_hundred_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("methods"), &mut files);
    for file in files {
        let lines = fs::read_to_string(&file).unwrap().lines().count();
        assert!(
            lines <= 520,
            "{} has {lines} lines; split it",
            file.display()
        );
    }
}

#[test]
fn the_check_catches_an_upward_import() {
    // The checker itself must be able to fail: plant imports that break
    // the rules and ones that keep them.
    let bad = [
        ("src/gate/session.rs", "use crate::http::Gateway;"),
        (
            "src/config/accounts.rs",
            "if crate::methods::user::is_mobile(m) {}",
        ),
        (
            "src/protocol/sign.rs",
            "use crate::config::apps::SecretSlot;",
        ),
        ("src/pipeline/mod.rs", "    crate::methods::registry();"),
        ("methods/user/login.rs", "use crate::pipeline::Outcome;"),
        ("src/client.rs", "use crate::stores::Stores;"),
        ("src/domain/mobile.rs", "use super::super::super::x;"),
    ];
    for (file, line) in bad {
        assert_eq!(violations(Path::new(file), line).len(), 1, "{file}: {line}");
    }
    let good = [
        (
            "src/gate/session.rs",
            "use crate::config::accounts::SessionSettings;",
        ),
        ("src/http/mod.rs", "use crate::pipeline::{self, Outcome};"),
        ("src/app/mod.rs", "crate::registry()"),
        (
            "methods/user/login.rs",
            "use crate::gate::guards::Strikes; // crate::http in a comment",
        ),
        ("src/lib.rs", "pub mod methods; crate::methods::registry()"),
    ];
    for (file, line) in good {
        assert!(
            violations(Path::new(file), line).is_empty(),
            "{file}: {line}"
        );
    }
}
