//! The method registry: name → handlers by minimum version, each with its
//! access level and a typed parameter struct whose schema documents it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use schemars::{JsonSchema, Schema};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::handler::context::Ctx;
use crate::handler::dialect::{self, Dialect};
use crate::handler::refusals;
use crate::protocol::Reply;
use crate::protocol::error::{ApiError, ApiResult};
use crate::protocol::types::Version;
use crate::shared::jobs::{Job, Sweep, Task};
use crate::shared::machine::Machine;
use crate::shared::pay::{AfterPaid, Subjects};

/// Who may call a method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone with a valid signature.
    Public,
    /// Anyone; a valid `token` makes the user known to the handler.
    OptionalUser,
    /// Only a logged-in user (602/601/603/606 otherwise).
    User,
}

impl Access {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::OptionalUser => "public (user when token given)",
            Self::User => "user",
        }
    }
}

/// How a method is registered: name, minimum version, access, and policy.
#[derive(Clone, Debug)]
pub struct Method {
    pub name: &'static str,
    pub since: Version,
    pub access: Access,
    /// Writes data: refused while the write switch is off.
    pub write: bool,
    /// Needs a request token unless config says otherwise; `None` means
    /// "as `write`".
    pub req_token: Option<bool>,
    /// Touches no store and skips the other-fixed-parameters step
    /// (only `system.ping`).
    pub bare: bool,
    /// Not idempotent although it does not write (a login, an SMS): the
    /// same signed bytes are served once (docs/protocol.md §11.5).
    pub no_replay: bool,
    pub summary: &'static str,
    pub aliases: &'static [&'static str],
    /// The (product, role) the user must hold (docs/protocol.md §8.11).
    pub role: Option<(&'static str, &'static str)>,
    /// Refusals the method can answer beyond the protocol's common ones
    /// (docs/protocol.md §5): code and message, for the catalogue.
    pub refusals: Vec<(u32, &'static str)>,
    /// An expensive read: at most `postgres.heavy_reads` of them run at
    /// once in a process (docs/protocol.md §11.3).
    pub heavy: bool,
}

impl Method {
    /// A public, read-only method available from `since` (e.g. "1.0.0").
    ///
    /// # Panics
    /// `since` is not a version; registration happens at start-up, so this
    /// is a programming error caught by every test run.
    pub fn new(name: &'static str, since: &str) -> Self {
        Self {
            name,
            since: since.parse().expect("registered versions are valid"),
            access: Access::Public,
            write: false,
            req_token: None,
            bare: false,
            no_replay: false,
            summary: "",
            aliases: &[],
            role: None,
            refusals: Vec::new(),
            heavy: false,
        }
    }

    /// An expensive read (a ranking over many rows): it waits its turn
    /// among `postgres.heavy_reads` in flight, and answers 511 when none
    /// comes within `postgres.heavy_wait_ms`.
    pub fn heavy(mut self) -> Self {
        self.heavy = true;
        self.refusals.push(refusals::HEAVY_BUSY);
        self
    }

    /// One line for the docs.
    pub fn summary(mut self, s: &'static str) -> Self {
        self.summary = s;
        self
    }

    /// Requires a logged-in user.
    pub fn user(mut self) -> Self {
        self.access = Access::User;
        self
    }

    /// Requires a logged-in user holding `role` in `product`; others are
    /// refused with 608 after the session check (docs/protocol.md §8.11).
    pub fn role(mut self, product: &'static str, role: &'static str) -> Self {
        self.access = Access::User;
        self.role = Some((product, role));
        self.refusals.push(refusals::ROLE_REQUIRED);
        self
    }

    /// Uses the user when a valid token is given, works without one.
    pub fn optional_user(mut self) -> Self {
        self.access = Access::OptionalUser;
        self
    }

    /// Writes data.
    pub fn write(mut self) -> Self {
        self.write = true;
        self
    }

    /// Override whether a request token is needed by default.
    pub fn req_token(mut self, needed: bool) -> Self {
        self.req_token = Some(needed);
        self
    }

    /// Touches no store; skips the other-fixed-parameters step.
    pub fn bare(mut self) -> Self {
        self.bare = true;
        self
    }

    /// Serve the same signed bytes only once, like a write.
    pub fn no_replay(mut self) -> Self {
        self.no_replay = true;
        self
    }

    /// Whether a replay of the same signed bytes is refused: every write
    /// method, and those registered with [`Method::no_replay`].
    pub fn refuses_replays(&self) -> bool {
        self.write || self.no_replay
    }

    /// The refusals this method can answer beyond the protocol's common
    /// ones, e.g. a machine action's (`Machine::refusals`).
    pub fn refuses(mut self, refusals: impl IntoIterator<Item = (u32, &'static str)>) -> Self {
        self.refusals.extend(refusals);
        self
    }

    /// The namespace: the name up to its first dot.
    pub fn namespace(&self) -> &'static str {
        self.name.split_once('.').map_or(self.name, |(ns, _)| ns)
    }

    /// Also answer under these names.
    pub fn aliases(mut self, names: &'static [&'static str]) -> Self {
        self.aliases = names;
        self
    }

    /// Whether a request token is needed, before config policy.
    pub fn needs_req_token_by_default(&self) -> bool {
        self.req_token.unwrap_or(self.write)
    }
}

type Invoke = dyn Fn(Ctx, Arc<Value>) -> BoxFuture<'static, ApiResult<Reply>> + Send + Sync;

/// One registered handler.
pub struct Entry {
    pub method: Method,
    /// Its namespace's dialect (the gateway's when it declared none).
    pub dialect: &'static Dialect,
    invoke: Arc<Invoke>,
    schema: fn() -> Schema,
}

impl Entry {
    /// Parse the parameters and run the handler.
    pub fn call(&self, ctx: Ctx, data: Arc<Value>) -> BoxFuture<'static, ApiResult<Reply>> {
        (self.invoke)(ctx, data)
    }

    /// The JSON schema of the parameters.
    pub fn schema(&self) -> Schema {
        (self.schema)()
    }
}

/// What a lookup found.
pub enum Lookup<'a> {
    Found(&'a Entry),
    /// No method of that name, or none old enough for the asked version.
    Missing,
}

/// All methods, by name.
#[derive(Default)]
pub struct Registry {
    methods: HashMap<&'static str, Vec<Arc<Entry>>>,
    /// The kinds of subject payments are for, with their on-paid hooks
    /// (docs/protocol.md, "Payments").
    pay_subjects: Subjects,
    /// The timed jobs the products declared, in registration order.
    jobs: Vec<Task>,
    /// The dialects the product namespaces declared, by namespace.
    dialects: HashMap<&'static str, &'static Dialect>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Register `handler` for `method`. Its parameters `P` are parsed from
    /// the request's data object; unknown keys are ignored.
    ///
    /// # Panics
    /// The same name and version registered twice (a programming error).
    pub fn add<P, F, Fut>(&mut self, mut method: Method, handler: F)
    where
        P: DeserializeOwned + JsonSchema + Send + 'static,
        F: Fn(Ctx, P) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<Reply>> + Send + 'static,
    {
        let dialect = self.dialect_of(method.namespace());
        if dialect.ill_typed_is_invalid {
            method.refusals.push((dialect.invalid, dialect.invalid_doc));
        }
        let handler = Arc::new(handler);
        let invoke: Arc<Invoke> = Arc::new(move |ctx: Ctx, data: Arc<Value>| {
            let handler = handler.clone();
            Box::pin(async move {
                let params = parse_params::<P>(&data).map_err(|e| dialect.ill_typed(e))?;
                handler(ctx, params).await
            })
        });
        let entry = Arc::new(Entry {
            dialect,
            method: method.clone(),
            invoke,
            schema: || schemars::schema_for!(P),
        });
        for name in std::iter::once(method.name).chain(method.aliases.iter().copied()) {
            let list = self.methods.entry(name).or_default();
            assert!(
                list.iter().all(|e| e.method.since != method.since),
                "{name} {} registered twice",
                method.since
            );
            list.push(entry.clone());
            list.sort_by(|a, b| b.method.since.cmp(&a.method.since));
        }
    }

    /// Make `d` the dialect of its namespace's methods. Declared before the
    /// namespace's first method.
    ///
    /// # Panics
    /// A namespace given two dialects, or one after its first method (a
    /// programming error caught by every test run).
    pub fn dialect(&mut self, d: &'static Dialect) {
        let prefix = format!("{}.", d.namespace);
        assert!(
            !self.methods.keys().any(|n| n.starts_with(&prefix)),
            "the dialect of {} declared after its methods",
            d.namespace
        );
        assert!(
            self.dialects.insert(d.namespace, d).is_none(),
            "{} has two dialects",
            d.namespace
        );
    }

    /// The dialect of `namespace`: its own, else the gateway's.
    pub fn dialect_of(&self, namespace: &str) -> &'static Dialect {
        self.dialects
            .get(namespace)
            .copied()
            .unwrap_or(&dialect::GATEWAY)
    }

    /// Register a kind of payable subject: a payment for one moves it by
    /// `machine`'s `pay` action, in the notification's transaction
    /// (docs/protocol.md, "Payments"), then runs `then`.
    pub fn on_paid(
        &mut self,
        kind: &'static str,
        machine: &'static Machine,
        then: Option<AfterPaid>,
    ) {
        self.pay_subjects.register(kind, machine, then);
    }

    /// The payable subject kinds.
    pub fn pay_subjects(&self) -> &Subjects {
        &self.pay_subjects
    }

    /// Add a timed job the scheduler runs (docs/protocol.md §17).
    ///
    /// # Panics
    /// A job whose action is no system action of its machine, or whose
    /// query does not lock what it finds, or a name added twice (a
    /// programming error caught by every test run).
    pub fn job(&mut self, job: Job) {
        self.task(Task::Move(job));
    }

    /// Add a timed statement over records without a machine (expired
    /// payments close).
    ///
    /// # Panics
    /// A statement that does not lock what it finds, or a name added twice.
    pub fn sweep(&mut self, sweep: Sweep) {
        self.task(Task::Sweep(sweep));
    }

    fn task(&mut self, task: Task) {
        if let Err(why) = task.check() {
            panic!("{why}");
        }
        assert!(
            self.jobs.iter().all(|j| j.name() != task.name()),
            "job {} added twice",
            task.name()
        );
        self.jobs.push(task);
    }

    /// The timed jobs, in the order they were added.
    pub fn jobs(&self) -> &[Task] {
        &self.jobs
    }

    /// The newest handler of `name` whose minimum version is at most `v`.
    pub fn find(&self, name: &str, v: &Version) -> Lookup<'_> {
        match self
            .methods
            .get(name)
            .and_then(|list| list.iter().find(|e| e.method.since <= *v))
        {
            Some(e) => Lookup::Found(e),
            None => Lookup::Missing,
        }
    }

    /// Every (name, entry) pair, sorted by name then newest version first.
    pub fn entries(&self) -> Vec<(&'static str, &Entry)> {
        let mut names: Vec<_> = self.methods.keys().copied().collect();
        names.sort_unstable();
        names
            .into_iter()
            .flat_map(|n| self.methods[n].iter().map(move |e| (n, e.as_ref())))
            .collect()
    }
}

/// Parse a handler's parameters, naming the parameter that is missing or
/// ill-typed (code 503).
///
/// # Errors
/// The first parameter that is missing or has the wrong type.
pub fn parse_params<P: DeserializeOwned>(data: &Value) -> ApiResult<P> {
    // Most requests are well-formed: read them without tracking the path
    // (which allocates per field visited), and read again with it only to
    // name the parameter of a refusal.
    if let Ok(params) = P::deserialize(data) {
        return Ok(params);
    }
    serde_path_to_error::deserialize::<_, P>(data).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let msg = if let Some(field) = inner
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
        {
            format!("缺少参数 {field}")
        } else if inner.starts_with("invalid type")
            || inner.starts_with("invalid value")
            || inner.starts_with("invalid length")
        {
            format!("参数 {path} 格式不正确")
        } else {
            format!("参数 {path} 不正确：{inner}")
        };
        ApiError::business(msg)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::types::{Int, Text};
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct P {
        /// 手机号
        mobile: Text,
        page: Int,
        #[serde(default)]
        keywords: Option<Text>,
    }

    #[test]
    fn missing_and_ill_typed_parameters_are_named() {
        let e = parse_params::<P>(&json!({"page": 1})).err().unwrap();
        assert_eq!(e.public_msg(), "缺少参数 mobile");
        let e = parse_params::<P>(&json!({"mobile": "1", "page": "x"}))
            .err()
            .unwrap();
        assert_eq!(e.public_msg(), "参数 page 格式不正确");
        assert_eq!(e.code(), 503);
        assert!(parse_params::<P>(&json!({"mobile": 1, "page": "2", "extra": [1]})).is_ok());
    }

    async fn v1(_: Ctx, _: P) -> ApiResult<Reply> {
        Ok(Reply::empty("v1"))
    }
    async fn v2(_: Ctx, _: P) -> ApiResult<Reply> {
        Ok(Reply::empty("v2"))
    }

    #[test]
    fn the_newest_handler_not_newer_than_v_is_chosen() {
        let mut r = Registry::new();
        r.add(Method::new("t.echo", "1.0.0"), v1);
        r.add(Method::new("t.echo", "1.2.0"), v2);
        let since = |v: &str| match r.find("t.echo", &v.parse().unwrap()) {
            Lookup::Found(e) => Some(e.method.since.to_string()),
            Lookup::Missing => None,
        };
        assert_eq!(since("1.1.9").as_deref(), Some("1.0.0"));
        assert_eq!(since("1.10.0").as_deref(), Some("1.2.0"));
        assert_eq!(since("1.2").as_deref(), Some("1.2.0"));
        assert_eq!(since("0.9"), None);
        assert!(matches!(
            r.find("t.nope", &"1.0".parse().unwrap()),
            Lookup::Missing
        ));
    }
}
