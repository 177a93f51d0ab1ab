"""The Python client against a live ``fits-ingest serve`` on loopback."""
import json
import os
import time

import pytest

from fits_ingest_client import ApiError, DigestMismatch, verify_signature
from fits_ingest_client.client import sha256_of, wait_until


def newest(client):
    return client.events(after=0, kinds=["released"], limit=1)["cursor"]


def test_push_and_fetch_check_digests(server, frames, tmp_path):
    drp = server.client("drp")
    [path] = frames(1)
    status = drp.push(path, wait=30)
    assert status["state"] == "ARCHIVED" and status["instrument"] == "KCWI"
    assert status["sha256"] == sha256_of(path)
    again = drp.push(path, wait=30)
    assert again["alreadyArchived"] is True and again["archiveId"] == status["archiveId"]
    got = drp.fetch(status["archiveId"], str(tmp_path))
    assert sha256_of(got) == status["archivedSha256"]
    with pytest.raises(DigestMismatch):
        drp.fetch(status["archiveId"], str(tmp_path / "wrong.fits"), sha256="0" * 64)
    assert not os.path.exists(tmp_path / "wrong.fits") and not os.path.exists(tmp_path / "wrong.fits.part")
    with pytest.raises(ApiError) as refused:
        server.client("hires").fetch(status["archiveId"], str(tmp_path / "x.fits"))
    assert refused.value.status == 404


def test_feed_with_cursor_and_filters(server, frames):
    drp = server.client("drp")
    start = newest(drp)
    objects, biases = frames(2, "object"), frames(2, "bias")
    summit = server.client("summit")
    archived = [summit.push(p, wait=30)["archiveId"] for p in objects + biases]
    seen = [e["archiveId"] for e in drp.follow(after=start, wait=2, idle_limit=1, instrument="kcwi", level=0)]
    assert seen == archived
    bias = list(drp.follow(after=start, wait=1, idle_limit=1, imagetype="BIAS"))
    assert [e["archiveId"] for e in bias] == archived[2:]
    event = bias[0]
    assert event["kind"] == "archived" and event["urls"]["content"].endswith("/content") and event["night"] == "2026-11-20"


def test_long_poll_answers_when_a_frame_arrives(server, frames):
    drp, summit = server.client("drp"), server.client("summit")
    start = newest(drp)
    [path] = frames(1)
    import threading

    pushed = threading.Timer(0.5, lambda: summit.push(path, wait=30))
    pushed.start()
    t0 = time.monotonic()
    page = drp.events(after=start, wait=20)
    pushed.join()
    assert [e["originalName"] for e in page["events"]] == [os.path.basename(path)]
    assert time.monotonic() - t0 < 15


def test_a_subscriber_down_for_a_while_gets_every_event_after_it_comes_back_in_order_once(server, frames, receiver):
    drp, summit = server.client("drp"), server.client("summit")
    start = newest(drp)
    receiver.down = True
    sub = drp.subscribe(receiver.url, secret="python-subscriber-secret", after=start, instrument="KCWI")
    assert sub["cursor"] == start and sub["secret"] == "python-subscriber-secret"
    archived = [summit.push(p, wait=30)["archiveId"] for p in frames(5)]
    wait_until(lambda: receiver.refused >= 2, timeout=20)
    receiver.down = False
    wait_until(lambda: sum(len(json.loads(b)["events"]) for b, _ in receiver.bodies) >= 5, timeout=30)
    time.sleep(0.5)
    events = [e for body, signature in receiver.bodies for e in verify_signature("python-subscriber-secret", body, signature)["events"]]
    assert [e["archiveId"] for e in events] == archived
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs))
    wait_until(lambda: drp.subscription(sub["id"])["cursor"] == seqs[-1], timeout=10)
    drp.unsubscribe(sub["id"])
    assert sub["id"] not in [s["id"] for s in drp.subscriptions()]


def test_a_subscriber_never_sees_a_file_its_token_may_not_read(server, frames, receiver):
    hires, summit = server.client("hires"), server.client("summit")
    start = newest(server.client("drp"))
    sub = hires.subscribe(receiver.url, after=start)
    archived = [summit.push(p, wait=30)["archiveId"] for p in frames(2)]
    end = newest(server.client("drp"))
    wait_until(lambda: hires.subscription(sub["id"])["cursor"] >= end, timeout=20)
    assert receiver.bodies == []
    assert hires.events(after=start)["events"] == []
    assert list(hires.catalog(archive_ids=archived)) == []
    assert [f["archiveId"] for f in server.client("drp").catalog(archive_ids=archived)] == sorted(archived)


def test_catalog_queries(server, frames):
    drp, summit = server.client("drp"), server.client("summit")
    science = summit.push(frames(1, "object")[0], wait=30)["archiveId"]
    biases = [summit.push(p, wait=30)["archiveId"] for p in frames(2, "bias")]
    found = [f["archiveId"] for f in drp.catalog(instrument="KCWI", night="2026-11-20", where=["imageType = bias"], page_size=1)]
    assert set(biases) <= set(found) and science not in found
    night = [n for n in drp.nights() if n["night"] == "2026-11-20"][0]
    assert night["files"] >= 3
    bias_rule = [r for r in drp.calibrations(science) if r["rule"] == "bias"][0]
    assert set(biases) <= {c["archiveId"] for c in bias_rule["calibrations"]}
