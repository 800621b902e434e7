#!/usr/bin/env python3
"""Reproducible klog corpus for the kvcsi benchmark (Python standard library only).

    python3 bench/gen_corpus.py OUT --size 256M [--seed 20241029] [--errors 0.0001]
                                    [--decoys 0.002] [--prefix-share 0.25]

Writes OUT (byte-identical for the same arguments) and OUT.json beside it with the line
counts, the number of failure lines (each holds at least one string of
shared/bench/patterns.txt, so `grep -c -E` must count exactly that many) and the SHA-256.

The lines imitate what operators paste: secrets-store-csi-driver, node-driver-registrar,
livenessprobe and the Azure provider, in both klog styles (printf `I1029 ... file.go:12] text`
and structured `"message" key="value"`), some with a `kubectl logs --prefix` prefix. Healthy
lines carry the near misses that make a literal prefilter work for its living:
`StatusCode=200`, `context=`, `secret...`, `failed...`, `not found yet`, JSON `"code"` keys, and
the healthy-mount lines that rules read as context (`fetching object ... from key vault`,
`"vault url"`, `node publish volume complete`). `--errors` is the share of failure lines
(0.0001 = 0.01 %, the everyday case; 0.02 = a 2 % "storm"), `--decoys` the share of warning
lines that look like failures but are not. `--mix node` (default) is a node's log dump: kubelet
and containerd lines beside the CSI pods' (about 12 % of all lines then hold a rule literal);
`--mix csi` is the CSI pods' own logs, where about 40 % do.
"""

import argparse
import bisect
import hashlib
import json
import os
import random
import sys

SEED = 20241029
BATCH = 20000

NAMESPACES = ["default", "payments", "hr", "identity", "orders", "monitoring", "kube-system"]
APPS = ["api", "web", "worker", "payroll-sync", "identity-service", "busybox-secrets-store-inline",
        "orders-consumer", "grafana", "checkout", "ledger"]
VAULTS = ["kv-prod-weu", "kv-edge-weu-02", "kv-b2c-prod", "kv-hr-neu", "kvorders01", "kv-shared-jpe",
          "kv-payments-prod", "kv-mon-eus2"]
OBJECTS = ["db-password", "tls-cert", "api-key", "storage-conn", "Identity-Service--ClientSecret",
           "redis-pass", "signing-key", "sb-connection", "grafana-admin", "jwt-secret"]
SPCS = ["azure-kv", "azure-kvname-user-msi", "azure-tls", "azure-linux", "spc-app"]
NODE_PODS = ["secrets-store-csi-driver-7x2kq", "secrets-store-csi-driver-m4n8p",
             "aks-secrets-store-provider-azure-9hq2z", "aks-secrets-store-provider-azure-2kd7w"]
CONTAINERS = {"secrets-store-csi-driver": ["secrets-store", "node-driver-registrar", "liveness-probe"],
              "aks-secrets-store-provider-azure": ["provider-azure-installer"]}


def hexs(rng, n):
    return "%0*x" % (n, rng.getrandbits(4 * n))


def guid(rng):
    h = hexs(rng, 32)
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


class Pools:
    """Pre-drawn values: drawing from small pools keeps the generator fast and the text varied."""

    def __init__(self, rng):
        self.pods = []
        for i in range(64):
            app = APPS[i % len(APPS)]
            self.pods.append((NAMESPACES[i % len(NAMESPACES)],
                              "%s-%s-%s" % (app, hexs(rng, 9)[:9], hexs(rng, 5)[:5])))
        self.uids = [guid(rng) for _ in range(64)]
        self.vols = ["csi-" + hexs(rng, 64) for _ in range(64)]
        self.guids = [guid(rng) for _ in range(16)]


# Healthy lines: (weight, kind, builder). kind: 'd' driver, 'p' provider, 'r' registrar, 'l' probe.
def info_templates():
    def publish(r, p):
        ns, pod = r.choice(p.pods)
        return ('I', 'nodeserver.go:143', '"node publish volume" target="/var/lib/kubelet/pods/%s/volumes/kubernetes.io~csi/secrets-store-inline/mount" volumeId="%s" mount flags=null' % (r.choice(p.uids), r.choice(p.vols)))

    def grpc_client(r, p):
        ns, pod = r.choice(p.pods)
        return ('I', 'nodeserver.go:353', '"Using gRPC client" provider="azure" pod="%s"' % pod)

    def publish_done(r, p):
        ns, pod = r.choice(p.pods)
        return ('I', 'nodeserver.go:253', '"node publish volume complete" targetPath="/var/lib/kubelet/pods/%s/volumes/kubernetes.io~csi/secrets-store-inline/mount" pod="%s/%s" time="%d.%06dms"' % (r.choice(p.uids), ns, pod, r.randrange(40, 4000), r.randrange(1000000)))

    def grpc_call(r, p):
        return ('I', 'utils.go:47', 'GRPC call: /csi.v1.Node/%s' % r.choice(["NodeGetCapabilities", "NodeGetInfo", "NodePublishVolume", "NodeUnpublishVolume"]))

    def grpc_request(r, p):
        return ('I', 'utils.go:48', 'GRPC request: {"target_path":"/var/lib/kubelet/pods/%s/volumes/kubernetes.io~csi/secrets-store-inline/mount","volume_id":"%s"}' % (r.choice(p.uids), r.choice(p.vols)))

    def grpc_response(r, p):
        return ('I', 'utils.go:53', 'GRPC response: {"capabilities":[{"Type":{"Rpc":{"type":%d}}}]}' % r.randrange(1, 4))

    def provider_call(r, p):
        return ('I', 'grpc.go:25', 'GRPC call: /v1alpha1.CSIDriverProvider/Mount')

    def fetching(r, p):
        return ('I', 'provider.go:255', 'fetching object: %s, type: secret from key vault %s' % (r.choice(OBJECTS), r.choice(VAULTS)))

    def vault_url(r, p):
        ns, pod = r.choice(p.pods)
        kv = r.choice(VAULTS)
        return ('I', 'provider.go:217', '"vault url" vaultName="%s" vaultURL="https://%s.vault.azure.net/" pod="%s/%s"' % (kv, kv, ns, pod))

    def request_completed(r, p):
        kv = r.choice(VAULTS)
        return ('I', 'keyvault.go:89', '"request completed" method="GET" url="https://%s.vault.azure.net/secrets/%s/?api-version=7.4" StatusCode=200 latency="%dms" context="mount"' % (kv, r.choice(OBJECTS), r.randrange(8, 400)))

    def wrote_file(r, p):
        ns, pod = r.choice(p.pods)
        return ('I', 'writer.go:57', '"successfully wrote file" file="%s" pod="%s/%s"' % (r.choice(OBJECTS), ns, pod))

    def reconcile(r, p):
        ns, pod = r.choice(p.pods)
        return ('I', 'secretproviderclasspodstatus_controller.go:221', '"reconcile started" spcps="%s/%s-%s-%s"' % (ns, pod, ns, r.choice(SPCS)))

    def rotation(r, p):
        ns, pod = r.choice(p.pods)
        return ('I', 'reconciler.go:331', '"rotation complete" pod="%s/%s" secretProviderClass="%s" context="rotation" secretsRotated=%d' % (ns, pod, r.choice(SPCS), r.randrange(0, 3)))

    def not_found_yet(r, p):
        ns, pod = r.choice(p.pods)
        return ('I', 'reconciler.go:192', '"spc status not found yet, will retry" pod="%s/%s" secret="%s"' % (ns, pod, r.choice(OBJECTS)))

    def getinfo(r, p):
        return ('I', 'main.go:102', 'Received GetInfo call: &InfoRequest{}')

    def notify(r, p):
        return ('I', 'main.go:112', '"Received NotifyRegistrationStatus call" status="&RegistrationStatus{PluginRegistered:true,Error:,}"')

    def health(r, p):
        return ('I', 'health.go:71', '"health check succeeded" context="probe" latency="%dus"' % r.randrange(80, 900))

    def wi_token(r, p):
        return ('I', 'auth.go:197', '"using workload identity to get access token" clientID="%s" tenantID="%s" failedAttempts=0' % (r.choice(p.guids), r.choice(p.guids)))

    # The rest of a node's log dump: kubelet and containerd lines about other pods and volumes.
    def kubelet_sync(r, p):
        ns, pod = r.choice(p.pods)
        return ('I', 'kubelet.go:2453', '"SyncLoop (PLEG): event for pod" pod="%s/%s" event={"ID":"%s","Type":"ContainerStarted","Data":"%s"}' % (ns, pod, r.choice(p.uids), hexs(r, 64)))

    def kubelet_probe(r, p):
        ns, pod = r.choice(p.pods)
        return ('I', 'prober.go:107', '"Probe failed" probeType="Readiness" pod="%s/%s" podUID="%s" containerName="app" probeResult="failure" output="HTTP probe failed with statuscode: 503"' % (ns, pod, r.choice(p.uids)))

    def kubelet_volume(r, p):
        ns, pod = r.choice(p.pods)
        return ('I', 'reconciler_common.go:258', '"operationExecutor.VerifyControllerAttachedVolume started for volume \\"kube-api-access-%s\\" (UniqueName: \\"kubernetes.io/projected/%s-kube-api-access-%s\\") pod \\"%s\\" (UID: \\"%s\\") " pod="%s/%s"' % (hexs(r, 5), r.choice(p.uids), hexs(r, 5), pod, r.choice(p.uids), ns, pod))

    def containerd(r, p):
        return ('I', 'log.go:194', '"CreateContainer within sandbox returned container id" sandboxID="%s" containerID="%s"' % (hexs(r, 64), hexs(r, 64)))

    def kubelet_cadvisor(r, p):
        return ('I', 'container_manager_linux.go:515', '"Discovered runtime cgroup name" cgroupName="/system.slice/containerd.service" cpu=%d memory=%dKi' % (r.randrange(1, 400), r.randrange(10000, 900000)))

    return [
        (9, 'd', publish), (9, 'd', grpc_client), (7, 'd', publish_done), (10, 'd', grpc_call),
        (6, 'd', grpc_request), (6, 'd', grpc_response), (7, 'p', provider_call),
        (9, 'p', fetching), (5, 'p', vault_url), (9, 'p', request_completed),
        (5, 'p', wrote_file), (6, 'd', reconcile), (5, 'd', rotation), (1, 'd', not_found_yet),
        (3, 'r', getinfo), (1, 'r', notify), (4, 'l', health), (3, 'p', wi_token),
        # `--mix node` (the default) adds these; `--mix csi` is the CSI pods' logs alone.
        (60, 'k', kubelet_sync), (40, 'k', kubelet_probe), (50, 'k', kubelet_volume),
        (50, 'k', containerd), (40, 'k', kubelet_cadvisor),
    ]


# Warning lines that look like failures to a careless matcher but match no failure string.
def decoy_templates():
    def patch(r, p):
        ns, pod = r.choice(p.pods)
        return ('W', 'secretproviderclasspodstatus_controller.go:262', '"failed to patch secret provider class pod status, will retry" err="Operation cannot be fulfilled: the object has been modified" spcps="%s/%s"' % (ns, pod))

    def canceled(r, p):
        return ('W', 'reconciler.go:418', '"context canceled while waiting for rotation" context="rotation" StatusCode=200')

    def identity_found(r, p):
        return ('W', 'auth.go:141', '"Identity found after retry" clientID="%s" attempts=%d' % (r.choice(p.guids), r.randrange(2, 5)))

    def json_code(r, p):
        return ('W', 'utils.go:61', 'GRPC response: {"error":{"code":0,"message":"ok"},"object_version":[{"id":"secret/%s","version":"%s"}]}' % (r.choice(OBJECTS), hexs(r, 32)))

    def deadline_probe(r, p):
        return ('W', 'health.go:88', '"health check slow" context="probe" deadline="30s" elapsed="%dms"' % r.randrange(900, 3000))

    return [(1, 'd', patch), (1, 'd', canceled), (1, 'p', identity_found), (1, 'd', json_code),
            (1, 'l', deadline_probe)]


# Failure lines: each holds at least one string of shared/bench/patterns.txt.
def error_templates():
    def deadline(r, p):
        return ('E', 'server.go:54', 'failed to process mount request, error: keyvault.BaseClient#GetSecret: Failure sending request: StatusCode=0 -- Original Error: context deadline exceeded')

    def grpc_deadline(r, p):
        return ('E', 'grpc.go:29', 'GRPC error: failed to mount objects, error: keyvault.BaseClient#GetSecret: Failure sending request: StatusCode=0 -- Original Error: context deadline exceeded')

    def identity(r, p):
        kv = r.choice(VAULTS)
        obj = r.choice(OBJECTS)
        return ('E', 'server.go:124', '"failed to process mount request" err="failed to get objectType:secret, objectName:%s, objectVersion:: azure.BearerAuthorizer#WithAuthorization: Failed to refresh the Token for request to https://%s.vault.azure.net/secrets/%s/?api-version=2016-10-01: StatusCode=400 -- Original Error: adal: Refresh request failed. Status Code = \'400\'. Response body: {\\"error\\":\\"invalid_request\\",\\"error_description\\":\\"Identity not found\\"} Endpoint http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&client_id=%s&resource=https%%3A%%2F%%2Fvault.azure.net"' % (obj, kv, obj, r.choice(p.guids)))

    def rbac(r, p):
        ns, pod = r.choice(p.pods)
        return ('E', 'secretproviderclasspodstatus_controller.go:325', '"failed to create Kubernetes secret" err="secrets is forbidden: User \\"system:serviceaccount:kube-system:secrets-store-csi-driver\\" cannot create resource \\"secrets\\" in API group \\"\\" in the namespace \\"%s\\"" spc="%s/%s" pod="%s/%s"' % (ns, ns, r.choice(SPCS), ns, pod))

    def nmi(r, p):
        return ('E', 'provider.go:191', 'failed to get key vault token: nmi response failed with status code: 404, err: <nil>')

    def connection(r, p):
        kv = r.choice(VAULTS)
        return ('E', 'server.go:54', 'failed to process mount request, error: failed to get objectType:secret, objectName:%s, objectVersion:: keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code="Forbidden" Message="Public network access is disabled and request is not from a trusted service nor via an approved private link.\\r\\nCaller: appid=%s;oid=%s;iss=https://sts.windows.net/%s/\\r\\nVault: %s;location=westeurope" InnerError={"code":"ForbiddenByConnection"}' % (r.choice(OBJECTS), r.choice(p.guids), r.choice(p.guids), r.choice(p.guids), kv))

    def policy(r, p):
        kv = r.choice(VAULTS)
        return ('E', 'server.go:54', 'failed to process mount request, error: keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code="Forbidden" Message="The user, group or application \'appid=%s;oid=%s\' does not have secrets get permission on key vault \'%s;location=westeurope\'." InnerError={"code":"ForbiddenByPolicy"}' % (r.choice(p.guids), r.choice(p.guids), kv))

    def unregistered(r, p):
        ns, pod = r.choice(p.pods)
        return ('E', 'nestedpendingoperations.go:348', 'Operation for "{volumeName:kubernetes.io/csi/%s-secrets-store-inline podName:%s nodeName:}" failed. No retries permitted until 2024-10-29 17:39:46 (durationBeforeRetry 2m2s). Error: MountVolume.SetUp failed for volume "secrets-store-inline" (UniqueName: "kubernetes.io/csi/%s-secrets-store-inline") pod "%s": rpc error: code = Unknown desc = driver name secrets-store.csi.k8s.io not found in the list of registered CSI drivers' % (r.choice(p.uids), r.choice(p.uids), r.choice(p.uids), pod))

    def binary(r, p):
        return ('E', 'nodeserver.go:239', '"failed to mount secrets store object content" err="failed to find provider binary azure, err: stat /etc/kubernetes/secrets-store-csi-providers/azure/provider-azure: no such file or directory"')

    def unauthorized(r, p):
        return ('E', 'server.go:54', 'failed to process mount request, error: keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=401 -- Original Error: autorest/azure: Service returned an error. Status=401 Code="Unauthorized" Message="AKV10032: Invalid issuer. Expected one of https://sts.windows.net/%s/, found https://sts.windows.net/%s/."' % (r.choice(p.guids), r.choice(p.guids)))

    def throttled(r, p):
        return ('E', 'server.go:54', 'failed to process mount request, error: keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=429 -- Original Error: autorest/azure: Service returned an error. Status=429 Code="Throttled" Message="Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached"')

    def not_found(r, p):
        kv = r.choice(VAULTS)
        obj = r.choice(OBJECTS)
        return ('E', 'server.go:54', 'failed to process mount request, error: failed to get objectType:secret, objectName:%s, objectVersion:: keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=404 -- Original Error: autorest/azure: Service returned an error. Status=404 Code="SecretNotFound" Message="A secret with (name/id) %s was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command." Vault: %s;location=westeurope' % (obj, obj, kv))

    def aadsts(r, p):
        return ('E', 'server.go:54', 'failed to process mount request, error: failed to get key vault token: ClientSecretCredential authentication failed. POST https://login.microsoftonline.com/%s/oauth2/v2.0/token RESPONSE 400: 400 Bad Request {"error": "unauthorized_client", "error_description": "AADSTS700016: Application with identifier \'%s\' was not found in the directory."}' % (r.choice(p.guids), r.choice(p.guids)))

    def no_host(r, p):
        kv = r.choice(VAULTS)
        return ('E', 'server.go:54', 'failed to process mount request, error: keyvault.BaseClient#GetSecret: Failure sending request: StatusCode=0 -- Original Error: Get "https://%s.vault.azure.net/secrets/%s/?api-version=2016-10-01": dial tcp: lookup %s.vault.azure.net on 10.0.0.10:53: no such host' % (kv, r.choice(OBJECTS), kv))

    def x509(r, p):
        kv = r.choice(VAULTS)
        return ('E', 'server.go:54', 'failed to process mount request, error: keyvault.BaseClient#GetSecret: Failure sending request: StatusCode=0 -- Original Error: Get "https://%s.vault.azure.net/secrets/%s/?api-version=2016-10-01": x509: certificate signed by unknown authority' % (kv, r.choice(OBJECTS)))

    def spc(r, p):
        ns, pod = r.choice(p.pods)
        spc = r.choice(SPCS)
        return ('E', 'nodeserver.go:176', '"failed to get secretproviderclass" err="secretproviderclasses.secrets-store.csi.x-k8s.io \\"%s\\" not found" namespace="%s" pod="%s"' % (spc, ns, pod))

    return [(3, 'p', deadline), (2, 'p', grpc_deadline), (2, 'p', identity), (2, 'd', rbac),
            (2, 'p', nmi), (2, 'p', connection), (2, 'p', policy), (1, 'k', unregistered),
            (1, 'd', binary), (2, 'p', unauthorized), (1, 'p', throttled), (2, 'p', not_found),
            (1, 'p', aadsts), (2, 'p', no_host), (1, 'p', x509), (1, 'd', spc)]


def cumulative(templates):
    total = 0
    acc = []
    for weight, _, _ in templates:
        total += weight
        acc.append(total)
    return acc, total


def parse_size(text):
    text = text.strip().upper().rstrip("B").rstrip("I")
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], None)
    return int(float(text[:-1]) * mult) if mult else int(text)


def generate(out, size, seed, errors, decoys, prefix_share, mix="node"):
    rng = random.Random(seed)
    pools = Pools(rng)
    infos, decoy_t, error_t = info_templates(), decoy_templates(), error_templates()
    if mix == "csi":
        infos = [t for t in infos if t[1] != 'k']
    info_acc, info_total = cumulative(infos)
    decoy_acc, decoy_total = cumulative(decoy_t)
    error_acc, error_total = cumulative(error_t)
    # Prefixes as `kubectl logs --prefix` writes them, per kind of container.
    prefixes = {
        'd': ["[pod/%s/secrets-store] " % p for p in NODE_PODS[:2]],
        'r': ["[pod/%s/node-driver-registrar] " % p for p in NODE_PODS[:2]],
        'l': ["[pod/%s/liveness-probe] " % p for p in NODE_PODS[:2]],
        'p': ["[pod/%s/provider-azure-installer] " % p for p in NODE_PODS[2:]],
        'k': [""],
    }
    # Sections: runs of lines from one `kubectl logs` call, with or without --prefix.
    counts = {"lines": 0, "I": 0, "W": 0, "E": 0}
    month_days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    micros = 8 * 3600 * 1000000  # 29 October, 08:00
    sec_cache = [-1, ""]
    written = 0
    digest = hashlib.sha256()
    prefixed = False
    section_left = 0
    with open(out, "wb") as f:
        while written < size:
            parts = []
            sevs = []
            for _ in range(BATCH):
                if section_left <= 0:
                    section_left = rng.randrange(2000, 60000)
                    prefixed = rng.random() < prefix_share
                section_left -= 1
                x = rng.random()
                if x < errors:
                    _, kind, build = error_t[bisect.bisect_right(error_acc, rng.random() * error_total)]
                elif x < errors + decoys:
                    _, kind, build = decoy_t[bisect.bisect_right(decoy_acc, rng.random() * decoy_total)]
                else:
                    _, kind, build = infos[bisect.bisect_right(info_acc, rng.random() * info_total)]
                sev, src, msg = build(rng, pools)
                sevs.append(sev)
                micros += rng.randrange(1, 40000)
                sec = micros // 1000000
                if sec != sec_cache[0]:
                    day, rest = divmod(sec, 86400)
                    month, dom = 9, 29 + day  # zero-based month: October
                    while dom > month_days[month % 12]:
                        dom -= month_days[month % 12]
                        month += 1
                    h, rem = divmod(rest, 3600)
                    m, s = divmod(rem, 60)
                    sec_cache = [sec, "%02d%02d %02d:%02d:%02d" % (month % 12 + 1, dom, h, m, s)]
                prefix = ""
                if prefixed:
                    pl = prefixes[kind]
                    prefix = pl[rng.getrandbits(1)] if len(pl) > 1 else pl[0]
                parts.append("%s%s%s.%06d %7d %s] %s\n" % (prefix, sev, sec_cache[1], micros % 1000000, 1, src, msg))
            data = "".join(parts).encode()
            if written + len(data) > size:
                # Whole lines only: cut at the last newline that fits.
                cut = data.rfind(b"\n", 0, size - written) + 1
                dropped = data.count(b"\n", cut)
                data = data[:cut]
                sevs = sevs[:len(sevs) - dropped]
            for sev in sevs:
                counts[sev] += 1
            f.write(data)
            digest.update(data)
            written += len(data)
            counts["lines"] += len(sevs)
            if not data:
                break
    meta = {"file": os.path.basename(out), "bytes": written, "seed": seed, "errors": errors, "mix": mix,
            "decoys": decoys, "prefix_share": prefix_share, "lines": counts["lines"],
            "error_lines": counts["E"], "decoy_lines": counts["W"],
            "sha256": digest.hexdigest()}
    with open(out + ".json", "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--size", default="256M", help="bytes, or with K/M/G suffix (binary)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--errors", type=float, default=0.0001, help="share of failure lines")
    ap.add_argument("--decoys", type=float, default=0.002, help="share of look-alike warnings")
    ap.add_argument("--prefix-share", type=float, default=0.25,
                    help="share of sections written with kubectl logs --prefix")
    ap.add_argument("--mix", choices=["node", "csi"], default="node",
                    help="node: a node's log dump (kubelet and containerd beside the CSI pods); "
                         "csi: the CSI driver and provider pods' logs alone (about 40 %% of their "
                         "lines are healthy-mount lines that rules read as context)")
    a = ap.parse_args()
    meta = generate(a.out, parse_size(a.size), a.seed, a.errors, a.decoys, a.prefix_share, a.mix)
    json.dump(meta, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
