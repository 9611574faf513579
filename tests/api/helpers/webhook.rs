//! A local HTTP receiver standing in for an SMS carrier's webhook.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// A received request: its Authorization header and JSON body.
pub type Delivery = (Option<String>, Value);

/// Records every JSON body posted to it; answers with a settable status.
pub struct Receiver {
    pub url: String,
    received: Arc<Mutex<Vec<Delivery>>>,
    status: Arc<AtomicU16>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Listen on a free loopback port.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/sms", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let (rec, st) = (received.clone(), status.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (rec, st) = (rec.clone(), st.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                        let (rec, st) = (rec.clone(), st.clone());
                        async move {
                            let auth = req
                                .headers()
                                .get("authorization")
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_string);
                            let body = req
                                .into_body()
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
                            rec.lock().unwrap().push((auth, json));
                            let mut r = Response::new(Full::new(Bytes::from_static(b"{}")));
                            *r.status_mut() =
                                hyper::StatusCode::from_u16(st.load(Ordering::Relaxed)).unwrap();
                            Ok::<_, Infallible>(r)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            url,
            received,
            status,
            task,
        }
    }

    /// Answer every later request with `status`.
    pub fn answer_with(&self, status: u16) {
        self.status.store(status, Ordering::Relaxed);
    }

    /// Bodies received so far, with their Authorization headers.
    pub fn received(&self) -> Vec<Delivery> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
