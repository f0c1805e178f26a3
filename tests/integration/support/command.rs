//! The `chanmix` binary run as a user runs it, in the style of just's `Test`:
//! `Chanmix::new().args(["check", "rules"]).status(0)` runs it and checks the exit code,
//! and the returned `Ran` holds what it printed.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};

/// The input cache of spawned runs: under target/, never the user's home cache.
pub const TEST_CACHE_DIR: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/chanmix-test-cache");

/// The binary under test. `CHANMIX_BIN` overrides Cargo's path: several worktrees
/// sharing one target folder overwrite each other's `target/debug/chanmix`.
pub fn binary() -> PathBuf {
    std::env::var_os("CHANMIX_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_chanmix")))
}

/// One command line to run.
#[must_use = "nothing runs until `output`, `status` or `spawn`"]
pub struct Chanmix {
    dir: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, Option<OsString>)>,
    file_size_limit_kb: Option<String>,
}

impl Chanmix {
    /// `chanmix` in the repository root, without colour or timings, with the input cache
    /// in `TEST_CACHE_DIR`.
    pub fn new() -> Chanmix {
        Chanmix {
            dir: super::repo().to_path_buf(),
            args: Vec::new(),
            env: Vec::new(),
            file_size_limit_kb: None,
        }
        .env("NO_COLOR", "1")
        .env("CHANMIX_CACHE_DIR", TEST_CACHE_DIR)
        .env_remove("CHANMIX_TIMINGS")
    }

    /// Runs in `dir` (relative paths in the arguments are relative to it).
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Chanmix {
        self.dir = dir.as_ref().to_path_buf();
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Chanmix {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    pub fn args<I, S>(self, args: I) -> Chanmix
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        args.into_iter().fold(self, Chanmix::arg)
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Chanmix {
        let value = value.as_ref().to_os_string();
        self.env.push((key.as_ref().to_os_string(), Some(value)));
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Chanmix {
        self.env.push((key.as_ref().to_os_string(), None));
        self
    }

    /// The input cache folder of this run.
    pub fn cache_dir(self, dir: impl AsRef<Path>) -> Chanmix {
        self.env("CHANMIX_CACHE_DIR", dir.as_ref())
    }

    /// Runs under `ulimit -f LIMIT` with SIGXFSZ ignored, so writing more than that many
    /// KiB fails with EFBIG as it does on a full disk.
    pub fn file_size_limit_kb(mut self, limit: &str) -> Chanmix {
        self.file_size_limit_kb = Some(limit.trim().to_string());
        self
    }

    fn command(&self) -> Command {
        let mut command = match &self.file_size_limit_kb {
            Some(limit) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!(
                        "trap '' XFSZ; ulimit -f {limit}; exec \"$0\" \"$@\""
                    ))
                    .arg(binary());
                sh
            }
            None => Command::new(binary()),
        };
        command.current_dir(&self.dir).args(&self.args);
        for (key, value) in &self.env {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command
    }

    /// `chanmix ARGS` as it would be typed, for messages.
    fn shown(&self) -> String {
        let args: Vec<_> = self.args.iter().map(|a| a.to_string_lossy()).collect();
        format!("chanmix {}", args.join(" "))
    }

    /// Runs it to the end, whatever the exit code.
    pub fn output(self) -> Ran {
        let output = self
            .command()
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary().display()));
        Ran::new(self.shown(), output)
    }

    /// Runs it and checks the exit code.
    pub fn status(self, code: i32) -> Ran {
        self.output().expect_code(code)
    }

    /// Runs it and checks that it succeeded (exit 0).
    pub fn success(self) -> Ran {
        self.status(0)
    }

    /// Starts it with stdout and stderr captured, for runs that race each other.
    pub fn spawn(self) -> Running {
        let child = self
            .command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary().display()));
        Running {
            shown: self.shown(),
            child,
        }
    }
}

impl Default for Chanmix {
    fn default() -> Chanmix {
        Chanmix::new()
    }
}

/// A run started with `Chanmix::spawn`.
pub struct Running {
    shown: String,
    child: Child,
}

impl Running {
    /// Waits for it to end, at most `limit`: a run still going then is killed and the
    /// test fails (a read that blocks on a FIFO must fail the test, not hang it). Its
    /// output is read meanwhile, so a run printing much never waits on a full pipe.
    pub fn wait_at_most(mut self, limit: std::time::Duration) -> Ran {
        use std::io::Read;
        fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut bytes);
                }
                bytes
            })
        }
        let stdout = drain(self.child.stdout.take());
        let stderr = drain(self.child.stderr.take());
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().ok().flatten() {
                break status;
            }
            if start.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("`{}` still ran after {limit:?}: it hangs", self.shown);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let output = Output {
            status,
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        };
        Ran::new(self.shown, output)
    }

    /// Waits for it to end.
    pub fn wait(self) -> Ran {
        let output = self
            .child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("{}: {e}", self.shown));
        Ran::new(self.shown, output)
    }
}

/// What one run did.
#[derive(Debug)]
pub struct Ran {
    /// The command line, for messages.
    pub shown: String,
    pub exit: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    fn new(shown: String, output: Output) -> Ran {
        Ran {
            shown,
            exit: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// The exit code (`None` when a signal ended it).
    pub fn code(&self) -> Option<i32> {
        self.exit.code()
    }

    /// Checks the exit code; the message shows the command and what it printed.
    pub fn expect_code(self, code: i32) -> Ran {
        assert_eq!(
            self.code(),
            Some(code),
            "`{}` exit code\n--- stderr:\n{}--- stdout:\n{}",
            self.shown,
            self.stderr,
            self.stdout
        );
        self
    }
}
