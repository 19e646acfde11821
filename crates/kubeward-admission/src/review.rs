//! The `admission.k8s.io/v1` AdmissionReview wire format: the request the API server sends
//! and the response it expects (field names and semantics from the Kubernetes API reference
//! of `admission.k8s.io/v1`).

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::BTreeMap;

pub const API_VERSION: &str = "admission.k8s.io/v1";
pub const KIND: &str = "AdmissionReview";
/// The longest `uid` echoed (API server uids are 36-character UUIDs).
pub const MAX_UID_LEN: usize = 128;

/// The envelope of a request as read: everything optional, so that a malformed review is
/// answered with what it does say (its `uid` above all) rather than with a parse error.
#[derive(Debug, Deserialize)]
pub struct ReviewIn<'a> {
    #[serde(rename = "apiVersion", default)]
    pub api_version: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(borrow, default)]
    pub request: Option<Request<'a>>,
}

/// `GroupVersionKind`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Gvk {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub kind: String,
}

/// `GroupVersionResource`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Gvr {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub resource: String,
}

/// `authentication.k8s.io/v1 UserInfo` (the fields read).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct UserInfo {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub groups: Vec<String>,
}

/// `AdmissionRequest`. `object` and `oldObject` are kept as raw JSON: they go through the
/// same loader as a manifest file.
#[derive(Debug, Deserialize)]
pub struct Request<'a> {
    #[serde(default)]
    pub uid: Option<String>,
    #[serde(default)]
    pub kind: Gvk,
    #[serde(default)]
    pub resource: Gvr,
    #[serde(rename = "subResource", default)]
    pub sub_resource: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub namespace: String,
    #[serde(default)]
    pub operation: String,
    #[serde(rename = "userInfo", default)]
    pub user_info: UserInfo,
    #[serde(borrow, default)]
    pub object: Option<&'a RawValue>,
    #[serde(rename = "oldObject", borrow, default)]
    pub old_object: Option<&'a RawValue>,
    #[serde(rename = "dryRun", default)]
    pub dry_run: Option<bool>,
}

impl Request<'_> {
    /// The object, unless absent or `null`.
    pub fn object(&self) -> Option<&str> {
        self.object.map(RawValue::get).filter(|s| *s != "null")
    }

    /// The old object, unless absent or `null`.
    pub fn old_object(&self) -> Option<&str> {
        self.old_object.map(RawValue::get).filter(|s| *s != "null")
    }
}

/// `metav1.Status` of a response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// `Failure` when the request is denied.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub status: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub message: String,
    /// `Forbidden`, `Invalid`, `BadRequest`, `InternalError`, `Timeout`.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub reason: String,
    #[serde(default)]
    pub code: u16,
}

/// `AdmissionResponse`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    pub uid: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub status: Option<Status>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub warnings: Vec<String>,
    #[serde(
        rename = "auditAnnotations",
        skip_serializing_if = "BTreeMap::is_empty",
        default
    )]
    pub audit_annotations: BTreeMap<String, String>,
}

impl Response {
    /// Allowed, nothing to say.
    pub fn allow() -> Self {
        Response {
            allowed: true,
            ..Response::default()
        }
    }

    /// Denied with a status (`reason` as `metav1.StatusReason`, `code` the HTTP code the
    /// API server reports to the client).
    pub fn deny(code: u16, reason: &str, message: String) -> Self {
        Response {
            allowed: false,
            status: Some(Status {
                status: "Failure".into(),
                message,
                reason: reason.into(),
                code,
            }),
            ..Response::default()
        }
    }

    /// Allowed with an audit annotation (an exemption, an error the webhook fails open on).
    pub fn allow_annotated(key: &str, value: String) -> Self {
        let mut r = Response::allow();
        r.audit_annotations.insert(key.into(), value);
        r
    }
}

/// The envelope of an answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReviewOut {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub response: Response,
}

impl ReviewOut {
    pub fn new(response: Response) -> Self {
        ReviewOut {
            api_version: API_VERSION.into(),
            kind: KIND.into(),
            response,
        }
    }

    /// The JSON body.
    pub fn to_json(&self) -> Vec<u8> {
        // serializing plain strings, booleans and maps cannot fail
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The `uid` of a body that is not a well-formed review, when one can still be read: a JSON
/// document with `request.uid` a string, or else the first `"uid": "..."` in the text (up to
/// [`MAX_UID_LEN`] characters without escapes). Best effort: the answer to a broken request
/// carries the uid whenever the sender wrote one.
pub fn salvage_uid(body: &[u8]) -> Option<String> {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        return v
            .get("request")
            .and_then(|r| r.get("uid"))
            .and_then(|u| u.as_str())
            .filter(|u| u.len() <= MAX_UID_LEN)
            .map(str::to_string);
    }
    let window = &body[..body.len().min(1 << 20)];
    let needle = b"\"uid\"";
    let at = window.windows(needle.len()).position(|w| w == needle)?;
    let mut rest = &window[at + needle.len()..];
    let skip_ws = |r: &mut &[u8]| {
        while let Some((b' ' | b'\t' | b'\r' | b'\n', tail)) = r.split_first() {
            *r = tail;
        }
    };
    skip_ws(&mut rest);
    rest = rest.strip_prefix(b":")?;
    skip_ws(&mut rest);
    rest = rest.strip_prefix(b"\"")?;
    let end = rest.iter().take(MAX_UID_LEN + 1).position(|&b| b == b'"')?;
    let uid = &rest[..end];
    if uid.iter().any(|&b| b == b'\\' || b < 0x20) {
        return None;
    }
    std::str::from_utf8(uid).ok().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_is_salvaged_from_broken_bodies() {
        assert_eq!(
            salvage_uid(br#"{"request": {"uid": "abc"}, "x": "#).as_deref(),
            Some("abc")
        );
        assert_eq!(
            salvage_uid(br#"{"apiVersion": "v9", "request": {"uid": "u-1"}}"#).as_deref(),
            Some("u-1")
        );
        assert_eq!(salvage_uid(b"not json at all"), None);
        assert_eq!(salvage_uid(br#"{"uid": "a\"b"#), None);
        let long = format!(r#"{{"uid": "{}""#, "x".repeat(MAX_UID_LEN + 1));
        assert_eq!(salvage_uid(long.as_bytes()), None);
    }

    #[test]
    fn responses_serialize_as_the_api_server_reads_them() {
        let mut r = Response::deny(403, "Forbidden", "no".into());
        r.uid = "u".into();
        let json = String::from_utf8(ReviewOut::new(r).to_json()).unwrap();
        assert_eq!(
            json,
            r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u","allowed":false,"status":{"status":"Failure","message":"no","reason":"Forbidden","code":403}}}"#
        );
    }
}
