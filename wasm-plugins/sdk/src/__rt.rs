//! What the [`plugin!`](crate::plugin) macro expands to calls: the
//! interface's byte passing. Not for direct use.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{AbiType, Error, Finding, FromInput};

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub interface: u32,
    pub name: &'static str,
    pub version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'static str>,
    pub sections: &'static [&'static str],
    pub check: bool,
    pub functions: Vec<FunctionDecl>,
}

#[derive(Debug, Serialize)]
pub struct FunctionDecl {
    pub name: &'static str,
    pub params: Vec<ParamDecl>,
    pub result: String,
}

#[derive(Debug, Serialize)]
pub struct ParamDecl {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub ty: String,
}

/// The first element of an optional macro repetition.
pub fn first<T: Copy>(items: &[T]) -> Option<T> {
    items.first().copied()
}

/// `winspect_alloc`: a buffer of exactly `len` bytes, left to the host to
/// fill and to the next call to take back.
pub fn alloc(len: i32) -> i32 {
    let mut buffer = Vec::<u8>::with_capacity(len as u32 as usize);
    let ptr = buffer.as_mut_ptr();
    std::mem::forget(buffer);
    ptr as usize as i32
}

/// Takes back the buffer [`alloc`] gave for this call's input.
#[allow(unsafe_code)]
fn input(ptr: i32, len: i32) -> Vec<u8> {
    let len = len as u32 as usize;
    // SAFETY: the interface has the host call `winspect_alloc(len)` and pass
    // the address it returned, with the same `len`, after writing `len`
    // bytes there; `alloc` made that address a `Vec<u8>` of capacity exactly
    // `len` and forgot it, so this rebuilds that same vector, once.
    unsafe { Vec::from_raw_parts(ptr as u32 as usize as *mut u8, len, len) }
}

/// Leaves `bytes` in memory (the instance is discarded after the call) and
/// returns them packed as `(ptr << 32) | len`.
fn emit(bytes: Vec<u8>) -> i64 {
    let bytes = Box::leak(bytes.into_boxed_slice());
    let ptr = bytes.as_ptr() as usize as u64;
    ((ptr << 32) | bytes.len() as u64) as i64
}

fn emit_json(value: &impl Serialize) -> i64 {
    emit(serde_json::to_vec(value).unwrap_or_else(|e| {
        format!(
            "{{\"error\":{}}}",
            serde_json::Value::String(format!("cannot encode the output: {e}"))
        )
        .into_bytes()
    }))
}

pub fn manifest(manifest: &Manifest) -> i64 {
    emit_json(manifest)
}

#[derive(Serialize)]
struct Reply<'a, T: Serialize> {
    #[serde(skip_serializing_if = "Option::is_none")]
    findings: Option<&'a T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// The reply to a call: the result under `findings` (a check) or `value`
/// (a function), or the error the plugin reports.
fn reply<T: Serialize>(result: Result<T, Error>, as_findings: bool) -> i64 {
    let ok = result.as_ref().ok();
    emit_json(&Reply {
        findings: ok.filter(|_| as_findings),
        value: ok.filter(|_| !as_findings),
        error: result.as_ref().err().map(Error::message),
    })
}

pub fn check<I: FromInput>(ptr: i32, len: i32, check: fn(I) -> Result<Vec<Finding>, Error>) -> i64 {
    reply(I::from_input(input(ptr, len)).and_then(check), true)
}

pub fn function<T: AbiType>(
    ptr: i32,
    len: i32,
    body: impl FnOnce(Vec<serde_json::Value>) -> Result<T, Error>,
) -> i64 {
    let args = serde_json::from_slice::<Vec<serde_json::Value>>(&input(ptr, len));
    reply(args.map_err(Error::from).and_then(body), false)
}

/// The next argument, as the parameter `name`'s type.
pub fn arg<T: DeserializeOwned>(
    args: &mut impl Iterator<Item = serde_json::Value>,
    name: &str,
) -> Result<T, Error> {
    let value = args
        .next()
        .ok_or_else(|| Error::new(format!("argument `{name}` is missing")))?;
    serde_json::from_value(value).map_err(|e| Error::new(format!("argument `{name}`: {e}")))
}
