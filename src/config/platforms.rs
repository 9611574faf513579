//! The kinds of appid, and which platforms an appid may send
//! (docs/protocol.md §3.2, §12.1): its type's, or the narrower list its
//! `platforms` gives.

use serde::Deserialize;

use crate::protocol::types::Platform;

/// What kind of client an appid stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppKind {
    App,
    H5,
    Web,
    Admin,
    Activity,
    Partner,
    /// A WeChat mini-program: platform 6, its own session class
    /// (docs/protocol.md §8.2).
    MiniProgram,
}

impl AppKind {
    /// Back office and partner appids are servers, not devices: they may
    /// leave out the device parameters, send platform 5 and guard replays
    /// with `request_no` (docs/protocol.md §3.4).
    pub fn is_server(self) -> bool {
        matches!(self, Self::Admin | Self::Partner)
    }
}

/// The platforms of a type: 6 for a mini-program, 1–5 for a server
/// (admin, partner), 1–4 for the others.
pub fn of_kind(kind: AppKind) -> &'static [Platform] {
    use Platform::{Android, H5, Ios, MiniProgram, Server, Web};
    match kind {
        AppKind::MiniProgram => &[MiniProgram],
        AppKind::Admin | AppKind::Partner => &[Ios, Android, H5, Web, Server],
        _ => &[Ios, Android, H5, Web],
    }
}

/// An appid's platforms from its `platforms` key: each one of its type's,
/// at least one; the type's when the key is absent.
///
/// # Errors
/// The first number that is not a platform of the type, or an empty list.
pub fn compile(kind: AppKind, listed: Option<&[i64]>) -> Result<Vec<Platform>, String> {
    let Some(listed) = listed else {
        return Ok(of_kind(kind).to_vec());
    };
    if listed.is_empty() {
        return Err("platforms: give at least one, or leave the key out".into());
    }
    listed
        .iter()
        .map(|&n| {
            Platform::from_number(n)
                .filter(|p| of_kind(kind).contains(p))
                .ok_or_else(|| format!("platforms: {n} is not a platform of type {kind:?}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Platform::*;

    #[test]
    fn platforms_default_to_the_type_and_may_only_narrow_it() {
        assert_eq!(compile(AppKind::MiniProgram, None).unwrap(), [MiniProgram]);
        assert_eq!(
            compile(AppKind::App, None).unwrap(),
            [Ios, Android, H5, Web]
        );
        assert_eq!(
            compile(AppKind::Partner, None).unwrap(),
            [Ios, Android, H5, Web, Server]
        );
        assert_eq!(compile(AppKind::App, Some(&[2])).unwrap(), [Android]);
        for (kind, bad, why) in [
            (AppKind::App, &[6][..], "6 is not a platform of type App"),
            (AppKind::H5, &[5], "5 is not a platform"),
            (AppKind::MiniProgram, &[1], "1 is not a platform"),
            (AppKind::App, &[], "at least one"),
            (AppKind::App, &[9], "9 is not a platform"),
        ] {
            let err = compile(kind, Some(bad)).unwrap_err();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
    }
}
