"""Rebuilds bundles/<cluster>.tar.gz from the shared evidence cases in tests/cases.

Each bundle is what an operator might collect from one cluster: the evidence of a few cases,
each under its own folder. The tarballs are committed; run this again (from anywhere) when the
cases change. The output is byte-for-byte reproducible (fixed times, owners and order).

    python examples/notebook/make_bundles.py
"""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = HERE.parents[1] / "tests" / "cases"

CLUSTERS = {
    "aks-prod-westeurope": [
        "article-cause-4-private-endpoint-other-vnet",
        "private-endpoint-peering-not-connected",
    ],
    "aks-staging-eastus": [
        "article-cause-3-wrong-user-assigned-identity",
        "article-cause-7-sync-secret-rbac",
    ],
    "aks-win-japaneast": [
        "article-cause-5-driver-not-registered-windows",
        "article-cause-6-provider-binary-missing",
    ],
    "aks-batch-centralus": [
        "article-cause-9-throttled-429",
        "article-cause-2-provider-cannot-reach-keyvault",
        "article-cause-1-nmi-token-404",
    ],
}


def bundle(cases: list[str]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for case in cases:
            folder = CASES / case
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                if path.name == "expected.json" or path.name.startswith("."):
                    continue
                data = path.read_bytes()
                info = tarfile.TarInfo(f"{case}/{path.relative_to(folder).as_posix()}")
                info.size, info.mtime, info.mode = len(data), 0, 0o644
                info.uname = info.gname = "kvcsi"
                tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def main() -> None:
    (HERE / "bundles").mkdir(exist_ok=True)
    for cluster, cases in CLUSTERS.items():
        target = HERE / "bundles" / f"{cluster}.tar.gz"
        target.write_bytes(bundle(cases))
        print(f"{target.relative_to(HERE.parents[1])}: {', '.join(cases)}")


if __name__ == "__main__":
    main()
