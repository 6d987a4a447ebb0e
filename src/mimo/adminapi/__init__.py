"""The admin HTTP API: the Go MIMO's admin endpoints over any store.

:func:`~mimo.adminapi.app.create_app` builds the ASGI app;
:class:`~mimo.adminapi.service.AdminService` holds what each endpoint does;
:class:`~mimo.adminapi.client.AdminClient` calls a running API (``mimo --api URL``).
"""
