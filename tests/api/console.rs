//! The API console and the catalogue route (docs/protocol.md §19): served
//! from the binary in env test, 404 when switched off, and never a secret.

use serde_json::Value;

use crate::helpers::*;

const SECRETS: [&str; 6] = [
    IOS_SECRET,
    ANDROID_SECRET,
    H5_SECRET,
    ADMIN_SECRET,
    LIMITED_SECRET,
    ADMIN_API_CALL_SECRET,
];

const ROUTES: [(&str, &str); 6] = [
    ("/console", "text/html"),
    ("/console/console.mjs", "text/javascript"),
    ("/console/console.css", "text/css"),
    ("/console/js/yafgate.mjs", "text/javascript"),
    ("/console/apps.json", "application/json"),
    ("/catalogue.json", "application/json"),
];

#[tokio::test]
async fn the_console_its_files_and_the_catalogue_are_served_in_env_test_without_secrets() {
    let app = spawn_app().await;
    for (path, kind) in ROUTES {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers();
        assert!(
            h["content-type"].to_str().unwrap().starts_with(kind),
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("script-src 'self'"),
            "{path}"
        );
        let body = r.text().await.unwrap();
        for secret in SECRETS {
            assert!(!body.contains(secret), "{path} shows a secret");
        }
    }
    let page = app.get("/console").await.text().await.unwrap();
    assert!(page.contains("yafgate API console"), "{page}");
    assert!(page.contains("/console/console.mjs"));

    let catalogue: Value = app.get("/catalogue.json").await.json().await.unwrap();
    let expected = yafgate::handler::catalogue::catalogue(&yafgate::registry());
    assert_eq!(
        catalogue, expected,
        "the route serves the catalogue of the registry"
    );

    let apps: Value = app.get("/console/apps.json").await.json().await.unwrap();
    let ids: Vec<&str> = apps["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["appid"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"ios_app_id") && ids.contains(&"h5_app_id"),
        "{ids:?}"
    );
    assert!(
        !ids.contains(&"disabled_app_id"),
        "only enabled appids: {ids:?}"
    );
    let h5 = apps["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["appid"] == "h5_app_id")
        .unwrap();
    assert_eq!(h5["platform"], 3);
    assert_eq!(
        h5["sign_responses"], false,
        "the flag, so the page checks answers"
    );

    assert_eq!(app.get("/console/nope.mjs").await.status(), 404);
    let r = app
        .http
        .post(format!("http://127.0.0.1:{}/console", app.port))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn a_console_switched_off_answers_404_everywhere() {
    let app = spawn_app_with(Options::configure(|s| s.console.enabled = Some(false))).await;
    for (path, _) in ROUTES {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
}
