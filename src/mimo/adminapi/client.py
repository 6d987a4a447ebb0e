"""A client for a running admin API (what ``mimo --api URL`` talks to).

One method per endpoint; lists follow ``nextLink`` to the last page. A
refusal raises :class:`AdminAPIError` carrying the HTTP status and the
CloudError's code, target and message; a server that cannot be reached
raises :class:`AdminAPIUnreachable`. The bearer token is sent only in the
``Authorization`` header and never shown.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests

__all__ = ["AdminClient", "AdminAPIError", "AdminAPIUnreachable", "MAX_PAGES"]

#: a server whose nextLinks never end is not followed forever
MAX_PAGES = 10_000


class AdminAPIError(Exception):
    """The API answered with an error (its CloudError)."""

    def __init__(self, status: int, code: str, target: str, message: str) -> None:
        self.status, self.code, self.target, self.message = status, code, target, message
        where = f" (target {target})" if target else ""
        super().__init__(f"{message or 'no message'}{where} [HTTP {status} {code or 'error'}]")


class AdminAPIUnreachable(Exception):
    """No answer from the API (connection refused, TLS failure, time-out)."""


class AdminClient:
    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        cert: tuple[str, str] | None = None,
        ca: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"--api: {base_url!r} is not an http(s) URL like https://mimo.example:8443")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers["Accept"] = "application/json"
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"
        if cert is not None:
            self._session.cert = cert
        if ca is not None:
            self._session.verify = ca

    def __repr__(self) -> str:
        return f"AdminClient({self.base_url!r})"

    def close(self) -> None:
        self._session.close()

    # -- plumbing --------------------------------------------------------------------------------
    def _request(self, method: str, url: str, *, params: dict[str, str] | None = None, body: Any = None) -> tuple[int, Any]:
        if not url.startswith(("http://", "https://")):
            url = self.base_url + url
        try:
            r = self._session.request(method, url, params=params, json=body, timeout=self.timeout)
        except requests.exceptions.SSLError as e:
            raise AdminAPIUnreachable(f"--api {self.base_url}: TLS failed: {e}") from None
        except requests.exceptions.RequestException as e:
            raise AdminAPIUnreachable(f"--api {self.base_url}: no answer: {type(e).__name__}") from None
        try:
            data = r.json() if r.content else None
        except ValueError:
            data = None
        if r.status_code >= 400:
            err = (data or {}).get("error") if isinstance(data, dict) else None
            err = err if isinstance(err, dict) else {}
            raise AdminAPIError(r.status_code, str(err.get("code", "")), str(err.get("target", "")),
                                str(err.get("message", "") or r.reason))
        return r.status_code, data

    def _all_pages(self, url: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        next_url: str | None = url
        for _ in range(MAX_PAGES):
            if not next_url:
                return out
            _, data = self._request("GET", next_url)
            out += list(data.get("value") or [])
            next_url = data.get("nextLink") or None
        raise AdminAPIUnreachable(f"--api {self.base_url}: more than {MAX_PAGES} pages")

    @staticmethod
    def cluster_path(resource_id: str) -> str:
        return "/admin" + resource_id

    # -- manifests -------------------------------------------------------------------------------
    def list_manifests(self, resource_id: str) -> list[dict[str, Any]]:
        return self._all_pages(self.cluster_path(resource_id) + "/maintenancemanifests")

    def queued_manifests(self) -> list[dict[str, Any]]:
        return self._all_pages("/admin/maintenancemanifests/queued")

    def create_manifest(self, resource_id: str, body: dict[str, Any]) -> dict[str, Any]:
        _, data = self._request("PUT", self.cluster_path(resource_id) + "/maintenancemanifests", body=body)
        return dict(data)

    def get_manifest(self, resource_id: str, manifest_id: str) -> dict[str, Any]:
        _, data = self._request("GET", f"{self.cluster_path(resource_id)}/maintenancemanifests/{manifest_id}")
        return dict(data)

    def delete_manifest(self, resource_id: str, manifest_id: str) -> None:
        self._request("DELETE", f"{self.cluster_path(resource_id)}/maintenancemanifests/{manifest_id}")

    def cancel_manifest(self, resource_id: str, manifest_id: str) -> dict[str, Any]:
        _, data = self._request("POST", f"{self.cluster_path(resource_id)}/maintenancemanifests/{manifest_id}/cancel")
        return dict(data)

    def cancel_schedule_manifests(self, schedule_id: str) -> dict[str, Any]:
        _, data = self._request("POST", "/admin/maintenancemanifests/cancel", params={"scheduleID": schedule_id})
        return dict(data)

    # -- schedules -------------------------------------------------------------------------------
    def put_schedule(self, body: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        """``(created, schedule)``: 201 made it, 200 replaced it."""
        status, data = self._request("PUT", "/admin/maintenanceschedules", body=body)
        return status == 201, dict(data)

    def list_schedules(self) -> list[dict[str, Any]]:
        return self._all_pages("/admin/maintenanceschedules")

    def get_schedule(self, schedule_id: str) -> dict[str, Any]:
        _, data = self._request("GET", f"/admin/maintenanceschedules/{schedule_id}")
        return dict(data)

    # -- clusters --------------------------------------------------------------------------------
    def selectors(self, resource_id: str) -> dict[str, str]:
        _, data = self._request("GET", self.cluster_path(resource_id) + "/selectors")
        return dict(data)
