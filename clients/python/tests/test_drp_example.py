"""examples/python-drp end to end: subscribes to raw frames, reduces them with numpy, submits level-1 products and
releases a level-2 batch at the end of the night."""
import json
import os
import subprocess
import sys

from conftest import ROOT, TOKENS


def test_the_example_drp_loop(server, frames, tmp_path):
    drp, summit = server.client("drp"), server.client("summit")
    start = drp.events(after=0, kinds=["released"], limit=1)["cursor"]
    env = {**os.environ, "FITS_INGEST_TOKEN": TOKENS["drp"], "PYTHONPATH": os.path.join(ROOT, "clients", "python")}
    process = subprocess.Popen([sys.executable, os.path.join(ROOT, "examples", "python-drp", "drp.py"), "--url", server.url, "--night", "2026-11-20",
                                "--frames", "2", "--work", str(tmp_path / "drp"), "--after", str(start)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    # The DRP is already following the feed when the night's frames arrive.
    biases = [summit.push(p, wait=30)["archiveId"] for p in frames(3, "bias", night_hour=7)]
    objects = [summit.push(p, wait=30)["archiveId"] for p in frames(2, "object", object="NGC 4151")]
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    level1 = [line for line in lines if line["event"] == "level1"]
    assert [line["raw"] for line in level1] == objects
    assert all(line["state"] == "ARCHIVED" and line["bias"] >= 3 for line in level1)
    for raw, line in zip(objects, level1):
        [product] = [p for p in drp.products_of(raw) if p["level"] == 1]
        assert product["archiveId"] == line["product"]
        # Provenance: the raw frame as science, the biases it was made with, the pipeline and its parameters.
        provenance = product["provenance"]
        assert provenance["parents"][0] == {"archiveId": raw, "role": "science"}
        assert {p["role"] for p in provenance["parents"][1:]} == {"bias"} and len(provenance["parents"]) == 1 + line["bias"]
        assert provenance["pipeline"] == {"name": "example-kcwi-drp", "version": "0.1"}
        assert provenance["parameters"] == {"bias_combine": "median", "bias_frames": line["bias"]}
        # The product carries the raw header copied: accepted as the product's own, no OFNAME_MISMATCH.
        assert "OFNAME_MISMATCH" not in line["warnings"]
    [released] = [line for line in lines if line["event"] == "released"]
    [(stack_id, state)] = released["products"]
    assert state == "ARCHIVED"
    [stack] = list(drp.catalog(archive_ids=[stack_id]))
    assert stack["level"] == 2 and sorted(stack["parents"]) == sorted(objects)
    assert [p["role"] for p in stack["provenance"]["parents"]] == ["science"] * len(objects)
    assert drp.held("2026-11-20") == []
    events = drp.events(after=start, kinds=["released"])["events"]
    assert [e["detail"]["products"] for e in events] == [1]
    assert set(biases).isdisjoint(line["raw"] for line in level1)
