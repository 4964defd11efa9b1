//! completions/ and man/ must match the clap definitions.
//! Regenerate with: PLUMB_REGENERATE=1 cargo test --test generated

use std::path::Path;

#[test]
fn completions_and_man_pages_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = plumb::generate::files().expect("generating completions and man pages");
    let regenerate = std::env::var_os("PLUMB_REGENERATE").is_some();
    let mut stale = Vec::new();
    for (relative, content) in &files {
        let path = root.join(relative);
        if regenerate {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, content).unwrap();
        } else if std::fs::read(&path).ok().as_ref() != Some(content) {
            stale.push(relative.clone());
        }
    }
    for dir in ["completions", "man"] {
        for entry in std::fs::read_dir(root.join(dir))
            .into_iter()
            .flatten()
            .flatten()
        {
            let relative = format!("{dir}/{}", entry.file_name().to_string_lossy());
            if !files.contains_key(&relative) {
                if regenerate {
                    std::fs::remove_file(entry.path()).unwrap();
                } else {
                    stale.push(format!("{relative} (no longer generated)"));
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files: {stale:?}\nregenerate them with: PLUMB_REGENERATE=1 cargo test --test generated"
    );
}

#[test]
fn every_man_page_a_page_names_exists_and_none_is_for_help() {
    let files = plumb::generate::files().expect("generating man pages");
    let pages: Vec<&String> = files.keys().filter(|k| k.starts_with("man/")).collect();
    assert!(!pages.iter().any(|p| p.contains("help")), "{pages:?}");
    for (page, content) in files.iter().filter(|(k, _)| k.starts_with("man/")) {
        let text = String::from_utf8_lossy(content).replace("\\-", "-");
        for word in text.split_whitespace() {
            if let Some(name) = word.strip_suffix("(1)") {
                assert!(
                    files.contains_key(&format!("man/{name}.1")),
                    "{page} names {name}(1), which is not generated"
                );
            }
        }
    }
}

#[test]
fn generate_man_writes_the_committed_pages_into_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("man1");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["generate", "man"])
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = plumb::generate::files().unwrap();
    let mut written = 0;
    for (relative, content) in files.iter() {
        if let Some(name) = relative.strip_prefix("man/") {
            assert_eq!(
                &std::fs::read(target.join(name)).unwrap(),
                content,
                "{name}"
            );
            written += 1;
        }
    }
    let listed = String::from_utf8_lossy(&out.stdout).lines().count();
    assert_eq!(listed, written, "each page written is named on stdout");
    assert!(target.join("plumb.1").is_file() && target.join("plumb-scan.1").is_file());
}

#[test]
fn the_license_file_is_the_license_cargo_toml_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"Apache-2.0\""));
    let license = std::fs::read_to_string(root.join("LICENSE")).expect("a LICENSE file");
    let words: Vec<&str> = license.split_whitespace().take(4).collect();
    assert_eq!(words, ["Apache", "License", "Version", "2.0,"]);
    assert!(
        license.contains("END OF TERMS AND CONDITIONS"),
        "the full text"
    );
}
