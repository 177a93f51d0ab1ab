#!/usr/bin/env python3
"""An example data-reduction pipeline (DRP) on the fits-ingest HTTP API.

It follows the archive's event feed for raw KCWI science frames (a durable cursor in <work>/cursor.json, so a
restart resumes where it stopped), fetches each frame (digest checked), subtracts a master bias made with numpy
from the bias frames the instrument's calibration rules associate with it, submits the result as a level-1
product linked to its raw parents with their roles (science, bias), the pipeline's name and version and its
parameters, and at the end of the night holds a level-2 stack and releases the night.

    python3 drp.py --url http://127.0.0.1:8080 --night 2026-11-20 --frames 2 --work /tmp/drp
    (token in $FITS_INGEST_TOKEN or --token)

Needs numpy and astropy (Debian: python3-numpy, python3-astropy) and the client: pip install ./clients/python.
"""
import argparse
import json
import os
import sys

import numpy as np
from astropy.io import fits

try:
    from fits_ingest_client import Client, EventCursor
except ImportError:  # run from the repository without installing the client
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
    from fits_ingest_client import Client, EventCursor

PIPELINE, VERSION = "example-kcwi-drp", "0.1"


def read(path):
    with fits.open(path) as hdul:
        return hdul[0].data.astype(np.float32), hdul[0].header.copy()


def write_product(path, data, header, parents, kind):
    """A product FITS file: the raw header copied (as DRPs do), with the provenance of the reduction."""
    header = header.copy()
    for key in ("CHECKSUM", "DATASUM", "BZERO", "BSCALE"):
        header.remove(key, ignore_missing=True)
    header["PIPELINE"] = (PIPELINE, "reduction pipeline")
    header["PIPEVERS"] = (VERSION, "pipeline version")
    header["PRODTYPE"] = (kind, "product type")
    for i, parent in enumerate(parents[:99], 1):
        header[f"PARENT{i:02d}"] = (parent, "raw frame used")
    fits.PrimaryHDU(data=data.astype(np.float32), header=header).writeto(path, overwrite=True, checksum=True)
    return path


def master_bias(archive, archive_id, work):
    """Median of the bias frames the instrument's rules associate with a frame (None when there are none)."""
    rules = {r["rule"]: r for r in archive.calibrations(archive_id)}
    frames = []
    for cal in rules.get("bias", {}).get("calibrations", []):
        path = archive.fetch(cal["archiveId"], os.path.join(work, cal["archiveId"] + ".fits"), sha256=cal["sha256"])
        frames.append(read(path)[0])
    return (np.median(np.stack(frames), axis=0), [c["archiveId"] for c in rules["bias"]["calibrations"]]) if frames else (None, [])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", default=None)
    parser.add_argument("--night", required=True, help="the night whose level-2 batch is released at the end")
    parser.add_argument("--frames", type=int, default=0, help="stop after this many science frames (0: follow forever)")
    parser.add_argument("--work", required=True)
    parser.add_argument("--after", type=int, default=None, help="start after this event (default: the stored cursor, else the newest)")
    args = parser.parse_args(argv)
    os.makedirs(args.work, exist_ok=True)
    archive = Client(args.url, token=args.token)
    state = os.path.join(args.work, "cursor.json")
    if args.after is not None:
        start = args.after
    elif os.path.exists(state):
        start = json.load(open(state))["after"]
    else:
        start = archive.events(after=0, kinds=["released"], limit=1)["cursor"]
    cursor = EventCursor(start)
    reduced, done = [], 0
    for event in archive.follow(cursor=cursor, wait=20, instrument="KCWI", level=0, imagetype="object", kinds=["archived"]):
        raw = archive.fetch(event["archiveId"], os.path.join(args.work, event["archiveId"] + ".fits"), sha256=event["sha256"])
        data, header = read(raw)
        bias, bias_ids = master_bias(archive, event["archiveId"], args.work)
        if bias is not None:
            data = data - bias
        stem = os.path.splitext(event["originalName"])[0]
        product = write_product(os.path.join(args.work, f"{stem}_bsub.fits"), data, header, [event["archiveId"], *bias_ids], "bias-subtracted")
        # Provenance: the raw frame and the biases it was made with, by role; the pipeline and its parameters.
        answer = archive.push_product(product, parents=[event["archiveId"], *bias_ids], level=1, wait=60,
                                      roles={event["archiveId"]: "science", **{b: "bias" for b in bias_ids}},
                                      pipeline=(PIPELINE, VERSION), parameters={"bias_combine": "median", "bias_frames": len(bias_ids)})
        status = answer["products"][0]
        print(json.dumps({"event": "level1", "raw": event["archiveId"], "product": status["archiveId"], "state": status["state"], "bias": len(bias_ids),
                          "warnings": status["warnings"]}), flush=True)
        reduced.append((event["archiveId"], data, header))
        json.dump({"after": cursor.position}, open(state, "w"))
        done += 1
        if args.frames and done >= args.frames:
            break
    if not reduced:
        return 0
    # End of night: the stack of the night's reduced frames, held until the night is released.
    parents = [r[0] for r in reduced]
    stack = write_product(os.path.join(args.work, f"stack_{args.night}.fits"), np.mean(np.stack([r[1] for r in reduced]), axis=0), reduced[0][2], parents, "stack")
    receipt = archive.upload(stack, level=2, parents=parents)
    archive.submit_products([{"name": receipt["name"], "sha256": receipt["sha256"], "level": 2, "parents": parents,
                              "roles": {p: "science" for p in parents}, "pipeline": {"name": PIPELINE, "version": VERSION},
                              "parameters": {"combine": "mean"}}], hold=True, night=args.night)
    released = archive.release(args.night, wait=60)
    print(json.dumps({"event": "released", "night": args.night, "products": [(p["archiveId"], p["state"]) for p in released["released"]]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
