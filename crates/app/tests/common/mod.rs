//! The real binary serving the demo city, for tests that drive it over HTTP.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `gongjian serve --demo`; killed (SIGKILL) when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary on a free port against `url` (loading the demo city into an empty
/// database) and waits for the address it prints.
pub fn serve_demo(url: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gongjian"))
        .args(["--db", url, "serve", "--demo", "--addr", "127.0.0.1:0"])
        .env_remove("GONGJIAN_DB")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut base = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(i) = line.find("http://") {
            base = line[i..]
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches('/')
                .to_string();
            break;
        }
    }
    assert!(
        base.starts_with("http://127.0.0.1:"),
        "server address printed"
    );
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, base }
}
