//! Starts a moto server (DynamoDB, Secrets Manager, Cognito) on a free loopback port.
//! The server is tied to this process: it stops when the process exits, even on a panic.
use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Moto {
    child: Child,
    pub endpoint: String,
}

/// The moto_server executable: `MOTO_SERVER`, else the project's `.venv`.
pub fn moto_binary() -> PathBuf {
    if let Ok(p) = std::env::var("MOTO_SERVER") {
        return PathBuf::from(p);
    }
    crate::manifest_dir().join("../.venv/bin/moto_server")
}

impl Moto {
    pub fn start() -> std::io::Result<Moto> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let bin = moto_binary();
        if !bin.exists() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} not found: run `make setup` (or set MOTO_SERVER)", bin.display()),
            ));
        }
        // The shell waits on its stdin, which only this process holds: when this process
        // ends for any reason the pipe closes and moto is killed with it.
        let script = format!("\"{}\" -H 127.0.0.1 -p {port} >/dev/null 2>&1 & pid=$!; read _; kill $pid 2>/dev/null", bin.display());
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .env("MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY", "HASH")
            .env("MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY", "HASH")
            // Authenticator codes are checked (against moto's one fixed secret), as Cognito does.
            .env("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let moto = Moto { child, endpoint };
        moto.wait_ready(Duration::from_secs(30))?;
        Ok(moto)
    }

    fn wait_ready(&self, limit: Duration) -> std::io::Result<()> {
        let addr = self.endpoint.trim_start_matches("http://").to_owned();
        let start = Instant::now();
        while start.elapsed() < limit {
            if std::net::TcpStream::connect(&addr).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(std::io::Error::new(std::io::ErrorKind::TimedOut, format!("moto did not start on {addr}")))
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(stdin) = self.child.stdin.as_mut() {
            let _ = stdin.write_all(b"\n");
        }
        let _ = self.child.wait();
    }
}
