//! The client kits against a live gateway: `clients/js/` with Node's test
//! runner, `clients/php/` with php-cli and `clients/java/` with its own
//! script (docs/clients.md). `make test` installs php-cli and a JDK when
//! they are missing; node is the one of the machine.

use std::path::Path;
use std::process::Command;

use crate::helpers::{Options, TestApp, default_apps, spawn_app_with};

const SIGNED_SECRET: &str = "kits-signed-secret-Rb7Yh2Pm9Xs4Df6G";
const PLAIN_SECRET: &str = "kits-plain-secret-Lk1Tn5Wc0Rb7Yh2Pm";
const MOBILE: &str = "13912345678";
const PASSWORD: &str = "kit_pass_123";

/// A gateway with an H5 appid that signs its answers and an app appid
/// that does not, and a registered user.
async fn gateway() -> TestApp {
    let apps = format!(
        r#"{}
[apps.kit_h5]
name = "Kit H5 (signed answers)"
type = "h5"
sign_responses = true
secrets = [{{ id = "current", value = "{SIGNED_SECRET}" }}]

[apps.kit_app]
name = "Kit app"
type = "app"
secrets = ["{PLAIN_SECRET}"]
"#,
        default_apps()
    );
    let app = spawn_app_with(Options {
        apps,
        ..Options::default()
    })
    .await;
    app.register_token(MOBILE, PASSWORD).await;
    app
}

/// Run a kit's test command with the gateway's coordinates; panics with
/// its output unless it passes.
async fn run_kit(app: &TestApp, program: &str, args: &[&str]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(root)
        .env("YAFGATE_URL", &app.url)
        .env("YAFGATE_SIGNED_APPID", "kit_h5")
        .env("YAFGATE_SIGNED_SECRET", SIGNED_SECRET)
        .env("YAFGATE_PLAIN_APPID", "kit_app")
        .env("YAFGATE_PLAIN_SECRET", PLAIN_SECRET)
        .env("YAFGATE_MOBILE", MOBILE)
        .env("YAFGATE_PASSWORD", PASSWORD);
    // The gateway serves on this test's runtime while the kit runs.
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("the kit's thread")
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}); `make test` installs it"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{program} {args:?} failed:\n{text}");
    text
}

#[tokio::test]
async fn the_javascript_client_passes_its_tests_against_a_live_gateway() {
    let app = gateway().await;
    let mut args = vec!["--test".to_string(), "--test-reporter=tap".to_string()];
    args.extend(test_files("clients/js/test", ".test.mjs"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_kit(&app, "node", &args).await;
    // Every test ran: the live ones are not skipped when the URL is set.
    assert!(out.contains("# skipped 0"), "{out}");
    assert!(out.contains("# fail 0"), "{out}");
}

#[tokio::test]
async fn the_php_signer_passes_its_tests_against_a_live_gateway() {
    let app = gateway().await;
    let out = run_kit(&app, "php", &["clients/php/tests/run.php"]).await;
    assert!(out.contains("live tests: ran"), "{out}");
    assert!(out.contains("0 failed"), "{out}");
}

#[tokio::test]
async fn the_java_kit_passes_its_tests_against_a_live_gateway() {
    let app = gateway().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/java/run-tests.sh");
    let out = run_kit(&app, script, &[]).await;
    assert!(out.contains("live tests: ran"), "{out}");
    assert!(out.contains(" passed, 0 failed"), "{out}");
    // The Kotlin example compiles and runs only where kotlinc is installed.
    assert!(!out.contains("kotlin example: FAILED"), "{out}");
}

/// The files of `dir` (relative to the crate) whose names end in `suffix`,
/// sorted: newer Node versions read `--test` arguments as globs, not folders.
fn test_files(dir: &str, suffix: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(root.join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(suffix))
        .map(|name| format!("{dir}/{name}"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{dir}: {files:?}");
    files
}
