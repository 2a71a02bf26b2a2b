//! Debian's OpenSSH client for the SFTP tests: keys made by `ssh-keygen`
//! and `sftp` in batch mode.

#![allow(dead_code)] // not every test file that includes this module needs all of it

use std::path::{Path, PathBuf};

/// A key pair made by ssh-keygen; returns the private key's path and the
/// public key line.
pub fn keygen(dir: &Path, name: &str) -> (PathBuf, String) {
    let path = dir.join(name);
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&path)
        .status()
        .expect("ssh-keygen (openssh-client) is installed");
    assert!(status.success());
    let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
    (path, public.trim().to_owned())
}

pub struct Outcome {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `batch` with OpenSSH's sftp as `login` with `key`. Every line must
/// succeed for the batch to (`-b` stops at the first failure).
pub async fn sftp(port: u16, key: &Path, login: &str, cwd: &Path, batch: &str) -> Outcome {
    let batch_file = cwd.join("batch");
    std::fs::write(&batch_file, batch).unwrap();
    let out = tokio::process::Command::new("sftp")
        .current_dir(cwd)
        .args(["-b"])
        .arg(&batch_file)
        .args([
            "-P",
            &port.to_string(),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "PasswordAuthentication=no",
            "-o",
            "LogLevel=ERROR",
            "-i",
        ])
        .arg(key)
        .arg(format!("{login}@127.0.0.1"))
        .output()
        .await
        .expect("sftp (openssh-client) is installed");
    Outcome {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
