//! The browser test (docs/protocol.md §19): tests/browser/console.test.mjs
//! drives the API console, built on the kits' JavaScript client (whose own
//! tests in clients/js/test/ check MD5 and signatures), in Debian's
//! headless Chromium against this live test gateway, and reads 413 and 415
//! refusals from a page on another, allowed origin (§12.5). `make test` installs Chromium and playwright-core
//! first (scripts/browser-deps); without them this test fails and says so,
//! as the other tests do without PostgreSQL and Redis.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::helpers::*;

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

fn require_tools() {
    let missing: Vec<String> = [
        (chromium(), "chromium"),
        (
            browser_dir().join("node_modules/playwright-core"),
            "playwright-core",
        ),
    ]
    .into_iter()
    .filter(|(path, _)| !path.exists())
    .map(|(path, what)| format!("{what} ({})", path.display()))
    .collect();
    assert!(
        missing.is_empty(),
        "missing {missing:?}: run `scripts/browser-deps` first (make test does)"
    );
}

#[tokio::test]
async fn the_console_works_in_headless_chromium_and_refusals_are_readable() {
    require_tools();
    // The second page's origin, which the H5 appid allows.
    let foreign_port = procs::free_port();
    let origin = format!("http://127.0.0.1:{foreign_port}");
    let apps = default_apps().replace(
        &format!("cors_origins = [\"{H5_ORIGIN}\"]"),
        &format!("cors_origins = [\"{H5_ORIGIN}\", \"{origin}\"]"),
    );
    assert!(apps.contains(&origin));
    let mut opts = Options::configure(|s| s.server.body_limit_bytes = 1024);
    opts.apps = apps;
    let app = spawn_app_with(opts).await;

    let screenshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser/console.png");
    std::fs::create_dir_all(screenshot.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&screenshot);
    let logs = tempfile::tempdir().unwrap();
    let (stdout, stderr) = (logs.path().join("out"), logs.path().join("err"));
    let mut child = std::process::Command::new("node")
        .args(["--test", "--test-reporter=spec", "console.test.mjs"])
        .current_dir(browser_dir())
        .env("YAFGATE_URL", format!("http://127.0.0.1:{}", app.port))
        .env("YAFGATE_APPID", "ios_app_id")
        .env("YAFGATE_SECRET", IOS_SECRET)
        .env("YAFGATE_FOREIGN_PORT", foreign_port.to_string())
        .env("YAFGATE_SCREENSHOT", &screenshot)
        .env("CHROMIUM", chromium())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .expect("node runs (scripts/browser-deps installs it)");
    // The gateway serves on this runtime while node runs: poll the child.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if tokio::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let report = format!(
        "{}\n{}",
        std::fs::read_to_string(&stdout).unwrap_or_default(),
        std::fs::read_to_string(&stderr).unwrap_or_default()
    );
    let status = status.unwrap_or_else(|| panic!("the browser test overran 3 minutes:\n{report}"));
    assert!(status.success(), "the browser test failed:\n{report}");
    println!("{report}");
    let shot = std::fs::metadata(&screenshot).expect("a screenshot was saved");
    assert!(shot.len() > 1000, "{}", screenshot.display());
    println!("screenshot: {}", screenshot.display());
}
