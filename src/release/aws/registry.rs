//! The registry login a push needs, from ECR's authorization token; SDK types stop here.

use crate::direct::{fail, DirectError};
use crate::live::quota::acquire;
use crate::live::Clients;

/// A registry login from ECR: the endpoint to log in to, the user and the password. The password
/// is never shown (`Debug` hides it); it goes to the container tool on standard input only.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryLogin {
    pub endpoint: String,
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for RegistryLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryLogin")
            .field("endpoint", &self.endpoint)
            .field("user", &self.user)
            .field("password", &"(hidden)")
            .finish()
    }
}

/// Asks ECR for an authorization token (GetAuthorizationToken) and decodes it into a login.
pub async fn registry_login(clients: &Clients) -> Result<RegistryLogin, DirectError> {
    acquire("ecr", "GetAuthorizationToken").await;
    let out = clients
        .ecr
        .get_authorization_token()
        .send()
        .await
        .map_err(fail(
            "ECR",
            "GetAuthorizationToken",
            "the account's registry",
        ))?;
    let bad = |why: &str| {
        crate::direct::err(
            "ECR",
            "GetAuthorizationToken",
            "the account's registry",
            why,
        )
    };
    let data = out
        .authorization_data()
        .first()
        .ok_or_else(|| bad("ECR answered no authorization data"))?;
    let endpoint = data
        .proxy_endpoint()
        .ok_or_else(|| bad("ECR answered no proxy endpoint"))?
        .to_string();
    let token = data
        .authorization_token()
        .ok_or_else(|| bad("ECR answered no token"))?;
    let decoded = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(token.trim())
            .map_err(|_| bad("the token is not base64"))?
    };
    let text = String::from_utf8(decoded).map_err(|_| bad("the token is not text"))?;
    let (user, password) = text
        .split_once(':')
        .ok_or_else(|| bad("the token is not `user:password`"))?;
    Ok(RegistryLogin {
        endpoint,
        user: user.to_string(),
        password: password.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_never_debug_printed() {
        let login = RegistryLogin {
            endpoint: "https://r".into(),
            user: "AWS".into(),
            password: "s3cr3t-token".into(),
        };
        assert!(!format!("{login:?}").contains("s3cr3t"));
    }
}
