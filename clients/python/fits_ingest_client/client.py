"""The HTTP client: one ``Client`` per archive and token."""
import base64
import hashlib
import json
import os
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request

_CHUNK = 1 << 20


class ApiError(Exception):
    """A non-2xx answer: ``status`` (HTTP), ``code`` (the fits-ingest error code) and ``message``."""

    def __init__(self, status, code, message, body=None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.body = status, code, message, body


class DigestMismatch(Exception):
    """Bytes whose SHA-256 is not the one the other side declared."""


def sha256_of(path):
    """SHA-256 (hex) of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class EventCursor:
    """Where a reader of the event feed is: ``position`` is the ``seq`` to read after (keep it to resume)."""

    def __init__(self, position=0):
        self.position = position


class Client:
    """The archive's HTTP API (docs/http.md).

    ``url``: e.g. ``https://archive.example.org:8443``; ``token``: a bearer token (default: $FITS_INGEST_TOKEN);
    ``ca``: a CA file (PEM) for a private or self-signed server; ``timeout``: seconds per request (long polls add
    their ``wait``).
    """

    def __init__(self, url, token=None, ca=None, timeout=60):
        self.url = url.rstrip("/")
        self.token = token if token is not None else os.environ.get("FITS_INGEST_TOKEN")
        self.timeout = timeout
        self._context = ssl.create_default_context(cafile=ca) if ca else None

    # -- plumbing ---------------------------------------------------------------------------------------------
    def _open(self, method, path, query=None, body=None, headers=None, timeout=None):
        target = self.url + path
        if query:
            pairs = []
            for key, value in query.items():
                if value is None:
                    continue
                for item in value if isinstance(value, (list, tuple)) else [value]:
                    pairs.append((key, "true" if item is True else "false" if item is False else str(item)))
            target += "?" + urllib.parse.urlencode(pairs)
        request = urllib.request.Request(target, data=body, method=method, headers=dict(headers or {}))
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            return urllib.request.urlopen(request, timeout=timeout or self.timeout, context=self._context)
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                err = json.loads(raw)["error"]
                raise ApiError(error.code, err.get("code"), err.get("message"), raw) from None
            except (ValueError, KeyError, TypeError):
                raise ApiError(error.code, "HTTP_ERROR", raw.decode("utf-8", "replace")[:500], raw) from None

    def _json(self, method, path, query=None, payload=None, timeout=None):
        body = None if payload is None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        with self._open(method, path, query, body, headers, timeout) as response:
            raw = response.read()
            return json.loads(raw) if raw else None

    # -- files ------------------------------------------------------------------------------------------------
    def health(self):
        return self._json("GET", "/v1/health")

    def upload(self, path, instrument=None, level=0, parents=(), name=None, prepared=False, replace=False, ingest=False, wait=0):
        """Sends a file in one request with its declared SHA-256; checks that the receipt echoes that digest.

        Returns the receipt (with ``ingest``, the ingestion status, when ``ingest=True``).
        """
        digest = sha256_of(path)
        size = os.path.getsize(path)
        query = {"name": name or os.path.basename(path), "sha256": digest, "size": size, "instrument": instrument, "level": level,
                 "parents": ",".join(parents) or None, "prepared": prepared or None, "replace": replace or None,
                 "ingest": ingest or None, "wait": wait or None}
        with open(path, "rb") as body:
            with self._open("POST", "/v1/uploads", query, body, {"Content-Type": "application/fits", "Content-Length": str(size)},
                            timeout=self.timeout + wait) as response:
                receipt = json.loads(response.read())
        if receipt.get("sha256") != digest:
            raise DigestMismatch(f"{path}: sent SHA-256 {digest}, the archive received {receipt.get('sha256')}")
        return receipt

    def push(self, path, instrument=None, level=0, parents=(), wait=60, prepared=False, reingest=False):
        """Uploads and ingests a file; returns its ingestion status (``state`` ARCHIVED once archived)."""
        receipt = self.upload(path, instrument=instrument, level=level, parents=parents, prepared=prepared, replace=reingest, ingest=True, wait=wait)
        return receipt["ingest"]

    def status(self, record_id, wait=0):
        """An ingestion's status, waiting up to ``wait`` seconds for a final state."""
        return self._json("GET", f"/v1/ingest/{record_id}", {"wait": wait or None}, timeout=self.timeout + wait)

    def file(self, archive_id):
        """What the archive knows under an archive id (metrics, history, ``products``)."""
        return self._json("GET", f"/v1/files/{urllib.parse.quote(archive_id)}")

    def fetch(self, archive_id, dest, sha256=None):
        """Downloads an archived file to ``dest`` (a file path, or a directory: ``<archiveId>.fits`` in it).

        The bytes are checked against the server's ``Repr-Digest`` and ``sha256`` when given (an event's digest);
        a mismatch removes the partial file and raises DigestMismatch. Returns the path written.
        """
        target = os.path.join(dest, f"{archive_id}.fits") if os.path.isdir(dest) else dest
        partial = target + ".part"
        digest = hashlib.sha256()
        with self._open("GET", f"/v1/files/{urllib.parse.quote(archive_id)}/content") as response, open(partial, "wb") as out:
            declared = response.headers.get("Repr-Digest", "")
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
        got = digest.hexdigest()
        wanted = [sha256] if sha256 else []
        if declared.startswith("sha-256=:"):
            wanted.append(base64.b64decode(declared[len("sha-256=:"):].rstrip(":")).hex())
        if not wanted or any(w != got for w in wanted):
            os.remove(partial)
            raise DigestMismatch(f"{archive_id}: received SHA-256 {got}, expected {' / '.join(wanted) or '(no Repr-Digest)'}")
        os.replace(partial, target)
        return target

    # -- products ---------------------------------------------------------------------------------------------
    def submit_products(self, products, hold=False, night=None, wait=0):
        """Submits uploaded products: ``products`` is a list of dicts ``{name, sha256, level, parents, instrument?}``
        (``upload`` returns name and sha256), with their provenance if wanted: ``roles`` (``{parent archive id:
        "science" | "bias" | "flat" | "arc" | …}``), ``pipeline`` (``{"name", "version"}``) and ``parameters`` (a dict of
        strings, numbers, booleans, None). With ``hold=True`` they wait for ``release(night)``."""
        payload = {"products": list(products), "hold": hold, "wait": wait}
        if night:
            payload["night"] = night
        return self._json("POST", "/v1/products", payload=payload, timeout=self.timeout + wait)

    def push_product(self, path, parents, level=1, instrument=None, hold=False, night=None, wait=60, roles=None, pipeline=None,
                     parameters=None):
        """Uploads one product and submits it with its raw parents; returns the answer of ``/v1/products``.

        Provenance (kept in the product's header and the catalog, returned by ``catalog`` and ``products_of``):
        ``roles`` maps parent archive ids to their role, ``pipeline`` is ``(name, version)`` or a dict, ``parameters``
        a dict of the reduction's parameters."""
        receipt = self.upload(path, instrument=instrument, level=level, parents=parents)
        product = {"name": receipt["name"], "sha256": receipt["sha256"], "level": level, "parents": list(parents)}
        if instrument:
            product["instrument"] = instrument
        if roles:
            product["roles"] = dict(roles)
        if pipeline:
            product["pipeline"] = dict(pipeline) if isinstance(pipeline, dict) else {"name": pipeline[0], "version": pipeline[1]}
        if parameters is not None:
            product["parameters"] = dict(parameters)
        return self.submit_products([product], hold=hold, night=night, wait=wait)

    def release(self, night, wait=0):
        """Releases the products the token's site held for a night."""
        return self._json("POST", f"/v1/nights/{night}/release", {"wait": wait or None}, timeout=self.timeout + wait)

    def held(self, night):
        """The products the token's site holds for a night."""
        return self._json("GET", f"/v1/nights/{night}/held")["held"]

    def withdraw(self, night, name, sha256=None):
        """Withdraws a held product from a night's batch."""
        self._json("DELETE", f"/v1/nights/{night}/held/{urllib.parse.quote(name)}", {"sha256": sha256})

    def night(self, night):
        """Every file of a night, counts by state, and the number of held products."""
        return self._json("GET", f"/v1/nights/{night}")

    # -- the event feed ---------------------------------------------------------------------------------------
    def events(self, after=0, wait=0, limit=100, instrument=None, level=None, program=None, imagetype=None, kinds=None):
        """One page of the event log after ``after``: ``{"events": [...], "cursor": n}`` (long poll with ``wait``)."""
        query = {"after": after, "wait": wait or None, "limit": limit, "instrument": instrument, "level": level, "program": program,
                 "imagetype": imagetype, "kind": ",".join(kinds) if kinds else None}
        return self._json("GET", "/v1/events", query, timeout=self.timeout + wait)

    def follow(self, after=0, cursor=None, wait=30, idle_limit=None, **filters):
        """Yields events after ``after`` (or ``cursor.position``) forever, long-polling; ``cursor.position`` follows
        the events yielded, so a reader can store it and resume. Stops after ``idle_limit`` empty polls if given."""
        cursor = cursor or EventCursor(after)
        idle = 0
        while idle_limit is None or idle < idle_limit:
            page = self.events(after=cursor.position, wait=wait, **filters)
            idle = 0 if page["events"] else idle + 1
            for event in page["events"]:
                cursor.position = event["seq"]
                yield event
            cursor.position = max(cursor.position, page["cursor"])

    def subscribe(self, url, secret=None, after=None, **filters):
        """Registers a webhook subscriber; the answer holds its ``id`` and ``secret`` (shown once)."""
        payload = {"url": url, "filter": {k: v for k, v in filters.items() if v is not None}}
        if secret:
            payload["secret"] = secret
        if after is not None:
            payload["after"] = after
        return self._json("POST", "/v1/subscriptions", payload=payload)

    def subscriptions(self):
        return self._json("GET", "/v1/subscriptions")["subscriptions"]

    def subscription(self, subscription_id):
        return self._json("GET", f"/v1/subscriptions/{subscription_id}")

    def unsubscribe(self, subscription_id):
        self._json("DELETE", f"/v1/subscriptions/{subscription_id}")

    # -- the catalog ------------------------------------------------------------------------------------------
    def catalog(self, instrument=None, program=None, level=None, night=None, date_from=None, date_to=None, parent=None,
                where=(), archive_ids=(), page_size=100, limit=None):
        """Yields archived files matching the filters of ``fits-ingest catalog query``, following the pages.

        ``where``: predicates ``"column op value"`` (e.g. ``"imageType = bias"``, ``"xposure >= 300"``).
        """
        after, count = None, 0
        while True:
            query = {"instrument": instrument, "program": program, "level": level, "night": night, "from": date_from, "to": date_to,
                     "parent": parent, "where": list(where) or None, "archiveId": list(archive_ids) or None, "limit": page_size, "after": after}
            page = self._json("GET", "/v1/catalog", query)
            for entry in page["files"]:
                yield entry
                count += 1
                if limit is not None and count >= limit:
                    return
            if page["next"] is None:
                return
            after = page["next"]

    def nights(self, instrument=None, date_from=None, date_to=None):
        return self._json("GET", "/v1/nights", {"instrument": instrument, "from": date_from, "to": date_to})["nights"]

    def products_of(self, archive_id):
        """The current products made from a raw frame."""
        return self.file(archive_id).get("products", [])

    def calibrations(self, archive_id):
        """The frames the instrument's calibration rules associate with a frame, by rule."""
        return self._json("GET", f"/v1/files/{urllib.parse.quote(archive_id)}/calibrations")["rules"]


def wait_until(condition, timeout=10.0, step=0.05):
    """Polls ``condition`` until true (for scripts and tests); raises TimeoutError."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(step)
