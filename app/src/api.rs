//! How the browser reaches the server: every server function is called
//! with the session cookie even when the page was served from another
//! origin (the static single-page bundle), and links to server resources
//! (CAPTCHA images and sounds) point at the server's address.
use std::future::Future;

use bytes::Bytes;
use futures::{Sink, Stream};
use leptos::server_fn::client::browser::BrowserClient;
use leptos::server_fn::client::{get_server_url, Client as ServerFnClient};
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::request::browser::{BrowserRequest, Request};
use leptos::server_fn::response::browser::BrowserResponse;

/// The address of a server resource: the configured server (a bundle built
/// with `CSR_API_URL`) or, by default, the page's own origin.
pub fn url(path: &str) -> String {
    format!("{}{path}", get_server_url())
}

/// `fetch` with `credentials: "include"`, otherwise the stock browser
/// client. Same-origin pages send their cookies either way; a page from a
/// trusted origin (see `cors.allowed_origins`) needs this to send them.
pub struct Client;

impl<E, IS, OS> ServerFnClient<E, IS, OS> for Client
where
    E: FromServerFnError,
    IS: FromServerFnError,
    OS: FromServerFnError,
{
    type Request = BrowserRequest;
    type Response = BrowserResponse;

    fn send(mut req: BrowserRequest) -> impl Future<Output = Result<BrowserResponse, E>> + Send {
        let credentialed = with_credentials(&mut req);
        let send = <BrowserClient as ServerFnClient<E, IS, OS>>::send(req);
        async move {
            match credentialed {
                Ok(()) => send.await,
                Err(e) => Err(E::from_server_fn_error(ServerFnErrorErr::Request(e))),
            }
        }
    }

    fn open_websocket(
        path: &str,
    ) -> impl Future<
        Output = Result<
            (
                impl Stream<Item = Result<Bytes, Bytes>> + Send + 'static,
                impl Sink<Bytes> + Send + 'static,
            ),
            E,
        >,
    > + Send {
        <BrowserClient as ServerFnClient<E, IS, OS>>::open_websocket(path)
    }

    fn spawn(future: impl Future<Output = ()> + Send + 'static) {
        <BrowserClient as ServerFnClient<E, IS, OS>>::spawn(future)
    }
}

/// Swaps the request inside `req` for a copy made with credentials
/// included. The copy keeps the original's abort signal, whose controller
/// stays with `req`, so dropping the call still cancels the fetch.
fn with_credentials(req: &mut BrowserRequest) -> Result<(), String> {
    let error = |e: web_sys::wasm_bindgen::JsValue| format!("{e:?}");
    // A request object is needed to take the original's place while the
    // copy is made; nothing is ever sent to it.
    let stand_in = web_sys::Request::new_with_str("about:blank").map_err(error)?;
    let original: web_sys::Request = std::mem::replace(&mut **req, Request::from(stand_in)).into();
    let init = web_sys::RequestInit::new();
    init.set_credentials(web_sys::RequestCredentials::Include);
    let copy = web_sys::Request::new_with_request_and_init(&original, &init).map_err(error)?;
    **req = Request::from(copy);
    Ok(())
}
