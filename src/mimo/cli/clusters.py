"""``mimo clusters add|list|show`` and ``mimo selectors CLUSTER``."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from typing import Any

import click

from mimo import inputs
from mimo.api import (
    DocumentError,
    OpenShiftClusterDocument,
    Secret,
    SubscriptionDocument,
    normalize_resource_id,
)
from mimo.cli.common import (
    fail,
    load_environment,
    open_cli_store,
    print_fields,
    print_json,
    print_table,
)
from mimo.store.base import ClusterAccess, StoreNotFound

__all__ = ["clusters", "selectors_cmd"]


def _access_kind(acc: ClusterAccess | None) -> str:
    if acc is None:
        return "none"
    kube = "kubeconfig" if acc.kubeconfig else ("token" if acc.api_url else "no kube")
    azure = str(acc.azure.get("kind", "")) if acc.azure else "no azure"
    return f"{kube}, {azure}"


def _need_file(path: str | None, option: str, *, max_bytes: int = inputs.MAX_CONFIG_BYTES) -> str | None:
    """The absolute path of a regular, readable file of bounded size (its content is checked by the caller)."""
    if path is None:
        return None
    if not path:
        fail(f"{option}: must not be empty")
    inputs.read_file(path, option, max_bytes=max_bytes)
    return os.path.abspath(path)


def _read_secret(path: str, option: str) -> str:
    """One secret from a file: UTF-8, at most 64 KiB, one line (surrounding white space dropped), not empty."""
    value = inputs.read_text_file(path, option, max_bytes=inputs.MAX_SECRET_BYTES).strip()
    if not value:
        fail(f"{option}: {path}: is empty")
    if any(c.isspace() or not c.isprintable() for c in value):
        fail(f"{option}: {path}: must hold one secret on one line (no spaces or control characters)")
    return value


def _check_ca_file(path: str, option: str) -> None:
    """A CA bundle: PEM certificates that parse (cryptography), at most 1 MiB."""
    from cryptography import x509

    data = inputs.read_file(path, option, max_bytes=inputs.MAX_CONFIG_BYTES)
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        certs = []
    if not certs:
        fail(f"{option}: {path}: holds no PEM certificate that parses")


def _check_kubeconfig_file(path: str, option: str) -> None:
    data = inputs.read_file(path, option, max_bytes=inputs.MAX_CONFIG_BYTES)
    inputs.parse_kubeconfig(data, f"{option} {path}")


def _azure_settings(
    kind: str | None, tenant: str | None, client: str | None, secret_file: str | None, token_file: str | None,
    from_env: bool,
) -> dict[str, Any]:
    from mimo.azure import AzureCredentialSettings

    if from_env and any((kind, tenant, client, secret_file, token_file)):
        fail("--azure-from-env: give it alone, without the other --azure-* options")
    try:
        if from_env:
            return AzureCredentialSettings.from_env().to_dict()
        if not any((kind, tenant, client, secret_file, token_file)):
            return {}
        secret: Secret | None = None
        if secret_file:
            secret = Secret(_read_secret(secret_file, "--azure-client-secret-file"))
        settings = AzureCredentialSettings(
            kind=kind or ("workload_identity" if token_file else "client_secret" if secret else "managed_identity"),
            tenant_id=tenant or "",
            client_id=client or "",
            client_secret=secret,
            federated_token_file=_need_file(token_file, "--azure-federated-token-file",
                                            max_bytes=inputs.MAX_SECRET_BYTES) or "",
        )
        return settings.to_dict()
    except ValueError as e:
        fail(str(e))


@click.group("clusters")
def clusters() -> None:
    """Register clusters and see them."""


@clusters.command("add")
@click.argument("document", required=False, type=click.Path(dir_okay=False))
@click.option("--resource-id", help="cluster resource ID (instead of a DOCUMENT file)")
@click.option("--id", "doc_id", help="cluster document UUID (default: a new one)")
@click.option("--kubeconfig", help="kubeconfig file to reach the cluster's API server")
@click.option("--api-url", help="API server URL (with --token-file)")
@click.option("--token-file", help="file holding a bearer token for --api-url")
@click.option("--ca-file", help="CA bundle for --api-url")
@click.option("--azure-credential", "azure_kind", help="client_secret, workload_identity or managed_identity")
@click.option("--azure-tenant-id")
@click.option("--azure-client-id")
@click.option("--azure-client-secret-file", help="file holding the client secret (never pass a secret inline)")
@click.option("--azure-federated-token-file")
@click.option("--azure-from-env", is_flag=True, help="take the Azure credential from AZURE_* variables")
@click.option("--subscription-state", default=None, help="subscription document state (default Registered)")
@click.option("--tenant-id", default=None, help="subscription tenant ID")
@click.option("--json", "as_json", is_flag=True)
def clusters_add(
    document: str | None,
    resource_id: str | None,
    doc_id: str | None,
    kubeconfig: str | None,
    api_url: str | None,
    token_file: str | None,
    ca_file: str | None,
    azure_kind: str | None,
    azure_tenant_id: str | None,
    azure_client_id: str | None,
    azure_client_secret_file: str | None,
    azure_federated_token_file: str | None,
    azure_from_env: bool,
    subscription_state: str | None,
    tenant_id: str | None,
    as_json: bool,
) -> None:
    """Register a cluster: a DOCUMENT (cluster document JSON) or --resource-id, and how to reach it."""
    # -- everything is validated before anything is written --
    if document and (resource_id or doc_id):
        fail("give either a DOCUMENT file or --resource-id/--id, not both")
    try:
        if document:
            data = inputs.read_file(document, "DOCUMENT", max_bytes=inputs.MAX_DOCUMENT_BYTES)
            raw = inputs.parse_json(data, f"DOCUMENT {document}")
            doc = OpenShiftClusterDocument.from_dict(raw)
        else:
            if not resource_id:
                fail("give a DOCUMENT file or --resource-id")
            rid = normalize_resource_id(resource_id, name="--resource-id")
            if doc_id is not None and not doc_id.strip():
                fail("--id: must not be empty")
            doc = OpenShiftClusterDocument(id=(doc_id or str(uuid.uuid4())).lower(), resource_id=rid)
    except DocumentError as e:
        fail(str(e))
    if kubeconfig and (api_url or token_file):
        fail("give either --kubeconfig or --api-url with --token-file, not both")
    if (api_url is None) != (token_file is None):
        fail("--api-url and --token-file: give both (or --kubeconfig)")
    if ca_file and not api_url:
        fail("--ca-file: only with --api-url")
    if api_url is not None:
        api_url = inputs.parse_url(api_url, "--api-url")
    if kubeconfig is not None:
        _check_kubeconfig_file(kubeconfig, "--kubeconfig")
    if token_file is not None:
        _read_secret(token_file, "--token-file")
    if ca_file is not None:
        _check_ca_file(ca_file, "--ca-file")
    azure = _azure_settings(
        azure_kind, azure_tenant_id, azure_client_id, azure_client_secret_file, azure_federated_token_file,
        azure_from_env,
    )
    try:
        access = ClusterAccess(
            kubeconfig=_need_file(kubeconfig, "--kubeconfig"),
            api_url=api_url,
            token_file=_need_file(token_file, "--token-file", max_bytes=inputs.MAX_SECRET_BYTES),
            ca_file=_need_file(ca_file, "--ca-file"),
            azure=azure,
        )
    except ValueError as e:
        fail(str(e))
    try:  # the subscription fields are checked before the store is opened (a refusal creates no store)
        SubscriptionDocument(id=doc.subscription_id, state=subscription_state or "Registered",
                             tenant_id=tenant_id or SubscriptionDocument(id=doc.subscription_id).tenant_id)
    except DocumentError as e:
        fail(("--subscription-state/--tenant-id: ") + str(e))
    store = open_cli_store()
    try:
        sub = store.get_subscription(doc.subscription_id)
        sub_changed = False
    except StoreNotFound:
        sub = SubscriptionDocument(id=doc.subscription_id)
        sub_changed = True
    try:
        if subscription_state is not None or tenant_id is not None:
            sub = SubscriptionDocument(
                id=sub.id,
                state=subscription_state if subscription_state is not None else sub.state,
                tenant_id=tenant_id if tenant_id is not None else sub.tenant_id,
            )
            sub_changed = True
    except DocumentError as e:
        fail(("--subscription-state/--tenant-id: ") + str(e))
    # -- write --
    if sub_changed:
        store.put_subscription(sub)
    store.put_cluster(doc, access)
    if as_json:
        print_json({"cluster": doc.to_dict(redact=True), "access": access.to_dict(redact=True)})
    else:
        click.echo(f"cluster {doc.resource_id} registered (id {doc.id}, access: {_access_kind(access)})")


@clusters.command("list")
@click.option("--json", "as_json", is_flag=True)
def clusters_list(as_json: bool) -> None:
    """List registered clusters."""
    store = open_cli_store(write=False)
    rows = []
    for c in store.list_clusters():
        try:
            sub_state = store.get_subscription(c.subscription_id).state
        except StoreNotFound:
            sub_state = "(none)"
        rows.append(
            {
                "resourceID": c.resource_id,
                "id": c.id,
                "provisioningState": c.properties.provisioning_state,
                "subscriptionState": sub_state,
                "access": _access_kind(store.get_cluster_access(c.resource_id)),
            }
        )
    if as_json:
        print_json(rows)
        return
    print_table(f"{len(rows)} clusters", list(rows[0]) if rows else ["resourceID"], [list(r.values()) for r in rows])


def _get_cluster(resource_id: str) -> OpenShiftClusterDocument:
    try:
        rid = normalize_resource_id(resource_id, name="CLUSTER")
    except DocumentError as e:
        fail(str(e))
    try:
        return open_cli_store(write=False).get_cluster(rid)
    except StoreNotFound as e:
        fail(f"CLUSTER: {e}")


@clusters.command("show")
@click.argument("cluster")
@click.option("--json", "as_json", is_flag=True)
def clusters_show(cluster: str, as_json: bool) -> None:
    """Show one cluster: document (secrets hidden), access, subscription, manifests by state."""
    doc = _get_cluster(cluster)
    store = open_cli_store(write=False)
    acc = store.get_cluster_access(doc.resource_id)
    try:
        sub: dict[str, Any] | None = store.get_subscription(doc.subscription_id).to_dict()
    except StoreNotFound:
        sub = None
    states = Counter(m.state for m in store.list_manifests(cluster_resource_id=doc.resource_id))
    data = {
        "cluster": doc.to_dict(redact=True),
        "access": acc.to_dict(redact=True) if acc else None,
        "subscription": sub,
        "manifests": dict(sorted(states.items())),
    }
    if as_json:
        print_json(data)
        return
    props = doc.properties.to_dict(redact=True)
    print_fields(
        doc.resource_id,
        {
            "id": doc.id,
            "location": doc.location,
            **props,
            "access": _access_kind(acc),
            "subscription": f"{sub['subscription']['state']}" if sub else "(none)",
            "manifests": ", ".join(f"{k}: {v}" for k, v in sorted(states.items())) or "none",
        },
    )


@click.command("selectors")
@click.argument("cluster")
@click.option("--json", "as_json", is_flag=True)
def selectors_cmd(cluster: str, as_json: bool) -> None:
    """The selector values of one cluster (what a schedule's selectors compare against)."""
    from mimo.cli import remote

    client = remote.api_client()
    if client is not None:
        try:
            rid = normalize_resource_id(cluster, name="CLUSTER")
        except DocumentError as e:
            fail(str(e))
        with remote.calling():
            got = client.selectors(rid)
        if as_json:
            print_json(got)
        else:
            print_table(f"selector values of {rid.rsplit('/', 1)[-1]}", ("key", "value"), got.items())
        return
    doc = _get_cluster(cluster)
    try:
        sub = open_cli_store(write=False).get_subscription(doc.subscription_id)
    except StoreNotFound as e:
        fail(f"CLUSTER: {e}")
    from mimo.scheduler import cluster_selector_values

    values = cluster_selector_values(doc, sub, domain_suffix=load_environment().domain_suffix)
    if as_json:
        print_json(values)
        return
    print_table(f"selector values of {doc.name}", ("key", "value"), values.items())
