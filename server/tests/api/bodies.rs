//! Bodies a server function cannot read are the client's error: every
//! server function the app registers answers them with a 4xx and a clear
//! error, never a 500, and nothing is logged as a server error.
use crate::helpers::{captured_logs, spawn_app, TestApp};

/// Every server function the app registers, as `/api/…` paths.
fn server_fn_paths() -> Vec<String> {
    let mut paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _method)| path.to_owned())
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

impl TestApp {
    async fn send_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> reqwest::Response {
        self.client()
            .post(format!("{}{path}", self.address))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }
}

/// The bad bodies of the field report, by name.
fn bad_bodies() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    vec![
        (
            "fields missing",
            "application/x-www-form-urlencoded",
            b"unexpected=1".to_vec(),
        ),
        (
            "JSON sent as a form",
            "application/x-www-form-urlencoded",
            br#"{"login":"s1","password":"x"}"#.to_vec(),
        ),
        (
            "repeated fields",
            "application/x-www-form-urlencoded",
            b"login=a&login=b&password=x&password=y&current_password=a&current_password=b".to_vec(),
        ),
        (
            "not UTF-8",
            "application/x-www-form-urlencoded",
            vec![0xff, 0xfe, 0x3d, 0xff],
        ),
        (
            "a multipart body that stops half-way",
            "multipart/form-data; boundary=XyZ",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nlogin".to_vec(),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_server_function_answers_a_malformed_body_with_a_4xx() {
    // Arrange
    let app = spawn_app().await;
    let paths = server_fn_paths();
    assert!(
        paths.len() >= 30,
        "the app registers its server functions: {paths:?}"
    );
    assert!(paths.iter().any(|p| p == "/api/sign_in"), "{paths:?}");

    // Act
    let mut answers = vec![];
    for path in &paths {
        for (case, content_type, body) in bad_bodies() {
            let response = app.send_raw(path, content_type, body).await;
            answers.push((path.clone(), case, response.status().as_u16()));
        }
    }

    // Assert
    let server_errors: Vec<_> = answers.iter().filter(|(_, _, s)| *s >= 500).collect();
    assert!(server_errors.is_empty(), "5xx answers: {server_errors:?}");
    let sign_in: Vec<_> = answers
        .iter()
        .filter(|(p, _, _)| p == "/api/sign_in")
        .map(|(_, case, status)| (*case, *status))
        .collect();
    assert!(
        sign_in.iter().all(|(_, s)| *s == 400),
        "sign_in answers each malformed body with 400: {sign_in:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_body_gets_the_bad_request_error_and_no_server_error_log() {
    let app = spawn_app().await;

    let response = app
        .send_raw(
            "/api/sign_in",
            "application/x-www-form-urlencoded",
            b"password=only".to_vec(),
        )
        .await;

    assert_eq!(response.status(), 400);
    let error: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error, "BadRequest");
    assert!(
        !captured_logs().contains("internal error"),
        "a client's mistake is not logged as a server error"
    );
}

/// A request handed straight to the router (no socket: a refused body is
/// never half-sent).
pub(crate) async fn oneshot(
    app: &TestApp,
    path: &str,
    body: axum::body::Body,
    length: Option<usize>,
) -> (u16, String) {
    use tower::ServiceExt;
    let mut request = http::Request::post(path)
        .header("host", app.address.trim_start_matches("http://"))
        .header("origin", &app.address)
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(length) = length {
        request = request.header("content-length", length);
    }
    let response = server::router(app.state.clone())
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_twenty_megabyte_body_answers_413_declared_or_streamed() {
    let app = spawn_app().await;
    let big = 20 * 1024 * 1024;

    for path in server_fn_paths() {
        let body = axum::body::Body::from(vec![b'a'; big]);
        let (status, error) = oneshot(&app, &path, body, Some(big)).await;
        assert_eq!((status, error.as_str()), (413, "\"TooLarge\""), "{path}");
    }

    // Without a Content-Length: counted as it arrives, refused at the limit.
    let chunks = (0..40).map(|_| Ok::<_, std::io::Error>(vec![b'a'; 512 * 1024]));
    let body = axum::body::Body::from_stream(futures_util::stream::iter(chunks));
    let (status, error) = oneshot(&app, "/api/sign_in", body, None).await;
    assert_eq!((status, error.as_str()), (413, "\"TooLarge\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_well_formed_request_still_reaches_its_server_function() {
    let app = spawn_app().await;
    let password = app.create_account("s6100001").await;

    let response = app.sign_in(&app.client(), "s6100001", &password).await;

    assert_eq!(response.status(), 200);
}
