#!/usr/bin/env python3
"""The `iso8583` CLI against pyiso8583 + json on the same hex lines, in one run.

Generates N (default 100,000) messages of the longer kind real hosts see (about 800 bytes:
a chip purchase with track 2, DE 43, private data in DE 48/60/62/63 and ICC data in DE 55),
encodes them with our own encoder (`iso8583 encode --spec iso87-ascii`) into one hex line per
message, then times, on that same file:

  - `iso8583 decode --spec iso87-ascii --input hex-lines --format jsonl --unmask` on all cores
    and with `--jobs 1` (one core);
  - Python: `bytes.fromhex`, `iso8583.decode` with pyiso8583's `default_ascii` spec (the same
    layout as `iso87-ascii`) and `json.dumps` of the same `{"mti":..,"fields":{..}}` object, one
    line per message.

It checks that both outputs hold the same messages, prints both times, the hex input rate
and the ratio. pyiso8583 is installed from PyPI into target/pyiso8583-venv if it is missing.

    python3 tools/cli_vs_pyiso8583.py [--lines 100000] [--keep DIR]
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "target", "pyiso8583-venv")


def ensure_pyiso8583():
    """Re-runs this script under a venv that has pyiso8583 when the current Python lacks it."""
    try:
        import iso8583  # noqa: F401
        return
    except ImportError:
        pass
    python = os.path.join(VENV, "bin", "python")
    if not os.path.exists(python):
        print(f"installing pyiso8583 into {VENV}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "pyiso8583"], check=True)
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        sys.exit("pyiso8583 is not importable even in its venv")
    os.execv(python, [python] + sys.argv)


def cli_binary():
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--example", "iso8583"],
        cwd=ROOT,
        check=True,
    )
    return os.path.join(ROOT, "target", "release", "examples", "iso8583")


def message(rng, i):
    """A long chip purchase: about 800 bytes on the wire in iso87-ascii."""
    digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))
    text = lambda n: "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ") for _ in range(n))
    hexs = lambda n: "".join(rng.choice("0123456789ABCDEF") for _ in range(n))
    pan = "476173" + digits(10)
    icc = (
        "9F2608" + hexs(16) + "9F2701809F100706" + hexs(12) + "9F3704" + hexs(8)
        + "9F3602" + hexs(4) + "950500000080009A03" + digits(6) + "9C01009F02060000"
        + digits(8) + "5F2A020840820258009F1A0208409F34031E03009F3303E0F0C8"
        + "9F3501229F1E08" + hexs(16) + "8407A00000000310109F090200969F4104" + digits(8)
    )
    return {
        "mti": "0200",
        "fields": {
            "2": pan,
            "3": "000000",
            "4": f"{rng.randrange(1, 10**7):012d}",
            "7": "1122093000",
            "11": f"{i % 1000000:06d}",
            "12": "093000",
            "13": "1122",
            "14": "2912",
            "18": "5411",
            "22": "051",
            "23": "001",
            "25": "00",
            "32": "12345678901",
            "35": pan + "=2912201" + digits(12),
            "37": f"{i:012d}",
            "41": "TERM0001",
            "42": "MERCHANT0000001",
            "43": text(40),
            "48": text(rng.randrange(120, 160)),
            "49": "840",
            "52": hexs(16),
            "55": icc,
            "60": text(rng.randrange(40, 60)),
            "62": text(rng.randrange(60, 90)),
            "63": text(rng.randrange(40, 80)),
        },
    }


def generate(cli, path, lines):
    rng = random.Random(8583)
    jsonl = path + ".jsonl"
    with open(jsonl, "w") as f:
        for i in range(lines):
            f.write(json.dumps(message(rng, i)) + "\n")
    with open(path, "w") as out:
        subprocess.run([cli, "encode", "--spec", "iso87-ascii", jsonl], stdout=out, check=True)
    os.remove(jsonl)


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_cli(cli, path, out, jobs):
    """(wall seconds, CPU seconds) of one CLI run."""
    cmd = [cli, "decode", "--spec", "iso87-ascii", "--input", "hex-lines", "--format", "jsonl",
           "--unmask", "--quiet", path]
    if jobs:
        cmd[2:2] = ["--jobs", str(jobs)]
    with open(out, "w") as o:
        cpu = children_cpu()
        start = time.perf_counter()
        subprocess.run(cmd, stdout=o, check=True)
        return time.perf_counter() - start, children_cpu() - cpu


def time_python(path, out):
    """(wall seconds, CPU seconds) of the same job in Python."""
    import iso8583
    from iso8583.specs import default_ascii as spec

    cpu = time.process_time()
    start = time.perf_counter()
    with open(path) as f, open(out, "w") as o:
        for line in f:
            decoded, _ = iso8583.decode(bytes.fromhex(line), spec)
            fields = {k: decoded[k] for k in sorted((k for k in decoded if k.isdigit() and k != "1"), key=int)}
            o.write(json.dumps({"mti": decoded["t"], "fields": fields}, separators=(",", ":")) + "\n")
    return time.perf_counter() - start, time.process_time() - cpu


def same_messages(a, b):
    with open(a) as fa, open(b) as fb:
        for la, lb in zip(fa, fb, strict=True):
            if json.loads(la) != json.loads(lb):
                return False
    return True


def main():
    ensure_pyiso8583()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--keep", help="directory for the generated files (default: a temporary one)")
    args = ap.parse_args()
    cli = cli_binary()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or tmp
        os.makedirs(work, exist_ok=True)
        hexfile = os.path.join(work, "long-messages.hexlines")
        generate(cli, hexfile, args.lines)
        size = os.path.getsize(hexfile)
        wire = (size - args.lines) / 2 / args.lines
        print(f"{args.lines} lines, {size / 1e6:.1f} MB of hex, {wire:.0f} bytes a message on average")
        cores = os.cpu_count() or 1
        t_all = min(time_cli(cli, hexfile, os.path.join(work, "cli.jsonl"), None) for _ in range(3))
        t_one = min(time_cli(cli, hexfile, os.path.join(work, "cli1.jsonl"), 1) for _ in range(3))
        t_py = time_python(hexfile, os.path.join(work, "py.jsonl"))
        if not same_messages(os.path.join(work, "cli.jsonl"), os.path.join(work, "py.jsonl")):
            sys.exit("the two outputs differ")
        mb = size / 1e6
        print("                         wall s    CPU s   MB/s of hex per CPU second")
        for what, (wall, cpu) in [
            (f"iso8583 CLI, {cores} cores", t_all),
            ("iso8583 CLI, --jobs 1", t_one),
            ("pyiso8583 + json", t_py),
        ]:
            print(f"{what:<24} {wall:7.3f}  {cpu:7.3f}   {mb / cpu:8.1f}")
        print(f"ratio pyiso8583 / CLI: wall {t_py[0] / t_all[0]:.1f}x ({cores} cores), "
              f"{t_py[0] / t_one[0]:.1f}x (--jobs 1); CPU time {t_py[1] / t_one[1]:.1f}x")
        print(f"one core: {mb / t_one[0]:.0f} MB/s of hex by the wall clock")

if __name__ == "__main__":
    main()
