"""Verifying what the archive POSTs to a webhook (callbacks and subscription deliveries)."""
import hashlib
import hmac
import json
import re
import time

_HEADER = re.compile(r"\s*t=(\d{1,12})\s*,\s*sha256=([0-9a-fA-F]{64})\s*")


def verify_signature(secret, body, header, tolerance_s=300, now=None):
    """Returns the JSON payload of a signed delivery, or raises ValueError.

    ``header`` is ``X-Fits-Ingest-Signature`` (``t=<unix seconds>,sha256=<hex HMAC-SHA256 of "<t>.<body>">``);
    ``body`` the raw bytes received.
    """
    match = _HEADER.fullmatch(header or "")
    if not match:
        raise ValueError("malformed X-Fits-Ingest-Signature")
    t, given = int(match.group(1)), match.group(2).lower()
    if abs((time.time() if now is None else now) - t) > tolerance_s:
        raise ValueError("signature time outside the window")
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise ValueError("signature does not match")
    return json.loads(body)
