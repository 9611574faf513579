//! Generated docs stay in step with the code (`make docs` writes them):
//! docs/methods.md and docs/codes.md, and the catalogue validates against
//! docs/catalogue.schema.json.

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

#[test]
fn the_code_table_in_docs_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/codes.md");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    let generated = yafgate::handler::catalogue::codes_markdown(&yafgate::registry());
    assert!(
        on_disk == generated,
        "docs/codes.md is stale: run `make docs` (cargo run -q -- docs --codes > docs/codes.md)"
    );
}

fn catalogue_validator() -> jsonschema::Validator {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/catalogue.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema file"))
            .expect("the schema is JSON");
    jsonschema::meta::validate(&schema).expect("a valid 2020-12 schema");
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

#[test]
fn the_catalogue_validates_against_its_own_schema() {
    let validator = catalogue_validator();
    let catalogue = yafgate::handler::catalogue::catalogue(&yafgate::registry());
    let errors: Vec<String> = validator
        .iter_errors(&catalogue)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // The schema is strict enough to catch a broken catalogue.
    let mut broken = catalogue.clone();
    broken["methods"][0]["access"] = "admin".into();
    assert!(!validator.is_valid(&broken), "an unknown access level");
    let mut broken = catalogue.clone();
    broken["codes"][0]["action"] = "panic".into();
    assert!(!validator.is_valid(&broken), "an unknown action");
    let mut broken = catalogue;
    broken["methods"][0]["params"] = serde_json::json!({"type": 7});
    assert!(
        !validator.is_valid(&broken),
        "params that are not a JSON Schema"
    );
}

#[test]
fn the_catalogue_names_every_method_of_the_registry_with_the_codes_clients_act_on() {
    let registry = yafgate::registry();
    let catalogue = yafgate::handler::catalogue::catalogue(&registry);
    let names: Vec<&str> = catalogue["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = registry.entries().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, expected);
    let method = |name: &str| {
        catalogue["methods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    assert_eq!(method("user.detail")["access"], "session");
    assert_eq!(method("system.init")["access"], "optional");
    assert_eq!(method("system.ping")["access"], "public");
    assert_eq!(method("user.register")["write"], true);
    assert_eq!(method("user.login")["params"]["required"][0], "mobile");
    // The account refusals are declared where they can happen.
    let codes = |name: &str| {
        method(name)["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    for (name, want) in [
        ("user.login", &[607, 700][..]),
        ("user.register", &[604, 700]),
        ("user.pwd.find", &[700]),
        ("user.mobile.bind", &[700]),
        ("sms.send", &[604, 605]),
    ] {
        let got = codes(name);
        assert!(want.iter().all(|c| got.contains(c)), "{name}: {got:?}");
    }
    let action = |code: u64| {
        catalogue["codes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .map(|c| c["action"].as_str().unwrap().to_string())
    };
    for (code, want) in [
        (601, "log_in"),
        (603, "log_in"),
        (606, "log_in"),
        (509, "upgrade"),
        (511, "back_off"),
        (503, "show_msg"),
        (811, "show_msg"),
    ] {
        assert_eq!(action(code).as_deref(), Some(want), "{code}");
    }
}
