#!/usr/bin/python3
"""A test pipeline that misbehaves on purpose, by input archive id (behaviour.json next to this run's counter):
fail (exit 3 with a message on stderr), hang (start a grandchild, then sleep), ok (run the example pipeline)."""
import json, os, subprocess, sys, time

manifest = json.load(open(sys.argv[1]))
rules = json.load(open(os.environ["BEHAVIOUR"]))
archive_id = manifest["inputs"][0]["archiveId"]
what = rules.get(archive_id, "ok")
print(f"behave: {archive_id}: {what}", flush=True)
if what == "fail":
    print("boom: the frame is bad", file=sys.stderr, flush=True)
    sys.exit(3)
if what == "hang":
    child = subprocess.Popen(["sleep", "60"])
    with open(os.environ["BEHAVIOUR"] + f".{archive_id}.pids", "w") as f:
        f.write(f"{os.getpid()} {child.pid}\n")
    print("hanging", flush=True)
    time.sleep(60)
os.execv("/usr/bin/python3", ["/usr/bin/python3", os.environ["PIPELINE"], sys.argv[1]])
