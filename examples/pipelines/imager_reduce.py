#!/usr/bin/python3
"""imager_reduce: bias subtraction and flat-fielding for the simulated imager (fits-ingest's KCWI frames).

Run by fits-ingest's external-command processor as `imager_reduce.py MANIFEST.json` in a processing area:

  master bias = pixel-wise median of the set's `bias` files
  master flat = pixel-wise median of (flat - master bias) over the set's `flat` files, divided by its median;
                pixels below FLAT_FLOOR (overscan, dead columns) are set to 1 (not flat-fielded)
  product     = (raw - master bias) / master flat, as 32-bit floats

One product per input, written to OUTPUT/<n>/reduced.fits (level 2; OUTPUT/<n>/quicklook.fits at level 1 when the
manifest's mode is `quicklook`, as fits-ingest's quick-look on arrival asks) with the raw header (minus structure and checksum
cards), the manifest's provenance cards, and HISTORY lines; the products are listed in OUTPUT/products.json.
Needs Python 3 with numpy and astropy (Debian: python3-numpy python3-astropy).
"""
import json
import os
import sys

import numpy as np
from astropy.io import fits

NAME = "imager_reduce"
FLAT_FLOOR = 0.05  # of the master flat's median
VERSION = "1.0"
SKIP = {"SIMPLE", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "EXTEND", "BZERO", "BSCALE", "CHECKSUM", "DATASUM", "END"}


def pixels(path):
    with fits.open(path, memmap=False) as hdul:
        return hdul[0].data.astype(np.float64), hdul[0].header.copy()


def masters(files):
    biases = [pixels(f["path"])[0] for f in files if f["role"] == "bias"]
    flats = [pixels(f["path"])[0] for f in files if f["role"] == "flat"]
    if not biases or not flats:
        sys.exit(f"{NAME}: the calibration set needs bias and flat files (roles: {sorted({f['role'] for f in files})})")
    bias = np.median(np.stack(biases), axis=0)
    flat = np.median(np.stack([f - bias for f in flats]), axis=0)
    norm = np.median(flat)
    if not norm > 0:
        sys.exit(f"{NAME}: the master flat has a median of {norm}; check the flat files")
    flat = flat / norm
    # Pixels with (almost) no flat signal -- the overscan strip, dead columns -- cannot be flat-fielded: divide by 1.
    flat = np.where(flat > FLAT_FLOOR, flat, 1.0)
    return bias, flat, len(biases), len(flats)


def main():
    manifest = json.load(open(sys.argv[1]))
    calibration = manifest["calibration"]
    # quick-look (a processing rule's mode) gives level-1 products; a full reduction or a plain reprocessing level 2
    level = 1 if manifest.get("mode") == "quicklook" else 2
    bias, flat, nbias, nflat = masters(calibration["files"])
    print(f"{NAME} {VERSION}: {calibration['setId']}: master bias of {nbias}, master flat of {nflat} (median-normalized)", flush=True)
    products = []
    for n, item in enumerate(manifest["inputs"], start=1):
        raw, raw_header = pixels(item["path"])
        if raw.shape != bias.shape:
            sys.exit(f"{NAME}: {item['archiveId']} is {raw.shape[1]}x{raw.shape[0]}, the calibrations {bias.shape[1]}x{bias.shape[0]}")
        reduced = ((raw - bias) / flat).astype(np.float32)
        header = fits.Header()
        for card in raw_header.cards:
            if card.keyword not in SKIP:
                header.append(card)
        for card in manifest["provenance"]:
            header[card["keyword"]] = (card["value"], card["comment"])
        header.add_history(f"{NAME} {VERSION}: bias-subtracted and flat-fielded with {calibration['setId']}")
        out = os.path.join(manifest["outputDir"], str(n))
        os.makedirs(out, exist_ok=True)
        name = "quicklook.fits" if level == 1 else "reduced.fits"  # the archive id of a product comes from its parent and name
        fits.PrimaryHDU(reduced, header=header).writeto(os.path.join(out, name))
        products.append({"file": f"{n}/{name}", "level": level, "parents": [item["archiveId"]]})
        print(f"{item['archiveId']}: mean {float(reduced.mean()):.3f}", flush=True)
    with open(os.path.join(manifest["outputDir"], "products.json"), "w") as f:
        json.dump({"products": products}, f)


if __name__ == "__main__":
    main()
