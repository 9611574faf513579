//! One guarded guess at an account's password or login code
//! (docs/protocol.md §8.6): reserve it, check it, settle it. The three
//! steps run in a task of their own, so a client that hangs up (or the
//! handler deadline) cannot leave a reservation unsettled.

use crate::domain::Mobile;
use crate::gate::attempts::{Attempts, Kind, Lock, Outcome, Refusal};
use crate::handler::{ApiError, ApiResult, Ctx, code};

/// The guess counters under this request's config.
pub fn attempts(ctx: &Ctx) -> Attempts<'_> {
    Attempts {
        stores: &ctx.state.stores,
        settings: &ctx.config.settings.guards,
    }
}

fn locked(ctx: &Ctx, lock: Lock) -> ApiError {
    let msg = match lock {
        Lock::Pair { until } => format!(
            "密码或验证码错误次数过多，登录已被限制，请于 {} 后再试",
            ctx.time_string(until)
        ),
        Lock::Mobile { until } => format!(
            "密码错误次数过多，密码登录已被限制，请于 {} 后再试，或使用短信验证码登录",
            ctx.time_string(until)
        ),
    };
    ApiError::new(code::LOGIN_LOCKED, msg)
}

/// What a guess refused while another is checked for the mobile answers.
pub const BUSY_MSG: &str = "操作过于频繁，请稍后再试";

/// Check one guess of `kind` at `mobile`'s secret from the caller's IP.
/// `check` answers `Ok(Ok(()))` for a right guess, `Ok(Err(refusal))` for
/// a wrong one (counted; the refusal is answered unless this failure
/// locked), `Err` when it could not check (not counted).
///
/// # Errors
/// 607 locked, 511 another guess in flight, the check's refusal, 500.
pub async fn guarded<F>(ctx: &Ctx, mobile: &Mobile, kind: Kind, check: F) -> ApiResult<()>
where
    F: Future<Output = ApiResult<Result<(), ApiError>>> + Send + 'static,
{
    let ctx = ctx.clone();
    let mobile = mobile.as_str().to_string();
    tokio::spawn(async move { run(&ctx, &mobile, kind, check).await })
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("guess task failed: {e}")))?
}

async fn run<F>(ctx: &Ctx, mobile: &str, kind: Kind, check: F) -> ApiResult<()>
where
    F: Future<Output = ApiResult<Result<(), ApiError>>>,
{
    let attempts = attempts(ctx);
    let guess = match attempts
        .reserve(mobile, ctx.caller.ip, kind, ctx.now())
        .await?
    {
        Ok(guess) => guess,
        Err(Refusal::Locked(lock)) => return Err(locked(ctx, lock)),
        Err(Refusal::Busy) => return Err(ApiError::new(code::RATE_LIMITED, BUSY_MSG)),
    };
    let verdict = check.await;
    let outcome = match &verdict {
        Ok(Ok(())) => Outcome::Right,
        Ok(Err(_)) => Outcome::Wrong,
        Err(_) => Outcome::Unchecked,
    };
    let lock = attempts.settle(guess, outcome, ctx.now()).await?;
    match (verdict?, lock) {
        (Ok(()), _) => Ok(()),
        // A code is still checked under the mobile's password lock.
        (Err(_), Some(l @ Lock::Pair { .. })) => Err(locked(ctx, l)),
        (Err(_), Some(l @ Lock::Mobile { .. })) if kind == Kind::Password => Err(locked(ctx, l)),
        (Err(refusal), _) => Err(refusal),
    }
}

/// Check `given` against an account's password `hash` as a guarded guess
/// on `mobile` (docs/protocol.md §8.6); `wrong` is answered for a wrong
/// one (and for an account without a password).
///
/// # Errors
/// 607 locked, 511 another guess in flight, `wrong`, 500.
pub async fn password(
    ctx: &Ctx,
    mobile: &Mobile,
    given: String,
    hash: Option<String>,
    wrong: ApiError,
) -> ApiResult<()> {
    let c = ctx.clone();
    guarded(ctx, mobile, Kind::Password, async move {
        let right = c.accounts().verify(given, hash).await?;
        Ok(if right { Ok(()) } else { Err(wrong) })
    })
    .await
}
