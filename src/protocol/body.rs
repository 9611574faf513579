//! Request bodies: form-urlencoded, multipart/form-data (file parts are not
//! signed) and JSON `{"data": "...", "sign": "..."}`, each reduced to the raw
//! `data` text, the `sign` and any files (docs/protocol.md §1.2). Multipart
//! bodies are read as a stream: the caller decides where file parts go
//! (the HTTP layer spools them to disk, so uploads are never held whole in
//! memory).

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use serde::Deserialize;

/// How many parts a multipart body may have at most.
const MAX_PARTS: usize = 16;

/// The body encodings the endpoint accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyKind {
    Form,
    Json,
    Multipart { boundary: String },
}

impl BodyKind {
    /// Recognise a Content-Type header; `None` means HTTP 415.
    pub fn from_content_type(header: &str) -> Option<Self> {
        let essence = header.split(';').next()?.trim();
        let is = |name: &str| essence.eq_ignore_ascii_case(name);
        if is("application/x-www-form-urlencoded") {
            Some(Self::Form)
        } else if is("application/json") {
            Some(Self::Json)
        } else if is("multipart/form-data") {
            multer::parse_boundary(header)
                .ok()
                .map(|boundary| Self::Multipart { boundary })
        } else {
            None
        }
    }

    /// Whether this is an upload (its size limit is the upload limit).
    pub fn is_multipart(&self) -> bool {
        matches!(self, Self::Multipart { .. })
    }
}

/// An uploaded file part.
#[derive(Debug, Clone)]
pub struct FilePart {
    /// The form field name (`image` for system.upload).
    pub field: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub content: FileContent,
}

/// Where a file part's bytes are.
#[derive(Debug, Clone)]
pub enum FileContent {
    /// Held in memory (small bodies parsed whole, unit tests, fuzzing).
    Memory(Bytes),
    /// Written to a temporary file, removed when the last clone is dropped.
    Spooled {
        path: Arc<tempfile::TempPath>,
        len: u64,
    },
}

impl FileContent {
    /// The number of bytes.
    pub fn len(&self) -> u64 {
        match self {
            Self::Memory(b) => b.len() as u64,
            Self::Spooled { len, .. } => *len,
        }
    }

    /// Whether the part is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All the bytes (read from disk when spooled).
    ///
    /// # Errors
    /// The spooled file cannot be read.
    pub async fn read(&self) -> std::io::Result<Bytes> {
        match self {
            Self::Memory(b) => Ok(b.clone()),
            Self::Spooled { path, .. } => tokio::fs::read(path.as_ref()).await.map(Bytes::from),
        }
    }
}

/// What is known of a file part before its bytes are read.
#[derive(Debug, Clone)]
pub struct FileHead {
    pub field: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
}

/// What a body says: the signed `data` text, its `sign`, unsigned files.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    /// Exactly the bytes the client signed. Empty when the body had none.
    pub data: Bytes,
    /// Empty when missing.
    pub sign: String,
    pub files: Vec<FilePart>,
    /// A form body whose `data` field held a literal `+`, which form
    /// decoding reads as a space (a hint for signature diagnostics,
    /// docs/protocol.md §2.1).
    pub form_plus: bool,
}

/// A body that could not be read as the declared encoding.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BodyError {
    #[error("body is not valid {0}")]
    Malformed(&'static str),
    #[error("body exceeds the size limit")]
    TooLarge,
    /// A file part could not be stored where the caller keeps them (our
    /// failure, not the client's).
    #[error("file part not stored: {0}")]
    Spool(String),
}

/// Reduce a complete body to a [`Submission`].
///
/// # Errors
/// The body is not what its Content-Type says, or a part is over `limit`.
pub async fn parse(kind: &BodyKind, body: Bytes, limit: usize) -> Result<Submission, BodyError> {
    match kind {
        BodyKind::Form => Ok(parse_form(&body)),
        BodyKind::Json => parse_json(&body),
        BodyKind::Multipart { boundary } => parse_multipart(boundary, body, limit).await,
    }
}

fn parse_form(body: &[u8]) -> Submission {
    let mut sub = Submission::default();
    let (mut have_data, mut have_sign) = (false, false);
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (k, v) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        match form_decode(k).as_ref() {
            "data" if !have_data => {
                sub.data = Bytes::from(form_decode(v).into_owned());
                sub.form_plus = literal_plus(pair);
                have_data = true;
            }
            "sign" if !have_sign => {
                sub.sign = form_decode(v).into_owned();
                have_sign = true;
            }
            _ => {}
        }
    }
    sub
}

/// One form-urlencoded name or value, decoded as `form_urlencoded::parse`
/// decodes it (`+` is a space, `%XX` a byte, a stray `%` itself, invalid
/// UTF-8 replaced), in one pass: this runs on every request's `data`.
fn form_decode(raw: &[u8]) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    if !raw.iter().any(|b| matches!(b, b'+' | b'%')) {
        return String::from_utf8_lossy(raw);
    }
    let hex = |b: u8| char::from(b).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        let escaped = match (b, raw.get(i + 1), raw.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        match (b, escaped) {
            (_, Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    match String::from_utf8(out) {
        Ok(text) => Cow::Owned(text),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// Whether a form pair's `+` was most likely a literal `+` of JSON text
/// put in unencoded (a form encoder would also have encoded its quotes and
/// braces) rather than an encoded space.
fn literal_plus(pair: &[u8]) -> bool {
    pair.contains(&b'+') && pair.iter().any(|b| b"\"{}:,".contains(b))
}

#[derive(Deserialize)]
struct JsonBody {
    data: Option<String>,
    sign: Option<String>,
}

fn parse_json(body: &[u8]) -> Result<Submission, BodyError> {
    let b: JsonBody = serde_json::from_slice(body).map_err(|_| BodyError::Malformed("JSON"))?;
    Ok(Submission {
        data: Bytes::from(b.data.unwrap_or_default()),
        sign: b.sign.unwrap_or_default(),
        files: Vec::new(),
        form_plus: false,
    })
}

async fn parse_multipart(
    boundary: &str,
    body: Bytes,
    limit: usize,
) -> Result<Submission, BodyError> {
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    parse_multipart_stream(boundary, stream, limit, limit, keep_in_memory).await
}

/// A file part's bytes, kept in memory.
///
/// # Errors
/// The part is malformed or over its limit.
pub async fn keep_in_memory(
    _head: FileHead,
    field: multer::Field<'static>,
) -> Result<FileContent, BodyError> {
    Ok(FileContent::Memory(
        field.bytes().await.map_err(multipart_error)?,
    ))
}

/// Read a multipart body from `stream`: the whole at most `limit` bytes,
/// the signed fields (`data`, `sign`) at most `field_limit` each and kept in
/// memory, and every file part handed to `store_file`, which decides where
/// its bytes go.
///
/// # Errors
/// The body is malformed, has too many parts, or is over a limit.
pub async fn parse_multipart_stream<S, O, E, F, Fut>(
    boundary: &str,
    stream: S,
    limit: usize,
    field_limit: usize,
    mut store_file: F,
) -> Result<Submission, BodyError>
where
    S: Stream<Item = Result<O, E>> + Send + 'static,
    O: Into<Bytes> + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    F: FnMut(FileHead, multer::Field<'static>) -> Fut,
    Fut: Future<Output = Result<FileContent, BodyError>>,
{
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(limit as u64)
            .per_field(limit as u64)
            .for_field("data", field_limit as u64)
            .for_field("sign", field_limit as u64),
    );
    let mut mp = multer::Multipart::with_constraints(stream, boundary.to_string(), constraints);
    let mut sub = Submission::default();
    let mut parts = 0;
    while let Some(field) = mp.next_field().await.map_err(multipart_error)? {
        parts += 1;
        if parts > MAX_PARTS {
            return Err(BodyError::Malformed("multipart (too many parts)"));
        }
        let head = FileHead {
            field: field.name().unwrap_or_default().to_string(),
            file_name: field.file_name().map(str::to_string),
            content_type: field.content_type().map(ToString::to_string),
        };
        match head.field.as_str() {
            "data" if head.file_name.is_none() && sub.data.is_empty() => {
                sub.data = field.bytes().await.map_err(multipart_error)?;
            }
            "sign" if head.file_name.is_none() && sub.sign.is_empty() => {
                let bytes = field.bytes().await.map_err(multipart_error)?;
                sub.sign = String::from_utf8(bytes.to_vec()).unwrap_or_default();
            }
            _ => {
                let content = store_file(head.clone(), field).await?;
                sub.files.push(FilePart {
                    field: head.field,
                    file_name: head.file_name,
                    content_type: head.content_type,
                    content,
                });
            }
        }
    }
    Ok(sub)
}

/// The refusal for a multer error.
pub fn multipart_error(e: multer::Error) -> BodyError {
    match e {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
            BodyError::TooLarge
        }
        _ => BodyError::Malformed("multipart"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn form_values_decode_as_form_urlencoded_does() {
        let samples: &[&[u8]] = &[
            b"",
            b"a",
            b"a+b",
            b"%7B%22k%22%3A1%7D",
            b"%",
            b"%4",
            b"%zz",
            b"%41%",
            b"+%2B+",
            b"%E4%BD%A0%E5%A5%BD",
            b"%FF%FE",
            b"\xe4\xbd",
            b"caf\xc3\xa9",
            b"a%2",
            b"%%41",
            b"100%25+sure",
            b"=x",
            b"%C3",
            b"%e4%bd%a0",
        ];
        for raw in samples {
            let pair = [b"k=", *raw].concat();
            let (_, expected) = form_urlencoded::parse(&pair).next().unwrap();
            assert_eq!(form_decode(raw), expected, "{raw:?}");
        }
        // Every byte value a pair can hold (parse_form splits on `&` first),
        // alone and after a percent sign.
        for b in (0..=255u8).filter(|b| *b != b'&') {
            for raw in [vec![b], vec![b'%', b, b'1'], vec![b'%', b'4', b]] {
                let pair = [b"k=".as_slice(), &raw].concat();
                let (_, expected) = form_urlencoded::parse(&pair).next().unwrap();
                assert_eq!(form_decode(&raw), expected, "{raw:?}");
            }
        }
    }

    use super::*;

    fn block<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn content_types_are_recognised_with_parameters() {
        assert_eq!(
            BodyKind::from_content_type("application/x-www-form-urlencoded; charset=UTF-8"),
            Some(BodyKind::Form)
        );
        assert_eq!(
            BodyKind::from_content_type("Application/JSON"),
            Some(BodyKind::Json)
        );
        assert_eq!(
            BodyKind::from_content_type("multipart/form-data; boundary=XyZ"),
            Some(BodyKind::Multipart {
                boundary: "XyZ".into()
            })
        );
        for bad in ["text/plain", "multipart/form-data", "", "application/xml"] {
            assert_eq!(BodyKind::from_content_type(bad), None, "{bad}");
        }
    }

    #[test]
    fn form_bodies_keep_the_exact_data_text() {
        let data = r#"{"a":"x y+z&","n":1}"#;
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("data", data)
            .append_pair("sign", "ABC")
            .append_pair("data", "second is ignored")
            .finish();
        let s = block(parse(&BodyKind::Form, Bytes::from(body), 1 << 20)).unwrap();
        assert_eq!(&s.data[..], data.as_bytes());
        assert_eq!(s.sign, "ABC");
    }

    #[test]
    fn a_plus_in_unencoded_json_is_noted_and_an_encoded_space_is_not() {
        let encoded: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("data", r#"{"a":"x y+z"}"#)
            .finish();
        let sub = parse_form(encoded.as_bytes());
        assert_eq!(&sub.data[..], br#"{"a":"x y+z"}"#);
        assert!(!sub.form_plus);
        let raw = parse_form(br#"data={"m":"+86"}&sign=x"#);
        assert_eq!(&raw.data[..], br#"{"m":" 86"}"#);
        assert!(raw.form_plus);
    }

    #[test]
    fn json_bodies_carry_data_as_a_string() {
        let s = block(parse(
            &BodyKind::Json,
            Bytes::from_static(br#"{"data":"{\"a\":1}","sign":"S"}"#),
            1 << 20,
        ))
        .unwrap();
        assert_eq!(&s.data[..], br#"{"a":1}"#);
        assert_eq!(s.sign, "S");
        for bad in [&b"{\"data\":{\"a\":1}}"[..], b"[1]", b"{", b""] {
            assert_eq!(
                block(parse(&BodyKind::Json, Bytes::from(bad.to_vec()), 1 << 20)).unwrap_err(),
                BodyError::Malformed("JSON")
            );
        }
    }

    fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Bytes {
        let mut b = Vec::new();
        for (name, file, bytes) in parts {
            b.extend_from_slice(b"--B\r\n");
            match file {
                Some(f) => b.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: image/png\r\n\r\n").as_bytes()),
                None => b.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
            }
            b.extend_from_slice(bytes);
            b.extend_from_slice(b"\r\n");
        }
        b.extend_from_slice(b"--B--\r\n");
        Bytes::from(b)
    }

    #[test]
    fn multipart_separates_signed_fields_from_files() {
        let kind = BodyKind::Multipart {
            boundary: "B".into(),
        };
        let body = multipart(&[
            ("data", None, b"{\"a\":1}"),
            ("sign", None, b"S"),
            ("image", Some("a.png"), b"\x89PNG"),
        ]);
        let s = block(parse(&kind, body, 1 << 20)).unwrap();
        assert_eq!(&s.data[..], b"{\"a\":1}");
        assert_eq!(s.sign, "S");
        assert_eq!(s.files.len(), 1);
        assert_eq!(s.files[0].field, "image");
        match &s.files[0].content {
            FileContent::Memory(b) => assert_eq!(&b[..], b"\x89PNG"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn truncated_or_oversized_multipart_is_refused() {
        let kind = BodyKind::Multipart {
            boundary: "B".into(),
        };
        let body = multipart(&[("data", None, b"{}")]);
        let cut = body.slice(..body.len() - 8);
        assert_eq!(
            block(parse(&kind, cut, 1 << 20)).unwrap_err(),
            BodyError::Malformed("multipart")
        );
        let big = multipart(&[("image", Some("a.png"), &[0u8; 4096])]);
        assert_eq!(
            block(parse(&kind, big, 1024)).unwrap_err(),
            BodyError::TooLarge
        );
    }
}
