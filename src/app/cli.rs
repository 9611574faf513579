//! The command line: `yafgate serve | migrate | check-config | sign | call | pay | docs`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use serde_json::Value;

use crate::client::{self, Device, FilePart, Signed};
use crate::config::Config;
use crate::config::apps::AppKind;
use crate::handler::catalogue;
use crate::protocol::sign;
use crate::shared::pay::{PayKeys, sandbox};

/// A signed, single-endpoint RPC gateway in the Yaf-Server style.
#[derive(Debug, Parser)]
#[command(name = "yafgate", version)]
pub struct Cli {
    /// gateway.toml (apps.toml is found through it).
    #[arg(
        long,
        short,
        global = true,
        env = "YAFGATE_CONFIG",
        default_value = "config/gateway.toml"
    )]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the endpoint until SIGTERM or SIGINT.
    Serve,
    /// Apply pending database migrations.
    Migrate {
        /// Also load the demo data (idempotent).
        #[arg(long)]
        demo: bool,
    },
    /// Validate gateway.toml and apps.toml without serving.
    CheckConfig,
    /// Print the data and sign a client would send.
    Sign {
        /// The appid whose secret signs (its first secret slot).
        #[arg(long, default_value = "ios_app_id")]
        appid: String,
        /// Sign with this secret instead of the configured one.
        #[arg(long)]
        secret: Option<String>,
        /// The data JSON text, signed exactly as given.
        data: String,
    },
    /// Call a method: fill the fixed parameters, sign, post, pretty-print.
    Call(CallArgs),
    /// Payments in the sandbox (docs/protocol.md, "Payments").
    #[command(subcommand)]
    Pay(PayCommand),
    /// Print the method catalogue as Markdown, from the registry.
    Docs {
        /// The machine-readable catalogue as JSON instead (docs/catalogue.schema.json).
        #[arg(long, conflicts_with = "codes")]
        json: bool,
        /// The code table as Markdown instead (docs/codes.md).
        #[arg(long)]
        codes: bool,
    },
}

/// What `yafgate pay` does.
#[derive(Debug, Subcommand)]
pub enum PayCommand {
    /// Deliver the sandbox's "paid" notification of a payment to the
    /// gateway's /notify/pay/sandbox, signed and encrypted as the platform does.
    Settle {
        /// The payment's out_trade_no (order.pay answers it).
        out_trade_no: String,
        /// The gateway's base URL; defaults to the configured listen address.
        #[arg(long)]
        url: Option<String>,
    },
}

/// What `yafgate call` takes.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The method, e.g. system.ping.
    pub method: String,
    /// Business parameters: key=value (sent as a string) or key:=json.
    pub params: Vec<String>,
    /// Endpoint URL; defaults to the configured listen address.
    #[arg(long)]
    pub url: Option<String>,
    #[arg(long, default_value = "ios_app_id")]
    pub appid: String,
    /// API version.
    #[arg(long, default_value = "1.0.0")]
    pub v: String,
    /// Session token (also from YAFGATE_TOKEN).
    #[arg(long, env = "YAFGATE_TOKEN", default_value = "")]
    pub token: String,
    /// Platform 1–4; defaults from the appid's type.
    #[arg(long)]
    pub platform: Option<u8>,
    /// Device id sent as unique_id.
    #[arg(long, default_value = "yafgate-cli-device")]
    pub unique_id: String,
    /// Attach a file part (not signed): field=path.
    #[arg(long = "file")]
    pub files: Vec<String>,
}

/// Run a parsed command line; the binary's whole job.
pub async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve => serve(&cli.config).await,
        Command::Migrate { demo } => migrate(&cli.config, demo).await,
        Command::CheckConfig => check_config(&cli.config),
        Command::Sign {
            appid,
            secret,
            data,
        } => sign_cmd(&cli.config, &appid, secret, &data),
        Command::Call(args) => return call(&cli.config, args).await,
        Command::Pay(PayCommand::Settle { out_trade_no, url }) => {
            settle(&cli.config, &out_trade_no, url).await
        }
        Command::Docs { json, codes } => {
            docs(json, codes);
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("yafgate: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `yafgate docs`: docs/methods.md, the JSON catalogue, or docs/codes.md.
fn docs(json: bool, codes: bool) {
    let registry = crate::registry();
    if json {
        let text = serde_json::to_string_pretty(&catalogue::catalogue(&registry))
            .expect("a JSON value serialises");
        println!("{text}");
    } else if codes {
        print!("{}", catalogue::codes_markdown(&registry));
    } else {
        print!("{}", registry.docs_markdown());
    }
}

fn load(path: &Path) -> anyhow::Result<Config> {
    Config::load(path).map_err(|e| anyhow::anyhow!("configuration refused: {e}"))
}

async fn serve(path: &Path) -> anyhow::Result<()> {
    let config = load(path)?;
    // Held to the end of `serve`: its drop writes out the queued lines.
    let _log_writer = super::logging::init_tracing(&config.settings.log);
    for why in config.exposures() {
        tracing::warn!(%why, "appid without limits or with every method (refused in pro)");
    }
    if config.settings.postgres.migrate_on_start {
        match crate::stores::migrate(&config.settings, false).await {
            Ok(r) => tracing::info!(applied = ?r.applied, "migrations checked"),
            // Serving without the store is still useful (ping, readyz) and
            // it recovers when PostgreSQL returns; `yafgate migrate` retries.
            Err(e) => tracing::error!(error = %format!("{e:#}"), "migrations not applied"),
        }
    }
    let app = super::Application::build(config, crate::registry()).await?;
    tracing::info!(port = app.port(), "yafgate listening");
    app.run_until_stopped(shutdown_signal()).await?;
    tracing::info!("yafgate stopped");
    Ok(())
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM");
            return std::future::pending().await;
        }
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received"),
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
    }
}

async fn migrate(path: &Path, demo: bool) -> anyhow::Result<()> {
    let config = load(path)?;
    let report = crate::stores::migrate(&config.settings, demo).await?;
    if report.applied.is_empty() {
        println!("migrations: up to date");
    }
    for m in &report.applied {
        println!("migrations: applied {m}");
    }
    for d in &report.demo {
        println!("demo data: loaded {d}");
    }
    Ok(())
}

fn check_config(path: &Path) -> anyhow::Result<()> {
    let config = load(path)?;
    let s = &config.settings;
    PayKeys::load(&s.payments).context("configuration refused")?;
    let mut apps: Vec<_> = config
        .apps
        .iter()
        .map(|a| format!("{}{}", a.appid, if a.enabled { "" } else { " (disabled)" }))
        .collect();
    apps.sort();
    for why in config.exposures() {
        println!("warning: {why}; env pro refuses it (docs/protocol.md §12.3)");
    }
    println!(
        "ok: {} (env {:?}, listen {}) and {} ({} appids: {})",
        path.display(),
        s.env,
        s.server.listen,
        s.apps_file.display(),
        apps.len(),
        apps.join(", ")
    );
    Ok(())
}

async fn settle(path: &Path, out_trade_no: &str, url: Option<String>) -> anyhow::Result<()> {
    let config = load(path)?;
    let s = &config.settings;
    let keys = PayKeys::load(&s.payments)?;
    let stores = crate::stores::Stores::build(s)?;
    let now = chrono::Utc::now().timestamp();
    let delivery = sandbox::settle_delivery(&stores, &s.payments, &keys, out_trade_no, now).await?;
    let base = url.unwrap_or_else(|| format!("http://{}", s.server.listen));
    let target = format!("{}/notify/pay/sandbox", base.trim_end_matches('/'));
    let status = delivery.post(&reqwest::Client::new(), &target).await?;
    if !(200..300).contains(&status) {
        bail!("{target} answered HTTP {status}");
    }
    println!("settled: {out_trade_no} (notification delivered to {target}, HTTP {status})");
    Ok(())
}

fn secret_for(path: &Path, appid: &str, secret: Option<String>) -> anyhow::Result<String> {
    if let Some(s) = secret {
        return Ok(s);
    }
    let config = load(path)?;
    let app = config.apps.get(appid).with_context(|| {
        format!(
            "appid {appid} is not in {}",
            config.settings.apps_file.display()
        )
    })?;
    Ok(app.secrets[0].value.expose().to_string())
}

fn sign_cmd(path: &Path, appid: &str, secret: Option<String>, data: &str) -> anyhow::Result<()> {
    let secret = secret_for(path, appid, secret)?;
    println!("data={data}");
    println!("sign={}", sign::sign(data.as_bytes(), &secret));
    Ok(())
}

async fn call(path: &Path, o: CallArgs) -> ExitCode {
    match call_inner(path, o).await {
        Ok(200) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("yafgate: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn call_inner(path: &Path, o: CallArgs) -> anyhow::Result<i64> {
    let config = load(path)?;
    let app = config.apps.get(&o.appid).with_context(|| {
        format!(
            "appid {} is not in {}",
            o.appid,
            config.settings.apps_file.display()
        )
    })?;
    let platform = o.platform.unwrap_or(match app.kind {
        AppKind::App => 1,
        AppKind::H5 | AppKind::Activity => 3,
        AppKind::MiniProgram => 6,
        _ => 4,
    });
    let now = chrono::Utc::now().timestamp();
    let device = Device::new(platform, &o.unique_id);
    let mut data = client::fixed_params(&o.method, &o.v, &o.appid, now, &device);
    data.insert("token".into(), Value::from(o.token.as_str()));
    for p in &o.params {
        let (k, v) = parse_param(p)?;
        data.insert(k, v);
    }
    let signed = Signed::new(&data, app.secrets[0].value.expose());
    let url = o
        .url
        .unwrap_or_else(|| format!("http://{}/", config.settings.server.listen));
    let mut attached = Vec::new();
    for f in &o.files {
        let (field, path) = f
            .split_once('=')
            .with_context(|| format!("--file {f}: use field=path"))?;
        let bytes = std::fs::read(path).with_context(|| format!("reading {path}"))?;
        let file_name = Path::new(path)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("file")
            .to_string();
        attached.push((field.to_string(), file_name, bytes));
    }
    let files: Vec<FilePart<'_>> = attached
        .iter()
        .map(|(field, file_name, bytes)| FilePart {
            field,
            file_name,
            content_type: "application/octet-stream",
            bytes,
        })
        .collect();
    let reply = client::post(&reqwest::Client::new(), &url, &signed, &files).await?;
    println!("{}", serde_json::to_string_pretty(&reply)?);
    Ok(reply.get("code").and_then(Value::as_i64).unwrap_or(0))
}

fn parse_param(p: &str) -> anyhow::Result<(String, Value)> {
    if let Some((k, raw)) = p.split_once(":=") {
        let v =
            serde_json::from_str(raw).with_context(|| format!("{k}:= needs JSON, got {raw}"))?;
        return Ok((k.to_string(), v));
    }
    match p.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), Value::from(v))),
        _ => bail!("parameter `{p}` is not key=value or key:=json"),
    }
}
