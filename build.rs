//! Embeds the default rule pack (fixtures/rules/*.yml) into the binary.

use std::fs;
use std::path::Path;

fn main() {
    let dir = Path::new("fixtures/rules");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| {
                    matches!(
                        path.extension().and_then(|e| e.to_str()),
                        Some("yml" | "yaml")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut code = String::from("const EMBEDDED: &[(&str, &str)] = &[\n");
    for file in &files {
        println!("cargo::rerun-if-changed={}", file.display());
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        // Resolved against the crate being compiled, not this checkout: cargo reuses a build
        // script's output for a copy of the crate elsewhere that shares the target dir.
        code.push_str(&format!(
            "    ({name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/fixtures/rules/{name}\"))),\n"
        ));
    }
    code.push_str("];\n");
    let out = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    fs::write(Path::new(&out).join("embedded_rules.rs"), code)
        .unwrap_or_else(|err| panic!("cannot write embedded_rules.rs: {err}"));
}
