"""Microsoft.Compute on the wire: ``GET /subscriptions/{id}/providers/Microsoft.Compute/skus``.

Supports the API's one filter, ``$filter=location eq '<region>'``; pages with ``nextLink``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pytest_mimo.fakes.azure.responses.arm import SUBSCRIPTION_LISTS, page
from pytest_mimo.fakes.azure.responses.common import ArmError, Incoming, Reply
from pytest_mimo.fakes.azure.urls import ArmPath

if TYPE_CHECKING:
    from pytest_mimo.fakes.azure.fake import FakeAzure

__all__ = ["list_skus"]

_LOCATION = re.compile(r"^\s*location\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)


def list_skus(fake: FakeAzure, inc: Incoming, p: ArmPath) -> Reply:
    flt = inc.url.query.get("$filter")
    location = None
    if flt:
        m = _LOCATION.match(flt)
        if m is None:
            raise ArmError(400, "InvalidFilter", f"The filter '{flt}' is not supported. Supported: location eq '<location>'.")
        location = m.group(1)
    return page(fake, inc, fake.skus.list(location))


SUBSCRIPTION_LISTS["microsoft.compute/skus"] = list_skus
