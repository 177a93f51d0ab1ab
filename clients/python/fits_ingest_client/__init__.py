"""Python client of the fits-ingest HTTP API (standard library only).

>>> from fits_ingest_client import Client
>>> archive = Client("https://archive.example.org:8443", token="...")
>>> status = archive.push("kb261120_00001.fits", wait=60)          # digest checked both ways
>>> for event in archive.follow(after=0, instrument="KCWI", level=0, imagetype="object"):
...     archive.fetch(event["archiveId"], "/data/in/")               # bytes checked against the event's digest
"""
from .client import ApiError, Client, DigestMismatch, EventCursor
from .webhook import verify_signature

__all__ = ["ApiError", "Client", "DigestMismatch", "EventCursor", "verify_signature"]
__version__ = "0.1.0"
