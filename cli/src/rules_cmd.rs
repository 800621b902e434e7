//! `kvcsi rules`: list, show, lint and test rules.

use crate::RuleArgs;
use anyhow::Result;
use clap::Subcommand;
use kvcsi_core::limits::ScriptLimits;
use kvcsi_core::rule::{self, fixtures, RuleOrigin};
use kvcsi_core::{fs, Lang};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// List the rules.
    List {
        #[command(flatten)]
        rules: RuleArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show what a rule detects, what it reads, the fix and references.
    Show {
        /// Rule id.
        id: String,
        #[command(flatten)]
        rules: RuleArgs,
        /// Language (en, ja, or both when omitted).
        #[arg(long)]
        lang: Option<String>,
    },
    /// Check rule files without evidence: syntax, metadata, patterns.
    Lint {
        /// Rule files or folders.
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// Run rules' own fixtures (must fire / must stay silent); built-in rules when no path.
    Test {
        /// Rule files or folders; the built-in rules when omitted.
        paths: Vec<String>,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the definitions file of the rule API for editors (rhai .d.rhai format).
    Definitions,
}

pub fn run(command: RulesCommand) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    match command {
        RulesCommand::List { rules, json } => {
            let engine = rules.engine()?;
            if json {
                let list: Vec<_> = engine.rules().rules.iter().map(|r| serde_json::json!({"id": r.meta.id, "severity": r.meta.severity, "cause": r.meta.cause, "title": r.meta.text("en", "title"), "title_ja": r.meta.text("ja", "title"), "needs": r.meta.needs, "source": r.source.file})).collect();
                writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
            } else {
                for r in &engine.rules().rules {
                    let cause = r
                        .meta
                        .cause
                        .map(|c| format!("cause {c}"))
                        .unwrap_or_default();
                    let origin = if r.source.origin == RuleOrigin::User {
                        format!("  ({})", r.source.file)
                    } else {
                        String::new()
                    };
                    writeln!(
                        out,
                        "{:<42} {:<8} {:<8} {}{origin}",
                        r.meta.id,
                        r.meta.severity.as_str(),
                        cause,
                        r.meta.text("en", "title").unwrap_or_default()
                    )?;
                }
            }
            print_load_errors(&engine);
            Ok(0)
        }
        RulesCommand::Show { id, rules, lang } => {
            let engine = rules.engine()?;
            let Some(rule) = engine.rules().get(&id) else {
                anyhow::bail!(kvcsi_core::Error::Input {
                    source_name: id.clone(),
                    message: "no rule with this id (see `kvcsi rules list`)".to_owned()
                });
            };
            let langs: Vec<Lang> = match lang.as_deref().map(Lang::parse) {
                Some(Some(l)) => vec![l],
                _ => vec![Lang::En, Lang::Ja],
            };
            writeln!(
                out,
                "{} ({}, {})",
                rule.meta.id,
                rule.meta.severity.as_str(),
                rule.source.file
            )?;
            if let Some(c) = rule.meta.cause {
                writeln!(out, "article cause: {c}")?;
            }
            writeln!(out, "reads: {}", rule.meta.needs.join(", "))?;
            if !rule.meta.supersedes.is_empty() {
                writeln!(out, "supersedes: {}", rule.meta.supersedes.join(", "))?;
            }
            if !rule.meta.libraries.is_empty() {
                writeln!(out, "libraries: {}", rule.meta.libraries.join(", "))?;
            }
            for (name, p) in &rule.meta.patterns {
                writeln!(
                    out,
                    "pattern {name}: {:?}{}",
                    p.literals,
                    p.regex
                        .as_deref()
                        .map(|r| format!(" confirm /{r}/"))
                        .unwrap_or_default()
                )?;
            }
            for lang in langs {
                writeln!(out, "\n[{}]", lang.as_str())?;
                if let Some(texts) = rule.meta.text.get(lang.as_str()) {
                    for (key, text) in texts {
                        writeln!(out, "  {key}: {text}")?;
                        if let Some(command) = rule.meta.commands.get(key) {
                            writeln!(out, "    $ {command}")?;
                        }
                    }
                }
            }
            if !rule.meta.references.is_empty() {
                writeln!(out, "\nreferences:")?;
                for r in &rule.meta.references {
                    writeln!(out, "  {r}")?;
                }
            }
            Ok(0)
        }
        RulesCommand::Lint { paths } => lint(&paths),
        RulesCommand::Test { paths, json } => test(&paths, json),
        RulesCommand::Definitions => {
            out.write_all(kvcsi_core::rule::definitions().as_bytes())?;
            Ok(0)
        }
    }
}

fn print_load_errors(engine: &kvcsi_core::Engine) {
    for error in &engine.rules().errors {
        let _ = writeln!(std::io::stderr(), "error: {error}");
    }
}

/// The fixtures folder of a user rule file.
fn fixtures_dir(file: &Path) -> PathBuf {
    if file.file_name().is_some_and(|n| n == "rule.rhai") {
        file.with_file_name("fixtures")
    } else {
        file.with_extension("fixtures")
    }
}

fn read_fixture_files(
    dir: &Path,
    prefix: &str,
    out: &mut Vec<(String, Vec<u8>)>,
) -> std::io::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if path.is_dir() {
            read_fixture_files(&path, &rel, out)?;
        } else {
            out.push((rel, std::fs::read(&path)?));
        }
    }
    Ok(())
}

fn lint(paths: &[String]) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    let sources = fs::rule_sources(paths)?;
    if sources.is_empty() {
        anyhow::bail!(kvcsi_core::Error::Input {
            source_name: paths.join(" "),
            message: "no .rhai rule file there".to_owned()
        });
    }
    let results = rule::lint(sources, &ScriptLimits::default());
    let (mut errors, mut warnings) = (0, 0);
    for r in &results {
        for e in &r.errors {
            writeln!(out, "error: {e}")?;
        }
        for w in &r.warnings {
            writeln!(out, "warning: {}: {w}", r.file)?;
        }
        errors += r.errors.len();
        warnings += r.warnings.len();
    }
    let ok = results.iter().filter(|r| r.errors.is_empty()).count();
    writeln!(
        out,
        "{} rule files: {ok} ok, {} with errors; {errors} errors, {warnings} warnings",
        results.len(),
        results.len() - ok
    )?;
    Ok(if errors == 0 { 0 } else { 1 })
}

fn test(paths: &[String], json: bool) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    let user = fs::rule_sources(paths)?;
    if !paths.is_empty() && user.is_empty() {
        anyhow::bail!(kvcsi_core::Error::Input {
            source_name: paths.join(" "),
            message: "no .rhai rule file there".to_owned()
        });
    }
    let engine = kvcsi_core::Engine::builder().rules(user.clone()).build();
    let mut tests = Vec::new();
    if paths.is_empty() {
        // Built-in regexes are compiled lazily, not at load: check them here.
        let lints = rule::lint(rule::builtin_sources(), &ScriptLimits::default());
        for rule in &engine.rules().rules {
            let mut test = fixtures::test_rule(
                &engine,
                &rule.meta.id,
                &rule.source.file,
                true,
                fixtures::builtin(&rule.meta.id),
            );
            for lint in lints.iter().filter(|l| l.file == rule.source.file) {
                test.problems
                    .extend(lint.errors.iter().map(ToString::to_string));
            }
            tests.push(test);
        }
    } else {
        for source in &user {
            let Some(rule) = engine
                .rules()
                .rules
                .iter()
                .find(|r| r.source.file == source.file)
            else {
                continue;
            };
            let mut files = Vec::new();
            read_fixture_files(&fixtures_dir(Path::new(&source.file)), "", &mut files)?;
            tests.push(fixtures::test_rule(
                &engine,
                &rule.meta.id,
                &rule.source.file,
                false,
                files,
            ));
        }
    }
    let load_errors: Vec<_> = engine
        .rules()
        .errors
        .iter()
        .filter(|e| paths.is_empty() || user.iter().any(|u| u.file == e.file))
        .collect();
    if json {
        let value = serde_json::json!({ "load_errors": load_errors, "rules": tests });
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
    } else {
        for error in &load_errors {
            writeln!(out, "FAIL  {}  (does not load)\n      {error}", error.file)?;
        }
        out.write_all(fixtures::render(&tests).as_bytes())?;
    }
    let failed = !load_errors.is_empty() || tests.iter().any(fixtures::RuleTest::failed);
    Ok(if failed { 1 } else { 0 })
}
