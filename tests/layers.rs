//! The architecture checks (docs/architecture.md), read from the source
//! with `syn`, so every path is resolved to the module it names (`crate::`,
//! `super::`, `self::` and child modules, inline `mod`s included):
//! - a layer names only itself and the layers below it;
//! - a product namespace under `methods/` names no other namespace;
//! - no two sibling modules import each other (no import circle);
//! - `users` is written only by the accounts service;
//! - a namespace's methods are added in one place: its `mod.rs` (or its
//!   one file), the catalogue of the namespace.
//!
//! Each rule fails with the file, the line and the rule; the tests at the
//! end plant breaking imports to show that each check can fail.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use syn::spanned::Spanned;
use syn::visit::{self, Visit};

/// The layers from the bottom up; a layer may use those before it.
/// `client` and `methods` sit beside the stack, with their own lists.
const ORDER: &[&str] = &[
    "protocol", "domain", "config", "stores", "gate", "shared", "handler", "pipeline", "http",
    "app",
];

/// What a layer may name besides itself.
fn allowed(from: &str) -> Vec<&'static str> {
    match from {
        // The handlers build on the handler API and the layers under it;
        // never on the pipeline, HTTP or start-up.
        "methods" => vec![
            "protocol", "domain", "config", "stores", "gate", "shared", "handler",
        ],
        "client" => vec!["protocol"],
        // Start-up wires everything, the handlers included.
        "app" => {
            let mut all = ORDER.to_vec();
            all.extend(["methods", "client"]);
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

/// Items of lib.rs a layer may name: the re-exported `Config` (config's
/// own type) everywhere, `crate::registry()` (the handlers) only from `app`.
fn root_item_allowed(from: &str, item: &str) -> bool {
    item == "Config" || (item == "registry" && from == "app")
}

/// The module a source file is, from its path under the crate root:
/// `src/lib.rs` is the root, `methods/` is mounted as `crate::methods`.
fn module_of(relative: &Path) -> Option<Vec<String>> {
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let (first, rest) = parts.split_first()?;
    let mut path: Vec<String> = match first.as_str() {
        "src" => Vec::new(),
        "methods" => vec!["methods".into()],
        _ => return None,
    };
    let (file, dirs) = rest.split_last()?;
    path.extend(dirs.iter().cloned());
    let stem = file.strip_suffix(".rs")?;
    match (first.as_str(), stem, dirs.is_empty()) {
        ("src", "lib", true) => {}
        ("src", "main", true) => path.push("main".into()),
        (_, "mod", _) => {}
        _ => path.push(stem.into()),
    }
    Some(path)
}

/// One path a file names, resolved: the module it reaches (the longest
/// known module it starts with) and the first segment after that module.
#[derive(Clone, Debug)]
struct Ref {
    line: usize,
    module: Vec<String>,
    item: Option<String>,
    text: String,
}

/// Collects the paths of one file, in the module it is at.
struct Collector<'a> {
    modules: &'a BTreeSet<Vec<String>>,
    at: Vec<String>,
    found: Vec<Ref>,
}

impl Collector<'_> {
    fn resolve(&mut self, segments: &[String], line: usize) {
        let Some(first) = segments.first() else {
            return;
        };
        let (mut base, rest) = match first.as_str() {
            "crate" => (Vec::new(), &segments[1..]),
            "self" => (self.at.clone(), &segments[1..]),
            "super" => {
                let ups = segments.iter().take_while(|s| *s == "super").count();
                let keep = self.at.len().saturating_sub(ups);
                (self.at[..keep].to_vec(), &segments[ups..])
            }
            // A child module named without `self::` (2018 paths); any
            // other first segment is an external crate or a local item.
            child => {
                let mut m = self.at.clone();
                m.push(child.to_string());
                if !self.modules.contains(&m) {
                    return;
                }
                (self.at.clone(), segments)
            }
        };
        let mut used = 0;
        for s in rest {
            let mut next = base.clone();
            next.push(s.clone());
            if !self.modules.contains(&next) {
                break;
            }
            base = next;
            used += 1;
        }
        self.found.push(Ref {
            line,
            module: base,
            item: rest.get(used).cloned(),
            text: segments.join("::"),
        });
    }
}

/// The paths of a `use` tree, each as its segments.
fn use_paths(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_paths(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let mut full = prefix.clone();
            if n.ident != "self" {
                full.push(n.ident.to_string());
            }
            out.push(full);
        }
        syn::UseTree::Rename(r) => {
            let mut full = prefix.clone();
            if r.ident != "self" {
                full.push(r.ident.to_string());
            }
            out.push(full);
        }
        syn::UseTree::Glob(_) => out.push(prefix.clone()),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                use_paths(t, prefix, out);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if m.content.is_some() {
            self.at.push(m.ident.to_string());
            visit::visit_item_mod(self, m);
            self.at.pop();
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut paths = Vec::new();
        use_paths(&u.tree, &mut Vec::new(), &mut paths);
        let line = u.span().start().line;
        for p in paths {
            self.resolve(&p, line);
        }
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        if segments.len() > 1 {
            self.resolve(&segments, p.span().start().line);
        }
        visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        // Paths inside macro calls (`format!`, `json!`, …) are tokens to
        // syn; those that are paths are read as expressions where they parse.
        if let Ok(args) = m.parse_body_with(
            syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
        ) {
            for e in &args {
                self.visit_expr(e);
            }
        }
        visit::visit_macro(self, m);
    }
}

/// One source file of the crate, parsed.
struct Source {
    relative: PathBuf,
    module: Vec<String>,
    text: String,
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

fn crate_sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("methods"), &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|f| {
            let relative = f.strip_prefix(root).unwrap().to_path_buf();
            let module = module_of(&relative)?;
            let text = fs::read_to_string(&f).unwrap();
            Some(Source {
                relative,
                module,
                text,
            })
        })
        .collect()
}

/// Every module: the files, and the inline `mod x { … }` inside them.
fn modules_of(sources: &[Source]) -> BTreeSet<Vec<String>> {
    struct Inline<'a> {
        at: Vec<String>,
        out: &'a mut BTreeSet<Vec<String>>,
    }
    impl<'ast> Visit<'ast> for Inline<'_> {
        fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
            if m.content.is_some() {
                self.at.push(m.ident.to_string());
                self.out.insert(self.at.clone());
                visit::visit_item_mod(self, m);
                self.at.pop();
            }
        }
    }
    let mut all: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    for s in sources {
        if let Ok(file) = syn::parse_file(&s.text) {
            let mut v = Inline {
                at: s.module.clone(),
                out: &mut all,
            };
            v.visit_file(&file);
        }
    }
    all
}

/// The resolved paths `text` names, read as the file at `module`.
fn refs_of(modules: &BTreeSet<Vec<String>>, module: &[String], text: &str) -> Vec<Ref> {
    let file = syn::parse_file(text).unwrap_or_else(|e| panic!("{module:?}: {e}"));
    let mut c = Collector {
        modules,
        at: module.to_vec(),
        found: Vec::new(),
    };
    c.visit_file(&file);
    c.found
}

/// The layer of a module: its first segment, unless it is lib.rs or
/// main.rs, which stand above the layers.
fn layer_of(module: &[String]) -> Option<&str> {
    match module.first().map(String::as_str) {
        None | Some("main") => None,
        Some(l) => Some(l),
    }
}

/// The product namespace of a module under `methods/`, if it is in one.
fn namespace_of(module: &[String]) -> Option<&str> {
    (module.first().map(String::as_str) == Some("methods"))
        .then(|| module.get(1).map(String::as_str))
        .flatten()
}

/// The rules one file breaks, as messages.
fn problems_of(file: &Path, module: &[String], refs: &[Ref]) -> Vec<String> {
    let Some(layer) = layer_of(module) else {
        return Vec::new();
    };
    let ok = allowed(layer);
    let mut out = Vec::new();
    for r in refs {
        let at = format!("{}:{}", file.display(), r.line);
        match layer_of(&r.module) {
            None => {
                let item = r.item.as_deref().unwrap_or("");
                if !root_item_allowed(layer, item) {
                    out.push(format!(
                        "{at}: layer `{layer}` uses `{}` (crate::{item}); it may use only {ok:?}",
                        r.text
                    ));
                }
            }
            Some(target) if target != layer && !ok.contains(&target) => out.push(format!(
                "{at}: layer `{layer}` uses `{}` (layer `{target}`); it may use only {ok:?}",
                r.text
            )),
            Some(_) => {}
        }
        if let Some(ns) = namespace_of(module) {
            let reaches = r.module.first().map(String::as_str) == Some("methods");
            let same = namespace_of(&r.module) == Some(ns);
            if reaches && !same {
                out.push(format!(
                    "{at}: namespace `{ns}` uses `{}` ({}); a namespace names no other \
                     (what two share lives in src/shared or src/handler)",
                    r.text,
                    r.module.join("::")
                ));
            }
        }
    }
    out
}

/// The two children of the nearest common ancestor of `a` and `b` that
/// lead to them, when neither contains the other.
fn siblings(a: &[String], b: &[String]) -> Option<(Vec<String>, Vec<String>)> {
    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    (common < a.len() && common < b.len()).then(|| (a[..=common].to_vec(), b[..=common].to_vec()))
}

/// The import circles between sibling modules: each strongly connected
/// set of more than one module, as names.
fn circles(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<String>> {
    // Reachability on a graph of a few hundred nodes: the closure is cheap.
    let nodes: BTreeSet<&Vec<String>> = edges.keys().chain(edges.values().flatten()).collect();
    let reach = |from: &Vec<String>| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(n) = todo.pop() {
            for m in edges.get(&n).into_iter().flatten() {
                if seen.insert(m.clone()) {
                    todo.push(m.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&Vec<String>, BTreeSet<Vec<String>>> =
        nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut found: BTreeSet<Vec<String>> = BTreeSet::new();
    for n in &nodes {
        let mut circle: Vec<String> = reached[n]
            .iter()
            .filter(|m| reached[m].contains(*n))
            .map(|m| m.join("::"))
            .collect();
        if circle.len() > 1 {
            circle.sort();
            found.insert(circle);
        }
    }
    found.into_iter().map(|c| c.into_iter().collect()).collect()
}

/// The sibling edges of a set of files' references.
fn sibling_edges<'a>(
    files: impl IntoIterator<Item = (&'a [String], &'a [Ref])>,
) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, refs) in files {
        for r in refs {
            if let Some((a, b)) = siblings(module, &r.module) {
                edges.entry(a).or_default().insert(b);
            }
        }
    }
    edges
}

/// SQL that writes the `users` table, outside the accounts service.
fn writes_users(text: &str) -> Vec<usize> {
    let needles = ["insert into users", "update users", "delete from users"];
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let l = l.to_ascii_lowercase();
            needles.iter().any(|n| l.contains(n))
        })
        .map(|(n, _)| n + 1)
        .collect()
}

/// The one writer of `users` and of passwords (docs/architecture.md).
const ACCOUNTS: &str = "src/shared/accounts";

#[test]
fn no_module_uses_a_layer_above_its_own_or_another_namespace() {
    let sources = crate_sources();
    let modules = modules_of(&sources);
    let mut problems = Vec::new();
    for s in &sources {
        let refs = refs_of(&modules, &s.module, &s.text);
        problems.extend(problems_of(&s.relative, &s.module, &refs));
    }
    assert!(sources.len() > 100, "found only {} files", sources.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_two_modules_import_each_other() {
    let sources = crate_sources();
    let modules = modules_of(&sources);
    let refs: Vec<Vec<Ref>> = sources
        .iter()
        .map(|s| refs_of(&modules, &s.module, &s.text))
        .collect();
    let edges = sibling_edges(
        sources
            .iter()
            .zip(&refs)
            .map(|(s, r)| (s.module.as_slice(), r.as_slice())),
    );
    assert!(
        edges.len() > 50,
        "found only {} modules with imports",
        edges.len()
    );
    let found = circles(&edges);
    assert!(found.is_empty(), "import circles: {found:?}");
}

#[test]
fn only_the_accounts_service_writes_users() {
    let mut problems = Vec::new();
    for s in crate_sources() {
        if s.relative.starts_with(ACCOUNTS) {
            continue;
        }
        for line in writes_users(&s.text) {
            problems.push(format!("{}:{line}", s.relative.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "`users` written outside {ACCOUNTS}:\n{}",
        problems.join("\n")
    );
}

/// Where `r.add(` is called outside a namespace's own catalogue file.
fn misplaced_cards(s: &Source) -> Vec<usize> {
    let catalogue = s.module.len() == 2 && s.module[0] == "methods";
    if catalogue || namespace_of(&s.module).is_none() {
        return Vec::new();
    }
    s.text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("r.add("))
        .map(|(n, _)| n + 1)
        .collect()
}

#[test]
fn every_namespace_adds_its_methods_in_its_own_mod_rs() {
    let mut problems = Vec::new();
    let mut catalogues = 0;
    for s in crate_sources() {
        if s.module.len() == 2 && s.module[0] == "methods" && s.text.contains("r.add(") {
            catalogues += 1;
        }
        for line in misplaced_cards(&s) {
            problems.push(format!("{}:{line}", s.relative.display()));
        }
    }
    assert!(
        catalogues >= 13,
        "found only {catalogues} namespaces adding methods"
    );
    assert!(
        problems.is_empty(),
        "methods added outside their namespace's mod.rs:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_check_catches_a_card_outside_the_catalogue() {
    let source = |file: &str| Source {
        relative: PathBuf::from(file),
        module: module_of(Path::new(file)).unwrap(),
        text: "fn register(r: &mut Registry) {\n    r.add(m, h);\n}\n".into(),
    };
    assert_eq!(misplaced_cards(&source("methods/mp/order.rs")), vec![2]);
    assert!(misplaced_cards(&source("methods/mp/mod.rs")).is_empty());
    assert!(misplaced_cards(&source("methods/news.rs")).is_empty());
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
    for s in crate_sources() {
        let lines = s.text.lines().count();
        assert!(
            lines <= 520,
            "{} has {lines} lines; split it",
            s.relative.display()
        );
    }
}

/// The crate's modules, read once for the planted checks.
static MODULES: std::sync::LazyLock<BTreeSet<Vec<String>>> =
    std::sync::LazyLock::new(|| modules_of(&crate_sources()));

/// The problems of `line` planted in `file` (a path under the crate root),
/// against the crate's real modules.
fn planted(file: &str, line: &str) -> Vec<String> {
    let modules = &*MODULES;
    let module = module_of(Path::new(file)).unwrap();
    let refs = refs_of(modules, &module, line);
    problems_of(Path::new(file), &module, &refs)
}

#[test]
fn the_check_catches_an_upward_import_and_a_reach_into_another_namespace() {
    let bad = [
        ("src/gate/session.rs", "use crate::http::Gateway;"),
        ("src/stores/db.rs", "use crate::gate::session::Class;"),
        ("src/gate/guards.rs", "use crate::shared::roles;"),
        ("src/shared/pay/mod.rs", "use crate::handler::Ctx;"),
        (
            "src/config/accounts.rs",
            "fn f() { crate::methods::user::register(); }",
        ),
        ("src/protocol/sign.rs", "use crate::config::apps::App;"),
        ("src/pipeline/mod.rs", "fn f() { crate::registry(); }"),
        ("methods/user/login.rs", "use crate::pipeline::Outcome;"),
        ("src/client.rs", "use crate::stores::Stores;"),
        // Climbing out of a layer with `super` is seen for what it names.
        ("src/domain/mobile.rs", "use super::super::stores::Stores;"),
        // A namespace reaching into another, by any path.
        (
            "methods/consult/account.rs",
            "use crate::methods::user::register;",
        ),
        (
            "methods/mp/login.rs",
            "use super::super::home::machines::ORDER;",
        ),
        ("methods/home/mod.rs", "use super::user;"),
        (
            "methods/supplier/orders.rs",
            "fn f() { let _ = crate::methods::mp::machines::MP_ORDER; }",
        ),
        // In a macro's arguments too.
        (
            "methods/home/order.rs",
            "fn f() { let _ = format!(\"{}\", crate::methods::mp::machines::UNPAID); }",
        ),
    ];
    for (file, line) in bad {
        assert_eq!(planted(file, line).len(), 1, "{file}: {line}");
    }
    let good = [
        (
            "src/gate/session.rs",
            "use crate::config::accounts::SessionSettings;",
        ),
        ("src/shared/sms.rs", "use crate::gate::attempts::Kind;"),
        ("src/http/mod.rs", "use crate::pipeline::{self, Outcome};"),
        ("src/app/mod.rs", "fn f() { crate::registry(); }"),
        ("src/handler/mod.rs", "use crate::Config;"),
        (
            "methods/home/order.rs",
            "use super::machines::ORDER_CONSUMER;",
        ),
        (
            "methods/mp/refund.rs",
            "use crate::methods::mp::machines::MP_CODE;",
        ),
        ("methods/mod.rs", "use crate::methods::home::register;"),
        (
            "methods/user/login.rs",
            "use crate::gate::guards::Strikes; // crate::http in a comment",
        ),
    ];
    for (file, line) in good {
        assert!(planted(file, line).is_empty(), "{file}: {line}");
    }
}

#[test]
fn the_check_catches_an_import_circle() {
    let modules = &*MODULES;
    let m = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
    let (a, b, c) = (m("gate::session"), m("gate::profile"), m("gate::guards"));
    let a_to_b = refs_of(modules, &a, "use super::profile::Profile;");
    let b_to_a = refs_of(modules, &b, "use crate::gate::session::Class;");
    let c_to_a = refs_of(modules, &c, "use super::session::Class;");
    let circle = sibling_edges([
        (a.as_slice(), a_to_b.as_slice()),
        (b.as_slice(), b_to_a.as_slice()),
    ]);
    assert_eq!(
        circles(&circle),
        vec![vec!["gate::profile", "gate::session"]]
    );
    let line = sibling_edges([
        (a.as_slice(), a_to_b.as_slice()),
        (c.as_slice(), c_to_a.as_slice()),
    ]);
    assert!(circles(&line).is_empty());
    // A child naming its parent's items is no circle; modules of two
    // layers are siblings under the root.
    let up = refs_of(
        modules,
        &m("gate::round_trip::single"),
        "use super::Verdict;",
    );
    assert!(sibling_edges([(m("gate::round_trip::single").as_slice(), up.as_slice())]).is_empty());
    let across = refs_of(
        modules,
        &m("stores::db"),
        "use crate::gate::session::Class;",
    );
    let edges = sibling_edges([(m("stores::db").as_slice(), across.as_slice())]);
    assert_eq!(edges[&m("stores")], BTreeSet::from([m("gate")]));
}

#[test]
fn the_check_catches_a_write_of_users_by_sql() {
    assert_eq!(
        writes_users("tx.execute(\"UPDATE users SET x = 1\")"),
        vec![1]
    );
    assert_eq!(
        writes_users("a\n\"insert into users (id) values (1)\""),
        vec![2]
    );
    assert!(writes_users("SELECT id FROM users WHERE mobile = $1").is_empty());
    assert!(writes_users("UPDATE user_roles SET x = 1").is_empty());
}
