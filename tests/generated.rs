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
