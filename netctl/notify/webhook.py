"""Webhook notifier: POST each alert event as JSON to a URL."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from netctl.errors import ConfigError, NetctlError


class WebhookNotifier:
    """POST ``event`` as ``application/json`` to ``target``; any non-2xx answer is a failure."""

    def __init__(self, target: str, *, timeout: float = 5.0, headers: dict[str, str] | None = None) -> None:
        if not target.startswith(("http://", "https://")):
            raise ConfigError(f"webhook URL {target!r} is not http(s)", hint="use e.g. https://chat.example/hook")
        self.url = target
        self.timeout = float(timeout)
        self.headers = dict(headers or {})

    def send(self, event: dict[str, Any]) -> None:
        body = json.dumps(event, default=str).encode()
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "User-Agent": "netctl", **self.headers})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s) checked
                status = response.status
        except urllib.error.HTTPError as exc:
            raise NetctlError(f"webhook {self.url} answered HTTP {exc.code}",
                              hint="check the receiver's logs") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise NetctlError(f"webhook {self.url} unreachable: {getattr(exc, 'reason', exc)}",
                              hint="check the URL and that the receiver runs") from exc
        if not 200 <= status < 300:
            raise NetctlError(f"webhook {self.url} answered HTTP {status}")
