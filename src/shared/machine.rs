//! Status machines (docs/protocol.md §16): a record's status moves only
//! through a declared action, taken by an allowed actor, in one transaction
//! with its entry in `status_transitions`. Every product declares its
//! machines with these types and moves records with [`transition`].

use std::fmt::Write as _;

use crate::protocol::error::{ApiError, ApiResult};

/// A refusal a machine answers: the product's code and message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: u32,
    pub msg: &'static str,
}

impl Refusal {
    /// The refusal as the error a handler returns.
    pub fn error(self) -> ApiError {
        ApiError::new(self.code, self.msg)
    }
}

/// The kinds of actor an action may be taken by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    /// The user the record belongs to (`owner_column`).
    Owner,
    /// A back-office caller (an appid of type admin).
    Admin,
    /// A timed job of the gateway.
    System,
    /// A payment driver's verified notification.
    Payment,
}

impl By {
    /// The `actor_kind` written to `status_transitions`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::System => "system",
            Self::Payment => "payment",
        }
    }
}

/// Who takes an action, with their identity for the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A logged-in user, by id; must own the record.
    Owner(i64),
    /// A back-office appid.
    Admin(String),
    /// A job, by name.
    System(&'static str),
    /// A payment, by its reference (e.g. the out_trade_no).
    Payment(String),
}

impl Actor {
    /// The kind of this actor.
    pub fn kind(&self) -> By {
        match self {
            Self::Owner(_) => By::Owner,
            Self::Admin(_) => By::Admin,
            Self::System(_) => By::System,
            Self::Payment(_) => By::Payment,
        }
    }

    /// The `actor_id` written to `status_transitions`.
    pub fn id(&self) -> String {
        match self {
            Self::Owner(user) => user.to_string(),
            Self::Admin(s) | Self::Payment(s) => s.clone(),
            Self::System(job) => (*job).to_string(),
        }
    }
}

/// One action of a machine: from which states, to which, by whom, and the
/// refusal when the record is in none of the `from` states.
#[derive(Clone, Copy, Debug)]
pub struct Action {
    pub name: &'static str,
    pub from: &'static [i16],
    pub to: i16,
    pub by: &'static [By],
    /// Timestamp columns set to the transition's time (e.g. `pay_time`).
    pub stamps: &'static [&'static str],
    pub refusal: Refusal,
}

/// A status machine over one table. Identifiers are code, never input.
#[derive(Debug)]
pub struct Machine {
    /// The `machine` written to `status_transitions`.
    pub name: &'static str,
    pub table: &'static str,
    /// The BIGINT primary key (the recorded `record_id`).
    pub id_column: &'static str,
    /// A unique text key callers name records by (e.g. `order_sn`).
    pub code_column: &'static str,
    pub status_column: &'static str,
    /// The user id column [`By::Owner`] actions are checked against.
    pub owner_column: &'static str,
    /// Set to the transition's time on every transition, when not empty.
    pub updated_column: &'static str,
    pub states: &'static [(i16, &'static str)],
    pub actions: &'static [Action],
    /// The record does not exist, or is not the owner's (404 by §5).
    pub not_found: Refusal,
    /// The actor's kind may not take this action.
    pub not_allowed: Refusal,
}

impl Machine {
    /// The action called `name`.
    ///
    /// # Panics
    /// No such action: a programming error every test run catches.
    pub fn action(&self, name: &str) -> &Action {
        self.actions
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("machine {} has no action {name}", self.name))
    }

    /// The label of a status.
    pub fn label(&self, status: i16) -> &'static str {
        self.states
            .iter()
            .find(|(s, _)| *s == status)
            .map_or("", |(_, l)| l)
    }

    /// Every refusal the action can answer, the machine's first.
    pub fn refusals(&self, action: &str) -> Vec<(u32, &'static str)> {
        let a = self.action(action);
        [self.not_found, self.not_allowed, a.refusal]
            .iter()
            .map(|r| (r.code, r.msg))
            .collect()
    }

    fn update_sql(&self, a: &Action) -> String {
        let mut sql = format!("UPDATE {} SET {} = $1", self.table, self.status_column);
        let updated = Some(&self.updated_column).filter(|c| !c.is_empty());
        for col in a.stamps.iter().chain(updated) {
            let _ = write!(sql, ", {col} = to_timestamp($2)");
        }
        let _ = write!(
            sql,
            " WHERE {} = $3 AND {} = ANY($4)",
            self.id_column, self.status_column
        );
        sql
    }

    fn lock_sql(&self, key: &Key<'_>) -> String {
        let by = match key {
            Key::Id(_) => self.id_column,
            Key::Code(_) => self.code_column,
        };
        format!(
            "SELECT {}, {}, {} FROM {} WHERE {by} = $1 FOR UPDATE",
            self.id_column, self.status_column, self.owner_column, self.table
        )
    }
}

/// How the caller names the record.
#[derive(Clone, Copy, Debug)]
pub enum Key<'a> {
    Id(i64),
    Code(&'a str),
}

/// A transition made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub record_id: i64,
    pub from: i16,
    pub to: i16,
    /// Unix seconds, by the gateway's clock.
    pub at: i64,
}

/// Take `action` on the record `key` as `actor` at `now` (Unix seconds by
/// the gateway's clock), inside `tx`: lock the row, check actor and state,
/// update it conditionally and record the transition. The caller commits;
/// on a refusal nothing has been written.
///
/// # Errors
/// The machine's `not_found` or `not_allowed`, the action's refusal, or a
/// store error (500).
pub async fn transition(
    tx: &crate::stores::db::Tx<'_>,
    machine: &Machine,
    key: Key<'_>,
    action: &str,
    actor: &Actor,
    now: i64,
) -> ApiResult<Transition> {
    let a = machine.action(action);
    let lock = tx.prepare_cached(&machine.lock_sql(&key)).await?;
    let row = match key {
        Key::Id(id) => tx.query_opt(&lock, &[&id]).await?,
        Key::Code(code) => tx.query_opt(&lock, &[&code]).await?,
    };
    let Some(row) = row else {
        return Err(machine.not_found.error());
    };
    let (id, from, owner): (i64, i16, i64) = (row.get(0), row.get(1), row.get(2));
    check(machine, a, actor, from, owner)?;
    let update = tx.prepare_cached(&machine.update_sql(a)).await?;
    let from_states: Vec<i16> = a.from.to_vec();
    let n = tx
        .execute(&update, &[&a.to, &(now as f64), &id, &from_states])
        .await?;
    if n != 1 {
        // The row is locked and was checked: only a concurrent change
        // outside this function could get here.
        return Err(a.refusal.error());
    }
    record(tx, machine, a, id, from, actor, now).await?;
    Ok(Transition {
        record_id: id,
        from,
        to: a.to,
        at: now,
    })
}

/// The checks of a transition, in order: owner, actor kind, state.
fn check(machine: &Machine, a: &Action, actor: &Actor, from: i16, owner: i64) -> ApiResult<()> {
    if let Actor::Owner(user) = actor
        && *user != owner
    {
        return Err(machine.not_found.error());
    }
    if !a.by.contains(&actor.kind()) {
        return Err(machine.not_allowed.error());
    }
    if !a.from.contains(&from) {
        return Err(a.refusal.error());
    }
    Ok(())
}

async fn record(
    tx: &crate::stores::db::Tx<'_>,
    machine: &Machine,
    a: &Action,
    id: i64,
    from: i16,
    actor: &Actor,
    now: i64,
) -> ApiResult<()> {
    let insert = tx
        .prepare_cached(
            "INSERT INTO status_transitions (machine, record_id, action, from_status, to_status, \
             actor_kind, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8))",
        )
        .await?;
    tx.execute(
        &insert,
        &[
            &machine.name,
            &id,
            &a.name,
            &from,
            &a.to,
            &actor.kind().label(),
            &actor.id(),
            &(now as f64),
        ],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: Machine = Machine {
        name: "t",
        table: "things",
        id_column: "id",
        code_column: "sn",
        status_column: "st",
        owner_column: "user_id",
        updated_column: "updated_at",
        states: &[(0, "new"), (1, "done")],
        actions: &[Action {
            name: "finish",
            from: &[0],
            to: 1,
            by: &[By::Owner],
            stamps: &["done_time"],
            refusal: Refusal {
                code: 899,
                msg: "cannot finish",
            },
        }],
        not_found: Refusal {
            code: 404,
            msg: "missing",
        },
        not_allowed: Refusal {
            code: 898,
            msg: "not allowed",
        },
    };

    #[test]
    fn the_update_is_conditional_on_the_from_states_and_sets_the_stamps() {
        assert_eq!(
            M.update_sql(M.action("finish")),
            "UPDATE things SET st = $1, done_time = to_timestamp($2), updated_at = to_timestamp($2) \
             WHERE id = $3 AND st = ANY($4)"
        );
        assert_eq!(
            M.lock_sql(&Key::Code("x")),
            "SELECT id, st, user_id FROM things WHERE sn = $1 FOR UPDATE"
        );
    }

    #[test]
    fn checks_refuse_another_owner_then_another_kind_then_the_wrong_state() {
        let a = M.action("finish");
        let code = |r: ApiResult<()>| r.err().map(|e| e.code());
        assert_eq!(code(check(&M, a, &Actor::Owner(2), 0, 1)), Some(404));
        assert_eq!(
            code(check(&M, a, &Actor::Admin("adm".into()), 0, 1)),
            Some(898)
        );
        assert_eq!(code(check(&M, a, &Actor::Owner(1), 1, 1)), Some(899));
        assert_eq!(code(check(&M, a, &Actor::Owner(1), 0, 1)), None);
    }

    #[test]
    fn actors_are_recorded_by_kind_and_identity() {
        assert_eq!(
            (Actor::Owner(7).kind().label(), Actor::Owner(7).id()),
            ("owner", "7".to_string())
        );
        let job = Actor::System("orders.close_unpaid");
        assert_eq!(
            (job.kind().label(), job.id()),
            ("system", "orders.close_unpaid".to_string())
        );
        assert_eq!(M.label(1), "done");
        assert_eq!(M.refusals("finish").len(), 3);
    }
}
