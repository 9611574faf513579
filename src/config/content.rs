//! Settings of the content methods: where uploads go (`[upload]`) and the
//! app-shell links system.init hands out (`[init]`).

use serde::{Deserialize, Serialize};

/// Where uploads go and how they are addressed (system.upload).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UploadSettings {
    /// Folder the files host serves; images go under `images/YYYYMMDD/`.
    pub dir: std::path::PathBuf,
    /// Absolute URL of that folder; `image_url` = this + the relative path.
    pub public_base_url: String,
    /// Largest accepted image.
    pub max_image_bytes: usize,
    /// Where multipart file parts wait, on disk, while their request is
    /// checked (removed when it ends). Keep it outside `dir`, which is served.
    pub spool_dir: std::path::PathBuf,
    /// Images one user may upload per day (configured timezone).
    pub daily_per_user: u32,
}

impl Default for UploadSettings {
    fn default() -> Self {
        Self {
            dir: ".run/uploads".into(),
            public_base_url: "http://127.0.0.1:8080/files".into(),
            max_image_bytes: 2 * 1024 * 1024,
            spool_dir: ".run/spool".into(),
            daily_per_user: 100,
        }
    }
}

/// The app-shell links system.init hands out (docs/methods.md).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InitSettings {
    pub home_right_btn_url: String,
    pub service_txt: String,
    pub service_url: String,
    pub about_txt: String,
    pub about_url: String,
    pub feedback_txt: String,
    pub feedback_url: String,
}

impl Default for InitSettings {
    fn default() -> Self {
        Self {
            home_right_btn_url: String::new(),
            service_txt: "服务中心".into(),
            service_url: String::new(),
            about_txt: "关于我们".into(),
            about_url: String::new(),
            feedback_txt: "意见反馈".into(),
            feedback_url: String::new(),
        }
    }
}
