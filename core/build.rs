//! Embeds the built-in rules (`rules/<id>/rule.rhai`), their fixtures and the rule libraries
//! (`rules/lib/<name>.rhai`) into the core, so every surface (CLI, WASM, Python) carries the same
//! rules without reading files at run time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let rules_dir = manifest.join("..").join("rules");
    println!("cargo:rerun-if-changed={}", rules_dir.display());
    let mut rules = String::from("/// (file, source) of every built-in rule, in id order.\npub const RULES: &[(&str, &str)] = &[\n");
    let mut fixtures = String::from("/// (rule id, fixture path relative to the rule's fixtures folder, contents) of every built-in fixture.\npub const FIXTURES: &[(&str, &str, &[u8])] = &[\n");
    let mut ids: Vec<PathBuf> = fs::read_dir(&rules_dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.join("rule.rhai").is_file())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    for dir in ids {
        let id = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let rule = dir.join("rule.rhai");
        println!("cargo:rerun-if-changed={}", rule.display());
        let _ = writeln!(
            rules,
            "    (\"rules/{id}/rule.rhai\", include_str!({:?})),",
            rule.display().to_string()
        );
        let mut files = Vec::new();
        files_under(&dir.join("fixtures"), &mut files);
        for file in files {
            println!("cargo:rerun-if-changed={}", file.display());
            let rel = file
                .strip_prefix(dir.join("fixtures"))
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            let _ = writeln!(
                fixtures,
                "    ({id:?}, {rel:?}, include_bytes!({:?})),",
                file.display().to_string()
            );
        }
    }
    rules.push_str("];\n");
    fixtures.push_str("];\n");
    let mut libraries = String::from("/// (name, file, source) of every built-in rule library, in name order.\npub const LIBRARIES: &[(&str, &str, &str)] = &[\n");
    let lib_dir = rules_dir.join("lib");
    let mut files = Vec::new();
    files_under(&lib_dir, &mut files);
    let is_library = |f: &&PathBuf| {
        f.parent() == Some(lib_dir.as_path()) && f.extension().is_some_and(|e| e == "rhai")
    };
    for file in files.iter().filter(is_library) {
        println!("cargo:rerun-if-changed={}", file.display());
        let name = file
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = writeln!(
            libraries,
            "    ({name:?}, \"rules/lib/{name}.rhai\", include_str!({:?})),",
            file.display().to_string()
        );
    }
    libraries.push_str("];\n");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap_or_default()).join("builtin_rules.rs");
    let _ = fs::write(out, format!("{rules}\n{fixtures}\n{libraries}"));
}
