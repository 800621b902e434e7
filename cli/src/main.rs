//! `kvcsi`: diagnose Azure Key Vault Secrets Store CSI mount failures from the evidence you have.

// Unsafe code is forbidden here as in the workspace lints: evidence and rules are hostile, and
// memory safety is what keeps them contained (see docs/security.md).
#![forbid(unsafe_code)]

mod rules_cmd;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use kvcsi_core::engine::EngineBuilder;
use kvcsi_core::report::{html, markdown, text, SuppressionList};
use kvcsi_core::{fs, Engine, Lang, Options, Report};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "kvcsi",
    version,
    about = "Diagnose Azure Key Vault Secrets Store CSI mount failures on AKS from pod logs, events and command output."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check evidence: files, folders, .tar.gz bundles, or - for stdin.
    Check(CheckArgs),
    /// Show the segments and facts kvcsi reads from evidence (why a rule did or did not fire).
    Facts(FactsArgs),
    /// List, show, lint and test rules.
    #[command(subcommand)]
    Rules(rules_cmd::RulesCommand),
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Text,
    Json,
    Markdown,
    Html,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Options shared by commands that load rules.
#[derive(Args, Debug, Clone)]
pub struct RuleArgs {
    /// A folder (or file) of custom .rhai rules; repeatable. A rule with a built-in id replaces it.
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<String>,
    /// Run only the custom rules given with --rules.
    #[arg(long)]
    no_builtin: bool,
}

impl RuleArgs {
    /// Builds the engine these options describe.
    pub fn engine(&self) -> Result<Engine> {
        if self.no_builtin && self.rules.is_empty() {
            anyhow::bail!(kvcsi_core::Error::Input {
                source_name: "--no-builtin".to_owned(),
                message: "runs the custom rules alone: give them with --rules DIR".to_owned()
            });
        }
        let sources = fs::rule_sources(&self.rules)?;
        Ok(EngineBuilder::default()
            .builtin(!self.no_builtin)
            .rules(sources)
            .build())
    }
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// Evidence: files, folders, .tar.gz bundles, or - for stdin.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<String>,
    #[command(flatten)]
    rules: RuleArgs,
    /// A suppression file (rule ids, optional scope, reason). `.kvcsi-ignore` in the current folder is read too.
    #[arg(long, value_name = "FILE")]
    suppress: Vec<String>,
    /// Report language.
    #[arg(long, default_value = "en", value_parser = parse_lang)]
    lang: Lang,
    /// Show credentials found in the evidence instead of redacting them.
    #[arg(long)]
    no_redact: bool,
    /// Scan and parse only; run no rule (for measuring what rules cost; scan statistics are
    /// identical to a full run).
    #[arg(long)]
    scan_only: bool,
    /// Colour in text output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Args, Debug)]
struct FactsArgs {
    /// Evidence: files, folders, .tar.gz bundles, or - for stdin.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
    /// Output format (text or json).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    rules: RuleArgs,
    /// Show credentials found in the evidence instead of redacting them.
    #[arg(long)]
    no_redact: bool,
}

fn parse_lang(text: &str) -> Result<Lang, String> {
    Lang::parse(text).ok_or_else(|| format!("unknown language '{text}' (use en or ja)"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check(args),
        Command::Facts(args) => facts(args),
        Command::Rules(command) => rules_cmd::run(command),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            // The core's errors already name their cause; anyhow's chain would repeat it.
            let usage = error.downcast_ref::<kvcsi_core::Error>();
            match usage {
                Some(core) => {
                    let _ = writeln!(std::io::stderr(), "kvcsi: {core}");
                }
                None => {
                    let _ = writeln!(std::io::stderr(), "kvcsi: {error:#}");
                }
            }
            let usage = usage.is_some();
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

/// The suppression files of a check: `--suppress` files, then `.kvcsi-ignore` in the current
/// folder (read implicitly by the CLI only, never by the Python or browser surfaces).
fn suppressions(args: &CheckArgs) -> Result<SuppressionList> {
    let mut files: Vec<String> = args.suppress.clone();
    if std::path::Path::new(".kvcsi-ignore").is_file() {
        files.push(".kvcsi-ignore".to_owned());
    }
    Ok(fs::suppressions(&files)?)
}

fn check(args: CheckArgs) -> Result<u8> {
    let engine = args.rules.engine()?;
    let sources = fs::expand(&args.paths)?;
    let options = Options {
        lang: args.lang,
        redact: !args.no_redact,
        suppressions: suppressions(&args)?,
        evaluate_rules: !args.scan_only,
    };
    let mut session = engine.session(&options);
    fs::feed_all(&mut session, &sources)?;
    let report = session.finish();
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let colour = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let rendered = render(&report, args.format, colour);
    match &args.output {
        Some(path) => std::fs::write(path, rendered).with_context(|| format!("writing {path}"))?,
        None => std::io::stdout().lock().write_all(rendered.as_bytes())?,
    }
    if report.exit_status() == 2 {
        let _ = writeln!(
            std::io::stderr(),
            "kvcsi: nothing usable in the input: {}",
            report
                .diagnostics
                .iter()
                .map(|d| d.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    let status = u8::try_from(report.exit_status()).unwrap_or(1);
    exit_without_freeing((engine, report));
    Ok(status)
}

/// Leaves `big` allocated: the process ends right after a command, and freeing the engine (every
/// compiled rule script and regex) and the report one allocation at a time costs more than
/// checking a small input, while the OS reclaims the whole heap at once. Output is written
/// before this, so nothing is lost.
fn exit_without_freeing<T>(big: T) {
    std::mem::forget(big);
}

fn render(report: &Report, format: Format, colour: bool) -> String {
    match format {
        Format::Text => text::render(report, colour),
        Format::Json => report.to_json(),
        Format::Markdown => markdown::render(report),
        Format::Html => html::render(report, true),
    }
}

fn facts(args: FactsArgs) -> Result<u8> {
    let engine = args.rules.engine()?;
    let sources = fs::expand(&args.paths)?;
    let mut session = engine.session(&Options::default());
    fs::feed_all(&mut session, &sources)?;
    let view = session.finish_facts();
    // Facts are pasted into tickets as often as reports are.
    let view = if args.no_redact {
        view
    } else {
        view.redacted()
    };
    let out = if args.format == Format::Json {
        let mut s = serde_json::to_string_pretty(&view)?;
        s.push('\n');
        s
    } else {
        kvcsi_core::report::facts_text(&view)
    };
    std::io::stdout().lock().write_all(out.as_bytes())?;
    exit_without_freeing((engine, view));
    Ok(0)
}
