//! The runtime's CLI payloads (an artisan command, the warmer's ping) and its answers.

/// The artisan command as the runtime expects it: a leading `php artisan` dropped.
pub fn artisan_command(command: &str) -> String {
    crate::manifest::strip_artisan(command).to_string()
}

/// The CLI function's payload for `command`, built by a JSON serializer (quotes, newlines and any
/// character stay exactly as given).
pub fn command_payload(command: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "command": artisan_command(command) }))
        .unwrap_or_default()
}

/// The warmer's ping to one container.
pub fn warmer_ping() -> Vec<u8> {
    br#"{"warmer_ping":true}"#.to_vec()
}

/// What a command run on the CLI function answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandResult {
    /// The runtime ran the command: its output (decoded) and exit code.
    Ran { output: String, exit_code: i64 },
    /// The function failed (an unhandled error, a timeout): Lambda's error type and message.
    FunctionError { kind: String, message: String },
}

/// Reads a CLI invocation's answer: `function_error` is Lambda's `FunctionError` header (set when
/// the function failed), `payload` the response body.
pub fn command_result(function_error: Option<&str>, payload: &[u8]) -> CommandResult {
    let value: serde_json::Value = serde_json::from_slice(payload).unwrap_or_default();
    if let Some(kind) = function_error {
        let message = value
            .get("errorMessage")
            .and_then(|m| m.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| String::from_utf8_lossy(payload).into_owned());
        let kind = value
            .get("errorType")
            .and_then(|m| m.as_str())
            .unwrap_or(kind)
            .to_string();
        return CommandResult::FunctionError { kind, message };
    }
    let output = value
        .get("output")
        .and_then(|o| o.as_str())
        .map(|b64| {
            use base64::Engine;
            match base64::engine::general_purpose::STANDARD.decode(b64.trim()) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(_) => b64.to_string(),
            }
        })
        .unwrap_or_default();
    match value.get("exit_code").and_then(|c| c.as_i64()) {
        Some(exit_code) => CommandResult::Ran { output, exit_code },
        None => CommandResult::FunctionError {
            kind: "UnexpectedAnswer".into(),
            message: format!(
                "the runtime's answer has no exit_code: {}",
                String::from_utf8_lossy(&payload[..payload.len().min(300)])
            ),
        },
    }
}
