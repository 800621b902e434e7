//! Folder walking, stdin and path naming: the one place the CLI and Python read evidence from
//! disk. Files are streamed in fixed chunks, never read whole.

use crate::error::Error;
use crate::Session;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Bytes read per chunk.
pub const CHUNK: usize = 1 << 20;

/// Files skipped while walking folders: rule files, suppression lists and VCS metadata are
/// not evidence.
fn is_evidence_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    !(name.starts_with('.')
        || name.ends_with(".rhai")
        || name == "expected.json"
        || name == "README.md")
}

/// One evidence source on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Canonical name: the path as given, `/` separators; `-` for stdin.
    pub name: String,
    /// Path to read, `None` for stdin.
    pub path: Option<PathBuf>,
}

/// The canonical name of a path as the user gave it.
pub fn canonical_name(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map(str::to_owned).unwrap_or(text)
}

/// Expands paths: files as given, folders walked recursively in name order (hidden entries
/// and symlinked folders skipped), `-` as stdin. A path that does not exist is an error.
pub fn expand(paths: &[String]) -> Result<Vec<Source>, Error> {
    let mut sources = Vec::new();
    for given in paths {
        if given == "-" {
            sources.push(Source {
                name: "-".to_owned(),
                path: None,
            });
            continue;
        }
        let path = PathBuf::from(given);
        let meta = std::fs::metadata(&path).map_err(|source| Error::Io {
            path: given.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk(&path, &mut sources).map_err(|source| Error::Io {
                path: given.clone(),
                source,
            })?;
        } else {
            sources.push(Source {
                name: canonical_name(&path),
                path: Some(path),
            });
        }
    }
    Ok(sources)
}

fn walk(dir: &Path, out: &mut Vec<Source>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        let meta = std::fs::symlink_metadata(&path)?;
        if hidden || meta.file_type().is_symlink() && path.is_dir() {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else if is_evidence_file(&path) {
            out.push(Source {
                name: canonical_name(&path),
                path: Some(path),
            });
        }
    }
    Ok(())
}

/// Streams every source into the session.
pub fn feed_all(session: &mut Session<'_>, sources: &[Source]) -> Result<(), Error> {
    for source in sources {
        let mut reader: Box<dyn Read> = match &source.path {
            Some(path) => Box::new(std::fs::File::open(path).map_err(|e| Error::Io {
                path: source.name.clone(),
                source: e,
            })?),
            None => Box::new(std::io::stdin().lock()),
        };
        let mut fed = false;
        loop {
            let n = match session.feed_from(&source.name, &mut reader, CHUNK) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Error::Io {
                        path: source.name.clone(),
                        source: e,
                    })
                }
            };
            fed |= n > 0;
        }
        if !fed {
            session.feed(&source.name, &[]);
        }
        session.end(&source.name);
    }
    Ok(())
}

/// Reads and parses suppression files, in the order given; entries name the path as given.
pub fn suppressions(paths: &[String]) -> Result<crate::report::SuppressionList, Error> {
    let mut list = crate::report::SuppressionList::default();
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        list.entries
            .extend(crate::report::SuppressionList::parse(path, &text)?.entries);
    }
    Ok(list)
}

/// Reads user rule files from folders (`*.rhai` and `<id>/rule.rhai`), in name order.
pub fn rule_sources(dirs: &[String]) -> Result<Vec<crate::RuleSource>, Error> {
    let mut out = Vec::new();
    for dir in dirs {
        let path = PathBuf::from(dir);
        let meta = std::fs::metadata(&path).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        let mut files = Vec::new();
        if meta.is_file() {
            files.push(path);
        } else {
            collect_rules(&path, &mut files).map_err(|source| Error::Io {
                path: dir.clone(),
                source,
            })?;
        }
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|source| Error::Io {
                path: canonical_name(&file),
                source,
            })?;
            out.push(crate::RuleSource::user(canonical_name(&file), text));
        }
    }
    Ok(out)
}

fn collect_rules(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if path
                .file_name()
                // Fixtures are evidence, and `lib` holds rule libraries, not rules.
                .is_some_and(|n| {
                    n == "fixtures" || n == "lib" || n.to_string_lossy().ends_with(".fixtures")
                })
            {
                continue;
            }
            collect_rules(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rhai")
            && !path.to_string_lossy().ends_with(".d.rhai")
        {
            out.push(path);
        }
    }
    Ok(())
}
