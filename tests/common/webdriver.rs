//! A small WebDriver client driving Debian's `chromium` through `chromedriver`, headless,
//! on loopback. Tests that use it FAIL when Chromium is missing: `.ci/run` installs it.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    port: u16,
    session: String,
    _driver: Child,
    _profile: tempfile::TempDir,
}

async fn call(port: u16, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| format!("connect to chromedriver: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", format!("127.0.0.1:{port}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(payload)))
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(format!("{method} {path}: {status}: {value}"));
    }
    Ok(value["value"].clone())
}

/// What chromedriver prints once it listens: `... started successfully on port N.`
fn announced_port(line: &str) -> Option<u16> {
    let (_, rest) = line.split_once("started successfully on port ")?;
    rest.trim_end().trim_end_matches('.').parse().ok()
}

impl Browser {
    /// Starts chromedriver and a fresh headless Chromium session of a Vietnamese
    /// reader. Panics (the test fails) when either is missing.
    pub async fn start() -> Browser {
        Browser::start_in("vi-VN,vi").await
    }

    /// A session whose browser asks for `accept_languages` (e.g. `en-US,en`).
    pub async fn start_in(accept_languages: &str) -> Browser {
        // Port held by its server: chromedriver binds port 0 itself and prints the port
        // it got, so no port is ever found free here and handed over. A driver that dies
        // before saying so (seen once on a machine loaded far beyond its cores) is
        // started again, twice at most, and what it printed is kept for the message.
        let mut said = Vec::new();
        let mut started = None;
        for _ in 0..3 {
            let mut driver = Command::new("chromedriver")
                .arg("--port=0")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect(
                    "chromedriver must be installed (apt-get install chromium chromium-driver)",
                );
            let mut lines = BufReader::new(driver.stdout.take().expect("stdout")).lines();
            let port = tokio::time::timeout(Duration::from_secs(60), async {
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(port) = announced_port(&line) {
                        return Ok(port);
                    }
                    said.push(line);
                }
                Err(())
            })
            .await;
            match port {
                Ok(Ok(port)) => {
                    started = Some((driver, lines, port));
                    break;
                }
                _ => {
                    let status = driver.try_wait().ok().flatten();
                    said.push(format!("(chromedriver {status:?})"));
                    let _ = driver.kill().await;
                }
            }
        }
        let Some((driver, mut lines, port)) = started else {
            panic!("chromedriver never printed the port it listens on: {said:?}");
        };
        // Keep reading its output, so a chatty driver never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if call(port, "GET", "/status", None)
                .await
                .is_ok_and(|v| v["ready"] == true)
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let binary = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("chromium must be installed (apt-get install chromium chromium-driver)");
        let caps = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "acceptInsecureCerts": true,
                "goog:chromeOptions": {
                    "binary": binary,
                    "prefs": { "intl.accept_languages": accept_languages },
                    "args": [
                        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        "--disable-dev-shm-usage", "--window-size=1200,900",
                        format!("--lang={}", accept_languages.split([',', '-']).next().unwrap_or("vi")),
                        format!("--user-data-dir={}", profile.path().display()),
                    ]
                }
            } }
        });
        let session = call(port, "POST", "/session", Some(caps))
            .await
            .expect("a Chromium session");
        let session = session["sessionId"]
            .as_str()
            .expect("session id")
            .to_string();
        Browser {
            port,
            session,
            _driver: driver,
            _profile: profile,
        }
    }

    async fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_cmd_with(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("WebDriver: {e}"))
    }

    async fn try_cmd(&self, method: &str, path: &str) -> Result<Value, String> {
        self.try_cmd_with(method, path, None).await
    }

    async fn try_cmd_with(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let full = format!("/session/{}{path}", self.session);
        call(self.port, method, &full, body).await
    }

    pub async fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url }))).await;
    }

    pub async fn url(&self) -> String {
        self.cmd("GET", "/url", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub async fn source(&self) -> String {
        self.cmd("GET", "/source", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page and returns
    /// its result. Runs outside the page's CSP, as WebDriver scripts do.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// Like [`Browser::execute`] for a script that calls its last argument when done.
    pub async fn execute_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.cmd(
            "POST",
            "/execute/async",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// Resizes the window, e.g. to a phone's 390 CSS pixels.
    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.cmd(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        )
        .await;
    }

    /// Makes the page behave as if its window had the system focus. A headless Chromium
    /// has no focused window of its own, so `document.hasFocus()` stays false and the
    /// first key may go nowhere; Chromium's DevTools focus emulation (through
    /// chromedriver's `goog/cdp/execute`) gives the page the focus a visitor's has.
    pub async fn emulate_focus(&self) {
        self.cmd(
            "POST",
            "/goog/cdp/execute",
            Some(json!({
                "cmd": "Emulation.setFocusEmulationEnabled",
                "params": { "enabled": true }
            })),
        )
        .await;
    }

    /// Presses keys on the focused element (WebDriver key codes, e.g. `\u{E004}` Tab).
    pub async fn press(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                [
                    json!({ "type": "keyDown", "value": c.to_string() }),
                    json!({ "type": "keyUp", "value": c.to_string() }),
                ]
            })
            .collect();
        self.cmd(
            "POST",
            "/actions",
            Some(json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] })),
        )
        .await;
    }

    /// The element matching `css`, waiting up to fifteen seconds for it to appear.
    pub async fn find(&self, css: &str) -> Element<'_> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let full = format!("/session/{}/element", self.session);
            let found = call(
                self.port,
                "POST",
                &full,
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
            if let Ok(v) = found {
                if let Some(id) = v[ELEMENT_KEY].as_str() {
                    return Element {
                        browser: self,
                        id: id.to_string(),
                    };
                }
            }
            assert!(
                Instant::now() < deadline,
                "no element matches `{css}` on {}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the page text contains `needle` (pages refresh themselves).
    pub async fn wait_for_text(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            // A page that refreshes itself between finding <body> and reading it leaves a
            // stale element: read again rather than fail.
            let body = self.find("body").await;
            let text = match self
                .try_cmd("GET", &format!("/element/{}/text", body.id))
                .await
            {
                Ok(v) => v.as_str().unwrap_or("").to_string(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "`{needle}` never appeared; page text:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    pub async fn close(self) {
        let _ = call(
            self.port,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        )
        .await;
    }
}

pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
}

impl Element<'_> {
    async fn cmd(&self, method: &str, what: &str, body: Option<Value>) -> Value {
        self.browser
            .cmd(method, &format!("/element/{}/{what}", self.id), body)
            .await
    }

    pub async fn click(&self) {
        self.cmd("POST", "click", Some(json!({}))).await;
    }

    pub async fn type_text(&self, text: &str) {
        self.cmd("POST", "clear", Some(json!({}))).await;
        self.cmd("POST", "value", Some(json!({ "text": text })))
            .await;
    }

    pub async fn text(&self) -> String {
        self.cmd("GET", "text", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub async fn attribute(&self, name: &str) -> String {
        self.cmd("GET", &format!("attribute/{name}"), None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}
