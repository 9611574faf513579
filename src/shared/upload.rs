//! Image uploads for system.upload (docs/methods.md): the size is bounded,
//! the type is read from the bytes and the image must decode fully (under
//! limits on its dimensions and memory), each user has a daily quota, the
//! file lands under a date folder with a random name and is recorded in
//! `files`; a failure leaves nothing behind.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use bytes::Bytes;
use redis::Script;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::config::content::UploadSettings;
use crate::gate::session::new_token;
use crate::protocol::body::FilePart;
use crate::protocol::error::{ApiError, ApiResult};
use crate::stores::Stores;

/// An image type recognised from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageType {
    pub mime: &'static str,
    pub ext: &'static str,
}

/// The image type of `bytes`, from their signature (never from the file
/// name or the client's Content-Type).
pub fn sniff(bytes: &[u8]) -> Option<ImageType> {
    let t = |mime, ext| Some(ImageType { mime, ext });
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => t("image/jpeg", "jpg"),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => t("image/png", "png"),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => t("image/gif", "gif"),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => t("image/webp", "webp"),
        _ => None,
    }
}

/// A stored upload.
#[derive(Debug)]
pub struct Stored {
    pub file_id: i64,
    /// `/images/20260101/<random>.png`
    pub relative_url: String,
}

/// Validate an uploaded part and store it for `user` under the folder of
/// `day` (`YYYYMMDD`), counting it against the user's quota of that day.
///
/// # Errors
/// 503 when the part is empty, too large, not an image that decodes, or
/// over the daily quota; 500 when the disk or a store fails (then no file,
/// no row and no quota use remain).
pub async fn store_image(
    stores: &Stores,
    settings: &UploadSettings,
    part: &FilePart,
    user: i64,
    day: &str,
) -> ApiResult<Stored> {
    let (bytes, kind) = read_image(settings, part).await?;
    let quota = Quota::new(stores, user, day);
    quota.reserve(settings.daily_per_user).await?;
    let stored = async {
        decode(bytes.clone(), kind).await?;
        let relative = format!("/images/{day}/{}.{}", new_token(), kind.ext);
        let path = settings.dir.join(relative.trim_start_matches('/'));
        write_file(&path, &bytes).await?;
        match record(stores, user, &relative, part, &bytes, kind).await {
            Ok(file_id) => Ok(Stored {
                file_id,
                relative_url: relative,
            }),
            Err(e) => {
                let _ = tokio::fs::remove_file(&path).await;
                Err(e)
            }
        }
    }
    .await;
    if stored.is_err() {
        quota.release().await;
    }
    stored
}

/// The part's bytes and image type, after the size checks (read from the
/// spool only once its size is known to be acceptable).
async fn read_image(settings: &UploadSettings, part: &FilePart) -> ApiResult<(Bytes, ImageType)> {
    let max = settings.max_image_bytes;
    if part.content.is_empty() {
        return Err(ApiError::business("上传的文件为空"));
    }
    if part.content.len() > max as u64 {
        return Err(ApiError::business(format!(
            "图片不能超过 {} KB",
            max / 1024
        )));
    }
    let bytes = part.content.read().await.map_err(|e| {
        ApiError::Internal(anyhow::Error::new(e).context("reading a spooled upload"))
    })?;
    let kind =
        sniff(&bytes).ok_or_else(|| ApiError::business("只能上传 JPG、PNG、GIF 或 WebP 图片"))?;
    Ok((bytes, kind))
}

/// Largest width or height accepted, in pixels.
const MAX_SIDE: u32 = 8192;
/// Most memory one decode may allocate.
const MAX_DECODE_BYTES: u64 = 64 * 1024 * 1024;

/// Decodes at once: decoding is CPU and memory heavy, so at most one per
/// core runs, the others wait their turn.
static DECODERS: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(1, |n| n.get())));

/// Decode the whole image as `kind`: a file that only starts like an image
/// (a JPEG header in front of a script) is refused.
async fn decode(bytes: Bytes, kind: ImageType) -> ApiResult<()> {
    let _turn = DECODERS
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("image decoders")))?;
    let decoded = tokio::task::spawn_blocking(move || decodes(&bytes, kind))
        .await
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("decoding an image")))?;
    if decoded {
        Ok(())
    } else {
        Err(ApiError::business("图片已损坏或不是有效的图片文件"))
    }
}

/// Whether `bytes` decode fully as `kind` within the limits.
fn decodes(bytes: &[u8], kind: ImageType) -> bool {
    let format = match kind.ext {
        "jpg" => image::ImageFormat::Jpeg,
        "png" => image::ImageFormat::Png,
        "gif" => image::ImageFormat::Gif,
        "webp" => image::ImageFormat::WebP,
        _ => return false,
    };
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    reader.decode().is_ok()
}

/// Reserve an upload in the day's count, unless it is full.
static RESERVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], 172800) end
if n > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return 0
end
return 1
",
    )
});

/// A user's uploads of one day, counted in Redis (so across instances).
struct Quota<'a> {
    stores: &'a Stores,
    key: String,
}

impl<'a> Quota<'a> {
    fn new(stores: &'a Stores, user: i64, day: &str) -> Self {
        Self {
            stores,
            key: stores.key(format!("upq:{user}:{day}")),
        }
    }

    async fn reserve(&self, per_day: u32) -> ApiResult<()> {
        let mut c = self.stores.redis();
        let ok: i64 = RESERVE
            .key(&self.key)
            .arg(per_day)
            .invoke_async(&mut c)
            .await?;
        if ok == 1 {
            Ok(())
        } else {
            Err(ApiError::business("今日上传次数已达上限，请明天再试"))
        }
    }

    /// Give back a reservation whose upload failed.
    async fn release(&self) {
        let mut c = self.stores.redis();
        let released: Result<i64, _> = redis::cmd("DECR").arg(&self.key).query_async(&mut c).await;
        if let Err(e) = released {
            tracing::warn!(error = %e, "upload quota not given back");
        }
    }
}

/// Write via a temporary name and rename, so a reader never sees half a file.
async fn write_file(path: &Path, bytes: &[u8]) -> ApiResult<()> {
    let internal = |e: std::io::Error, what: &str| {
        ApiError::Internal(anyhow::Error::new(e).context(format!("{what} {}", path.display())))
    };
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| internal(e, "creating the folder of"))?;
    }
    let tmp: PathBuf = path.with_extension("part");
    tokio::fs::write(&tmp, bytes)
        .await
        .map_err(|e| internal(e, "writing"))?;
    if let Err(e) = tokio::fs::rename(&tmp, path).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(internal(e, "renaming into"));
    }
    Ok(())
}

async fn record(
    stores: &Stores,
    user: i64,
    relative: &str,
    part: &FilePart,
    bytes: &[u8],
    kind: ImageType,
) -> ApiResult<i64> {
    let sha = hex::encode(Sha256::digest(bytes));
    let name: String = part
        .file_name
        .as_deref()
        .unwrap_or("")
        .chars()
        .take(255)
        .collect();
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let db = stores.pg().await?;
    let stmt = db
        .prepare_cached(
            "INSERT INTO files (user_id, relative_path, original_name, mime_type, size_bytes, sha256) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .await?;
    Ok(db
        .query_one(&stmt, &[&user, &relative, &name, &kind.mime, &size, &sha])
        .await?
        .get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_types_come_from_the_bytes() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest").unwrap().ext, "jpg");
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest").unwrap().ext, "png");
        assert_eq!(sniff(b"GIF89a...").unwrap().ext, "gif");
        assert_eq!(sniff(b"GIF87a...").unwrap().ext, "gif");
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 ").unwrap().ext, "webp");
        for not in [
            &b""[..],
            b"\xFF\xD8",
            b"%PDF-1.7",
            b"<svg xmlns",
            b"RIFF\x10\0\0\0WAVEfmt ",
            b"GIF88a",
        ] {
            assert!(sniff(not).is_none(), "{not:?}");
        }
    }
}
