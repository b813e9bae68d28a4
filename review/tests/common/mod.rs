//! Headless Chromium for the review page's tests and benchmark: found on PATH (Debian's
//! `chromium`) or `QLY_CHROMIUM`, driven over the DevTools Protocol.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

pub fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("QLY_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

pub fn require_chromium() -> Option<PathBuf> {
    let c = chromium();
    if c.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium not found and CI is set: install it (scripts/setup-env.sh)"
        );
        eprintln!("SKIPPED: chromium not found (install Debian `chromium` or set QLY_CHROMIUM)");
    }
    c
}

pub const FLAGS: [&str; 7] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

pub fn file_url(p: &Path) -> String {
    format!("file://{}", p.canonicalize().unwrap().display())
}

pub struct Browser {
    pub child: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Cdp {
    pub ws: WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>>,
    pub next_id: u64,
}

impl Cdp {
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let msg = json!({"id": id, "method": method, "params": params});
        self.ws.send(Message::text(msg.to_string())).unwrap();
        loop {
            let m = self.ws.read().unwrap();
            let Message::Text(t) = m else { continue };
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v["id"] == json!(id) {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    pub fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true, "awaitPromise": true}),
        );
        assert!(r.get("exceptionDetails").is_none(), "{expr}: {r}");
        r["result"]["value"].clone()
    }

    pub fn decisions(&mut self) -> Value {
        let s = self.eval("window.qlyDecisions()");
        serde_json::from_str(s.as_str().unwrap()).unwrap()
    }

    /// A real mouse click (pressed + released) at the centre of the element.
    pub fn click(&mut self, selector: &str) {
        let r = self.eval(&format!(
            "(() => {{ const e = document.querySelector('{selector}'); e.scrollIntoView({{block: 'center'}}); \
             const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
        ));
        let (x, y) = (r[0].as_f64().unwrap(), r[1].as_f64().unwrap());
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            );
        }
    }
}

/// The body of a plain HTTP GET; the DevTools server may not listen yet right after it wrote
/// its port file, so errors are returned for the caller to retry.
pub fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut bytes = Vec::new();
    // The server closes the connection after the response; a reset after the body is fine.
    let _ = s.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    Ok(text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default())
}

pub fn open_page(chrome: &Path, profile: &Path, url: &str) -> (Browser, Cdp) {
    let child = Command::new(chrome)
        .args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--remote-debugging-port=0")
        .arg("--window-size=1000,1000")
        .arg(url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let browser = Browser { child };
    let port_file = profile.join("DevToolsActivePort");
    // Generous: on a loaded shared machine a big page can take tens of seconds to load.
    let deadline = Instant::now() + Duration::from_secs(90);
    let port: u16 = loop {
        if let Ok(t) = std::fs::read_to_string(&port_file) {
            if let Some(Ok(p)) = t.lines().next().map(str::parse) {
                break p;
            }
        }
        assert!(
            Instant::now() < deadline,
            "chromium wrote no DevToolsActivePort"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let ws_url = loop {
        let list: Value = http_get(port, "/json/list")
            .ok()
            .and_then(|b| serde_json::from_str(&b).ok())
            .unwrap_or(json!([]));
        let page = list.as_array().and_then(|l| {
            l.iter()
                .find(|t| {
                    t["type"] == "page"
                        && t["url"].as_str().is_some_and(|u| u.starts_with("file://"))
                })
                .and_then(|t| t["webSocketDebuggerUrl"].as_str().map(String::from))
        });
        if let Some(u) = page {
            break u;
        }
        assert!(Instant::now() < deadline, "no page target");
        std::thread::sleep(Duration::from_millis(100));
    };
    let (ws, _) = tungstenite::connect(ws_url.as_str()).unwrap();
    if let tungstenite::stream::MaybeTlsStream::Plain(s) = ws.get_ref() {
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    }
    let mut cdp = Cdp { ws, next_id: 0 };
    loop {
        let ready = cdp.eval(
            "document.readyState === 'complete' && typeof window.qlyDecisions === 'function'",
        );
        if ready == json!(true) {
            break;
        }
        assert!(Instant::now() < deadline, "page did not load");
        std::thread::sleep(Duration::from_millis(100));
    }
    (browser, cdp)
}
