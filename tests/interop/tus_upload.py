"""Uploads a file to Airlock with tuspy, a real tus client.

Usage: tus_upload.py ENDPOINT TOKEN ACQUISITION PATH [--stop-at BYTES] [--url URL]

With --stop-at it stops once that many bytes are acknowledged (an
interrupted upload); with --url it resumes that upload. Prints the upload's
URL.
"""
import argparse

from tusclient import client

p = argparse.ArgumentParser()
p.add_argument("endpoint")
p.add_argument("token")
p.add_argument("acquisition")
p.add_argument("path")
p.add_argument("--stop-at", type=int)
p.add_argument("--url")
a = p.parse_args()

tus = client.TusClient(a.endpoint, headers={"Authorization": f"Bearer {a.token}"})
uploader = tus.uploader(
    a.path,
    url=a.url,
    chunk_size=8 << 20,
    metadata={"acquisition_id": a.acquisition, "filename": "big.csv", "format": "csv"},
)
if a.stop_at is not None:
    uploader.upload(stop_at=a.stop_at)
else:
    uploader.upload()
print(uploader.url)
