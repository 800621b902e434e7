//! TypeScript definitions of the values that cross the boundary as plain objects. The report
//! types mirror `kvcsi_core::report` (and `docs/report.schema.json` once it exists).

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Report language. */
export type Lang = "en" | "ja";
/** Output formats of render(). */
export type Format = "json" | "markdown" | "md" | "html" | "text";
export type Severity = "error" | "warning" | "info";
/** The `name` of every Error this module throws. */
export type ErrorName =
  | "OptionsError" | "InputError" | "SuppressionError" | "SessionError" | "ReportError" | "KvcsiError";

/** One piece of evidence: exactly one of `text` and `bytes`. */
export type Input =
  | { name: string; text: string; bytes?: undefined }
  | { name: string; bytes: Uint8Array | ArrayBuffer; text?: undefined };

/** A custom rule: its file name (shown in diagnostics) and its Rhai source. */
export interface RuleInput { name: string; source: string; }

export interface Options {
  /** Language of the report's texts (default "en"). */
  lang?: Lang;
  /** Custom rules; one with a built-in id replaces the built-in rule. */
  rules?: RuleInput[];
  /** Load the built-in rules (default true). */
  builtin?: boolean;
  /** A suppression list: its text (named ".kvcsi-ignore") or { name, text }. */
  suppress?: string | { name: string; text: string };
  /** Redact credentials in every text of the report (default true). */
  redact?: boolean;
}

export interface EvidenceItem { source: string; lines: [number, number]; text: string; }
export interface Step { text: string; command?: string; }
export interface Request { rule: string; evidence: string; reason: string; command?: string; }
export interface Finding {
  rule: string;
  severity: Severity;
  /** The troubleshooting article's cause number, or null. */
  cause: number | null;
  confidence: "high" | "medium" | "low" | string;
  subject: Record<string, string>;
  title: string;
  message: string;
  data: Record<string, unknown>;
  evidence: EvidenceItem[];
  remediation: Step[];
  requests: Request[];
  references: string[];
}
export interface Passed { rule: string; reason: string; }
export interface Skipped { rule: string; reason: string; needs: string[]; }
export interface SuppressedFinding {
  rule: string; subject: Record<string, string>; title: string; reason: string; entry: string;
}
export interface Override { rule: string; source: string; }
export interface Diagnostic {
  code: string; source: string | null; rule?: string; limit?: string; message: string;
}
export interface Stats {
  sources: number; usable_sources: number; bytes: number; lines: number;
  segments: Record<string, number>; facts: Record<string, number>;
  candidate_lines: number; rules: number; rules_run: number; superseded: number;
}
/** What `kvcsi check --format json` prints. */
export interface Report {
  schema_version: number;
  kvcsi_version: string;
  lang: Lang;
  redacted: boolean;
  findings: Finding[];
  passed: Passed[];
  skipped: Skipped[];
  requests: Request[];
  suppressed: SuppressedFinding[];
  overrides: Override[];
  diagnostics: Diagnostic[];
  stats: Stats;
}
/** One rule of the catalogue (`kvcsi rules list --json` plus its origin). */
export interface RuleInfo {
  id: string; severity: Severity; cause: number | null; title: string | null;
  title_ja: string | null; needs: string[]; source: string; origin: "builtin" | "user";
}
"#;
