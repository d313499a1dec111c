//! The browser's WebAuthn API, reached through its JSON forms
//! (`PublicKeyCredential.parseCreationOptionsFromJSON`,
//! `parseRequestOptionsFromJSON` and `credential.toJSON()`), so no binary
//! field is encoded here: the server's options go in as it wrote them and
//! the authenticator's answer comes back as JSON for the server to check.
//! Without those functions (an old browser, or no JavaScript at all) the
//! passkey buttons are not shown.

/// A ceremony that did not produce an answer: cancelled, timed out, or not
/// possible with this browser or key. The browser's own reason is not
/// shown: it says nothing the user can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoAnswer;

#[cfg(any(feature = "hydrate", feature = "csr"))]
mod browser {
    use super::NoAnswer;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::js_sys::{Function, Object, Promise, Reflect, JSON};
    use web_sys::wasm_bindgen::{JsCast, JsValue};

    /// `PublicKeyCredential` and one of its static functions.
    fn class_function(name: &str) -> Option<(JsValue, Function)> {
        let class = Reflect::get(&web_sys::js_sys::global(), &"PublicKeyCredential".into()).ok()?;
        if class.is_undefined() {
            return None;
        }
        let function = Reflect::get(&class, &name.into()).ok()?.dyn_into().ok()?;
        Some((class, function))
    }

    pub fn supported() -> bool {
        let answers_json = class_function("parseCreationOptionsFromJSON")
            .and_then(|(class, _)| Reflect::get(&class, &"prototype".into()).ok())
            .and_then(|prototype| Reflect::get(&prototype, &"toJSON".into()).ok())
            .is_some_and(|to_json| to_json.is_function());
        answers_json && class_function("parseRequestOptionsFromJSON").is_some()
    }

    pub async fn conditional_available() -> bool {
        let Some((class, function)) = class_function("isConditionalMediationAvailable") else {
            return false;
        };
        let Ok(promise) = function.call0(&class).and_then(|p| p.dyn_into::<Promise>()) else {
            return false;
        };
        JsFuture::from(promise)
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }

    fn method(target: &JsValue, name: &str) -> Result<Function, JsValue> {
        Reflect::get(target, &name.into())?.dyn_into()
    }

    async fn ceremony(
        call: &str,
        parse: &str,
        options: &str,
        mediation: Option<&str>,
        signal: Option<&web_sys::AbortSignal>,
    ) -> Result<String, JsValue> {
        let (class, parse) = class_function(parse).ok_or(JsValue::NULL)?;
        let public_key = parse.call1(&class, &JSON::parse(options)?)?;
        let request = Object::new();
        Reflect::set(&request, &"publicKey".into(), &public_key)?;
        if let Some(mediation) = mediation {
            Reflect::set(&request, &"mediation".into(), &mediation.into())?;
        }
        if let Some(signal) = signal {
            Reflect::set(&request, &"signal".into(), signal)?;
        }
        let navigator = web_sys::window().ok_or(JsValue::NULL)?.navigator();
        let credentials = Reflect::get(&navigator, &"credentials".into())?;
        let promise: Promise = method(&credentials, call)?
            .call1(&credentials, &request)?
            .dyn_into()?;
        let credential = JsFuture::from(promise).await?;
        let plain = method(&credential, "toJSON")?.call0(&credential)?;
        Ok(JSON::stringify(&plain)?.into())
    }

    pub async fn create(options: &str) -> Result<String, NoAnswer> {
        ceremony(
            "create",
            "parseCreationOptionsFromJSON",
            options,
            None,
            None,
        )
        .await
        .map_err(|_| NoAnswer)
    }

    thread_local! {
        /// The autofill request waiting in the background, if any.
        static WAITING: std::cell::RefCell<Option<web_sys::AbortController>> =
            const { std::cell::RefCell::new(None) };
    }

    pub async fn get(options: &str, conditional: bool) -> Result<String, NoAnswer> {
        abort_waiting();
        if !conditional {
            return ceremony("get", "parseRequestOptionsFromJSON", options, None, None)
                .await
                .map_err(|_| NoAnswer);
        }
        let controller = web_sys::AbortController::new().map_err(|_| NoAnswer)?;
        let signal = controller.signal();
        WAITING.with(|w| *w.borrow_mut() = Some(controller));
        let parse = "parseRequestOptionsFromJSON";
        let answer = ceremony("get", parse, options, Some("conditional"), Some(&signal)).await;
        answer.map_err(|_| NoAnswer)
    }

    /// Ends the autofill request, if one waits: a browser runs one request
    /// at a time, and a page left behind should not keep one.
    pub fn abort_waiting() {
        if let Some(controller) = WAITING.with(|w| w.borrow_mut().take()) {
            controller.abort();
        }
    }
}

#[cfg(not(any(feature = "hydrate", feature = "csr")))]
mod browser {
    //! Rendered on the server: no ceremony can run, and the buttons that
    //! would start one are hidden until the page runs in a browser.
    use super::NoAnswer;

    pub fn supported() -> bool {
        false
    }

    pub async fn conditional_available() -> bool {
        false
    }

    pub async fn create(_options: &str) -> Result<String, NoAnswer> {
        Err(NoAnswer)
    }

    pub async fn get(_options: &str, _conditional: bool) -> Result<String, NoAnswer> {
        Err(NoAnswer)
    }

    pub fn abort_waiting() {}
}

pub use browser::{abort_waiting, conditional_available, create, get, supported};
