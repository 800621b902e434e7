#!/usr/bin/env python3
"""Writes fuzz/seeds/<target>/: small, realistic starting inputs for each fuzz target.

Seeds are copies of the format fixtures (tests/formats and tests/shared-formats, when
present) and evidence cases (tests/cases), chosen by what each target parses, plus a few
hand-written inputs (credentials for the redactor, hostile rule bodies, hostile tar headers).
The output is committed; rerun this after adding fixtures. Deterministic: same inputs, same
files.
"""

import gzip
import io
import pathlib
import re
import shutil
import tarfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"
MAX_SEED = 8 * 1024

FORMAT_DIRS = [ROOT / "tests" / "formats", ROOT / "tests" / "shared-formats"]
CASES = ROOT / "tests" / "cases"


def fixtures():
    seen = {}
    for d in FORMAT_DIRS:
        if d.is_dir():
            for p in sorted(d.iterdir()):
                if p.is_file() and p.name != "SOURCES.md":
                    seen.setdefault(p.name, p)
    return [seen[k] for k in sorted(seen)]


def case_files():
    out = []
    for case in sorted(c for c in CASES.iterdir() if c.is_dir()) if CASES.is_dir() else []:
        for p in sorted(case.iterdir()):
            if p.is_file() and p.name not in ("expected.json", "README.md"):
                out.append(p)
    return out


SELECT = {
    "describe_pod": r"describe-pod|kubectl-describe",
    "events_table": r"events_(table|default|o-wide)|^events\.txt",
    "nslookup": r"nslookup",
    "dig": r"^dig",
    "host": r"^host_",
    "resolve_dns_name": r"resolve-dnsname",
    "nc": r"^nc-",
    "test_net_connection": r"test-netconnection",
    "curl": r"curl",
    "table": r"o-wide|get-csidriver|clusterrole(binding)?(_|\.txt)|get-daemonset_|pods-wide",
    "scalar": r"\.tsv$|query",
    "json": r"\.json$",
    "yaml": r"\.ya?ml$",
    "klog": r"\.log$|logs_|stern",
    "kv_error": r"\.log$|forbidden|403|401|404|429|aadsts|curl-token",
    "classify": r"session|paste|\.log$|describe|\.json$|\.ya?ml$|nslookup|curl",
}

PER_TARGET = 16

REDACT = [
    "Authorization: Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL3ZhdWx0LmF6dXJlLm5ldCJ9.c2lnbmF0dXJl\n",
    "> Authorization: Basic dXNlcjpwYXNzd29yZA==\r\n< HTTP/1.1 401 Unauthorized\n",
    "client_id=7c5b4a2e-1111-2222-3333-444455556666&client_secret=S3cr3t~Value.1&grant_type=client_credentials\n",
    '{"access_token":"opaque-token-value-123","refresh_token":"0.ARrefresh","id_token":"eyJ0eXAi.eyJzdWIi.sig","token_type":"Bearer"}\n',
    "https://acct.blob.core.windows.net/c/b?sv=2021-08-06&se=2030-01-01&sr=b&sp=r&sig=AbCdEf%2BGh%3D\n",
    "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + "QUJD" * 21 + "QQ==;EndpointSuffix=core.windows.net\n",
    "Server=tcp:db.database.windows.net,1433;User ID=admin;Password=hunter2hunter2;Encrypt=true\n",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1234567890abcdefghijklmnopqrstuvwxyzABCDEFGH\n-----END RSA PRIVATE KEY-----\n",
    "tls.crt: -----BEGIN CERTIFICATE-----\\nMIIDdzCCAl+gAwIBAgIE\\n-----END CERTIFICATE-----\n",
    'Vault: mykv;location=westeurope appid=7c5b4a2e-1111-2222-3333-444455556666 code="Forbidden"\n',
]

RULE_BODIES = [
    # Whole files (mode byte 0): a minimal valid rule and hostile ones.
    b"\x00" + b'fn meta() { #{ api_version: 1, id: "x", severity: "error", needs: ["events"], text: #{ en: #{ t: "t" } } } }\nfn check(facts, matches) { [] }\n',
    b"\x00" + b'fn meta() { loop {} }\nfn check(facts, matches) { [] }\n',
    b"\x00" + b'fn meta() { meta() }\nfn check(f, m) { [] }\n',
    b"\x00" + b'let x = 1;\n',
    b"\x00" + b'fn meta() { eval("1") }\nfn check(f, m) { import "x" as y; [] }\n',
    # Bodies of check (mode byte 1).
    b"\x01" + b"loop {}",
    b"\x01" + b'let s = "x"; loop { s += s; }',
    b"\x01" + b"let a = []; loop { a.push(a.len()); }",
    b"\x01" + b"let m = #{}; let i = 0; loop { m[`k${i}`] = i; i += 1; }",
    b"\x01" + b"let a = []; loop { a = [a]; }",
    b"\x01" + b"fn f(x) { f(x + 1) } f(0)",
    b"\x01" + b"print(facts.events); debug(matches); []",
    b"\x01" + b'[finding(#{ title: "t", message: "m", subject: #{ pod: "p" }, evidence: facts.events.map(|e| e.at), params: #{ x: 1 } })]',
    b"\x01" + b'let out = []; for e in facts.events { out.push(finding(#{ title: "t", message: e.message })); } out',
    b"\x01" + b'throw "boom"',
    b"\x01" + b"42",
    b"\x01" + b'[pass("t"), skip("t", ["dns"]), request(#{ evidence: "dns", reason: "t" })]',
    b"\x01" + b"let x = matches.hit.first[0].text; x.pad(100000000, \"a\"); []",
]


def tar_bytes(entries, fmt=tarfile.USTAR_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for name, kind, data in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if kind == "file":
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = data.decode()
                tar.addfile(info)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
    return buf.getvalue()


def gz(data):
    return gzip.compress(data, mtime=0)


def write(target, name, data):
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def main():
    if SEEDS.exists():
        shutil.rmtree(SEEDS)
    files = fixtures() + case_files()
    for target, pattern in SELECT.items():
        chosen = []
        for p in files:
            label = p.name if p.parent.parent != CASES else f"{p.parent.name}__{p.name}"
            if re.search(pattern, p.name) and p.stat().st_size <= MAX_SEED:
                chosen.append((label, p.read_bytes()))
        # Spread the choice over the list so cases and fixtures both appear.
        step = max(1, len(chosen) // PER_TARGET)
        for label, data in chosen[::step][:PER_TARGET]:
            write(target, label, data)
        # Parsers also see their input after a shell prompt line.
        if target not in ("json", "yaml", "klog", "kv_error", "classify") and chosen:
            label, data = chosen[0]
            write(target, "with-command__" + label, b"$ " + target.replace("_", "-").encode() + b" example\n" + data)

    for i, text in enumerate(REDACT):
        write("redact", f"credential-{i:02}.txt", text.encode())

    for i, body in enumerate(RULE_BODIES):
        write("rule", f"rule-{i:02}.rhai", body)

    describe = next((p for p in files if "driver-not-registered" in p.name and "describe" in p.name), None)
    event = describe.read_bytes() if describe else b"Events:\n"
    write("archive", "bundle.tgz", gz(tar_bytes([("bundle/", "dir", b""), ("bundle/describe.txt", "file", event), ("bundle/link", "symlink", b"../../etc/passwd")])))
    write("archive", "escape.tgz", gz(tar_bytes([("../escape.txt", "file", b"x"), ("/abs.txt", "file", b"y"), ("ok.txt", "file", b"z")])))
    write("archive", "plain.gz", gz(event))
    write("archive", "long-name.tgz", gz(tar_bytes([("d/" + "n" * 150 + ".txt", "file", b"long name")], tarfile.GNU_FORMAT)))
    # The archive harness takes its first byte as the chunk size.
    for p in sorted((SEEDS / "archive").iterdir()):
        p.write_bytes(b"\x03" + p.read_bytes())

    # Whole checks: a case's files joined with scissors lines; the first byte picks names and
    # chunking. One bundle too, so archives meet the session.
    cases = sorted(CASES.iterdir()) if CASES.is_dir() else []
    picked = [c for c in cases if c.is_dir()][:: max(1, len(cases) // 16)]
    for n, case in enumerate(picked):
        parts = [p.read_bytes() for p in sorted(case.iterdir()) if p.is_file() and p.name != "expected.json"]
        data = b"\n--8<--\n".join(parts)
        if len(data) <= 4 * MAX_SEED:
            write("check", f"{case.name}.txt", bytes([n]) + data)
    write("check", "bundle.txt", b"\x04" + gz(tar_bytes([("describe.txt", "file", event)])))


if __name__ == "__main__":
    main()
