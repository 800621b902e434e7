# %% [markdown]
# # Triage Key Vault CSI mount failures across clusters
#
# Each file in `bundles/` is an evidence bundle (`.tar.gz`) collected from one AKS cluster:
# `kubectl describe pod`, driver and provider logs, `nslookup`/`nc` output, `az` JSON.
# kvcsi checks every bundle in a thread pool (the GIL is released while it works) and pandas
# tabulates the causes it found. The same code is `triage.ipynb`; run this file with
# `python examples/notebook/triage.py [FOLDER]`.

# %%
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

import kvcsi

here = Path(__file__).parent if "__file__" in globals() else Path.cwd()
folder = Path(sys.argv[1]) if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else here / "bundles"
bundles = sorted(folder.glob("*.tar.gz"))
print(f"{len(bundles)} bundles in {folder}")

# %% [markdown]
# One engine compiles the rules once and serves every thread.

# %%
engine = kvcsi.Engine()
with ThreadPoolExecutor(max_workers=4) as pool:
    reports = dict(zip((b.name.removesuffix(".tar.gz") for b in bundles), pool.map(engine.check, bundles)))

for cluster, report in reports.items():
    print(f"{cluster:24} exit {report.exit_status}  {len(report.findings)} finding(s)")

# %% [markdown]
# One row per finding, with the cluster it came from.

# %%
findings = pd.concat(
    [report.to_pandas().assign(cluster=cluster) for cluster, report in reports.items()],
    ignore_index=True,
)
findings[["cluster", "rule", "severity", "cause", "confidence", "title"]]

# %% [markdown]
# Causes by cluster: which root causes recur, and where.

# %%
causes = findings.pivot_table(index="rule", columns="cluster", values="title", aggfunc="count", fill_value=0)
causes["clusters"] = (causes > 0).sum(axis=1)
causes = causes.sort_values("clusters", ascending=False)
print(causes.to_string())

# %% [markdown]
# The full report of one cluster (in Jupyter, the report renders itself as HTML).

# %%
worst = max(reports, key=lambda c: (reports[c].exit_status == 3, len(reports[c].findings)))
print(reports[worst].to_markdown())

# %%
if findings.empty:
    sys.exit("no finding in any bundle: the checks or the bundles are broken")
