//! Bad command lines are refused with a message naming the flag and what was expected.

use std::process::Command;

fn refused(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .output()
        .expect("run sim");
    assert!(!out.status.success(), "{args:?} was accepted");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_arguments_are_explained() {
    let e = refused(&["--listen", "udpin:127.0.0.1:0", "--home", "27.0"]);
    assert!(e.contains("--home") && e.contains("LAT,LON,AMSL_M"), "{e}");
    let e = refused(&["--listen", "udpin:127.0.0.1:0", "--home", "95,106.9,1000"]);
    assert!(e.contains("--home"), "{e}");
    let e = refused(&["--listen", "udpout:127.0.0.1:14550"]);
    assert!(e.contains("udpin:HOST:PORT or tcpin:HOST:PORT"), "{e}");
    let e = refused(&["--connect", "bogus"]);
    assert!(e.contains("--connect") && e.contains("scheme"), "{e}");
    let e = refused(&[]);
    assert!(e.contains("--listen ADDR or --connect ADDR"), "{e}");
    let e = refused(&["--listen", "udpin:127.0.0.1:0", "--speedup", "0"]);
    assert!(e.contains("--speedup"), "{e}");
    let e = refused(&["--listen", "udpin:127.0.0.1:0", "--loss-pct", "150"]);
    assert!(e.contains("--loss-pct"), "{e}");
    let e = refused(&["--listen", "udpin:127.0.0.1:0", "--signing-key", "abcd"]);
    assert!(e.contains("64 hex digits"), "{e}");
    let e = refused(&["--listen", "udpin:127.0.0.1:0", "--require-signing"]);
    assert!(e.contains("--signing-key"), "{e}");
}

/// A home south of the equator starts with '-': it is a value, not a flag. (The run is then
/// refused for its --speedup, which is checked after the arguments were parsed.)
#[test]
fn a_negative_home_is_a_value() {
    for home in ["-35.363262,149.165237,584", "-35.363262,-149.165237"] {
        let e = refused(&[
            "--listen",
            "udpin:127.0.0.1:0",
            "--home",
            home,
            "--speedup",
            "0",
        ]);
        assert!(e.contains("--speedup"), "{e}");
        assert!(!e.contains("--home"), "{e}");
    }
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_sim_cleanly_with_link_counters() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let mut child = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["--listen", "udpin:127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start sim");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    out.read_line(&mut first).expect("read");
    assert!(first.contains("bound to 127.0.0.1:"), "{first}");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let end = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > end {
            let _ = child.kill();
            panic!("sim did not stop within 10 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit}");
    let mut last = String::new();
    out.read_line(&mut last).expect("read");
    assert!(last.starts_with("sim: stopped; frames sent"), "{last}");
}
