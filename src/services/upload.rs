//! Image uploads for system.upload (docs/methods.md): the type is read from
//! the bytes, the size is bounded, the file lands under a date folder with a
//! random name and is recorded in `files`; a failure leaves nothing behind.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::session::new_token;
use super::stores::Stores;
use crate::config::content::UploadSettings;
use crate::protocol::body::FilePart;
use crate::protocol::error::{ApiError, ApiResult};

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
/// `day` (`YYYYMMDD`).
///
/// # Errors
/// 503 when the part is empty, too large or not an image; 500 when the disk
/// or the database fails (then no file and no row remain).
pub async fn store_image(
    stores: &Stores,
    settings: &UploadSettings,
    part: &FilePart,
    user: i64,
    day: &str,
) -> ApiResult<Stored> {
    let kind = check(settings, part)?;
    let relative = format!("/images/{day}/{}.{}", new_token(), kind.ext);
    let path = settings.dir.join(relative.trim_start_matches('/'));
    write_file(&path, &part.bytes).await?;
    match record(stores, user, &relative, part, kind).await {
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

fn check(settings: &UploadSettings, part: &FilePart) -> ApiResult<ImageType> {
    let max = settings.max_image_bytes;
    if part.bytes.is_empty() {
        return Err(ApiError::business("上传的文件为空"));
    }
    if part.bytes.len() > max {
        return Err(ApiError::business(format!(
            "图片不能超过 {} KB",
            max / 1024
        )));
    }
    sniff(&part.bytes).ok_or_else(|| ApiError::business("只能上传 JPG、PNG、GIF 或 WebP 图片"))
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
    kind: ImageType,
) -> ApiResult<i64> {
    let sha = hex::encode(Sha256::digest(&part.bytes));
    let name: String = part
        .file_name
        .as_deref()
        .unwrap_or("")
        .chars()
        .take(255)
        .collect();
    let size = i64::try_from(part.bytes.len()).unwrap_or(i64::MAX);
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
