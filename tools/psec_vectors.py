#!/usr/bin/env python3
"""Writes cross-check fixtures for the `security` module from an independent implementation.

Usage (psec from PyPI, which brings the `cryptography` package, i.e. OpenSSL):

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install psec==1.3.0
    /tmp/venv/bin/python tools/psec_vectors.py tests/vectors/crypto

It writes JSON lines files of random keys, data, PANs and PINs with what psec computes for them;
`tests/psec_cross_check.rs` reads them, so the tests stand alone. Every key, PAN and PIN here is
random test data, not card data.

What psec covers, and what comes from elsewhere:

- `mac.jsonl`: ISO/IEC 9797-1 algorithm 1 (`psec.mac.generate_cbc_mac`, DES/TDES) and algorithm 3
  (`psec.mac.generate_retail_mac`), padding methods 1 and 2, data of 0..80 bytes.
- `kcv.jsonl`: TDES check values (`psec.des.generate_kcv`, 3 bytes).
- `pinblock.jsonl`: ISO 9564-1 format 0 (`encode_pinblock_iso_0`, clear and TDES-enciphered
  with `psec.des.encrypt_tdes_ecb`), format 3 (`encode_pinblock_iso_3`: random fill, so the
  fill nibbles are written beside the block) and format 4 (`encipher_pinblock_iso_4`: the
  8 random bytes of its PIN field are recovered with `psec.aes.decrypt_aes_ecb` and written).
- `cmac.jsonl`: psec has no AES-CMAC; these come from `cryptography`'s CMAC (OpenSSL), which
  psec depends on: AES-CMAC tags and the AES CMAC check values (first 5 bytes of CMAC(K, 0)).
- `cup_ecb.jsonl`: psec has no UnionPay MAC; this is the published description of it written
  in Python over psec's DES (`psec.des.encrypt_tdes_ecb`, `psec.tools.xor`). It checks our
  code against a second rendering of the same description, with another DES underneath.

Not covered by psec (nor here): PIN block format 1 (psec has formats 0, 2, 3 and 4), DUKPT of
either kind, AES key check values by psec itself.
"""

import json
import os
import random
import sys
import warnings

warnings.filterwarnings("ignore")  # cryptography's TripleDES deprecation notes

from cryptography.hazmat.primitives import cmac  # noqa: E402
from cryptography.hazmat.primitives.ciphers import algorithms  # noqa: E402
import psec  # noqa: E402
from psec import aes, des, mac, pinblock, tools  # noqa: E402

SEED = 8583
COUNT = 40


def rnd_bytes(r, n):
    return bytes(r.getrandbits(8) for _ in range(n))


def rnd_digits(r, n):
    return "".join(str(r.randrange(10)) for _ in range(n))


def h(b):
    return b.hex().upper()


def write(path, rows):
    with open(path, "w") as f:
        for row in rows:
            f.write(json.dumps(row, sort_keys=True) + "\n")


def macs(r):
    rows = []
    for i in range(COUNT):
        data = rnd_bytes(r, r.choice([0, 1, 7, 8, 9, 15, 16, 17, r.randrange(81)]))
        padding = 1 + i % 2
        for klen in (8, 16, 24):
            key = rnd_bytes(r, klen)
            rows.append({
                "algorithm": "iso9797-1-alg1", "padding": padding, "key": h(key),
                "data": h(data), "mac": h(mac.generate_cbc_mac(key, data, padding)),
            })
        key = rnd_bytes(r, 16)
        rows.append({
            "algorithm": "iso9797-1-alg3", "padding": padding, "key": h(key), "data": h(data),
            "mac": h(mac.generate_retail_mac(key[:8], key[8:], data, padding)),
        })
    return rows


def kcvs(r):
    return [
        {"key": h(k), "kcv": h(des.generate_kcv(k, 3))}
        for k in (rnd_bytes(r, r.choice([8, 16, 24])) for _ in range(COUNT))
    ]


def pan(r):
    return rnd_digits(r, r.choice([13, 15, 16, 19]))


def pin(r):
    return rnd_digits(r, r.randrange(4, 13))


def nibbles(b):
    return [int(c, 16) for c in b.hex()]


def pin_blocks(r):
    rows = []
    for _ in range(COUNT):
        p, a = pin(r), pan(r)
        clear = pinblock.encode_pinblock_iso_0(p, a)
        key = rnd_bytes(r, 16)
        rows.append({"format": 0, "pin": p, "pan": a, "block": h(clear), "key": h(key),
                     "enciphered": h(des.encrypt_tdes_ecb(key, clear))})
        p, a = pin(r), pan(r)
        block = pinblock.encode_pinblock_iso_3(p, a)
        pan_block = b"\x00\x00" + bytes.fromhex(a[-13:-1])
        field = nibbles(tools.xor(block, pan_block))
        fill = [n - 0xA if i >= 2 + len(p) else 0 for i, n in enumerate(field)]
        rows.append({"format": 3, "pin": p, "pan": a, "block": h(block), "fill": fill})
        p, a = pin(r), rnd_digits(r, r.randrange(12, 20))
        key = rnd_bytes(r, r.choice([16, 24, 32]))
        block = pinblock.encipher_pinblock_iso_4(key, p, a)
        b = aes.decrypt_aes_ecb(key, block)
        pin_field = aes.decrypt_aes_ecb(key, tools.xor(b, pinblock.encode_pan_field_iso_4(a)))
        assert pinblock.decipher_pinblock_iso_4(key, block, a) == p
        rows.append({"format": 4, "pin": p, "pan": a, "key": h(key), "block": h(block),
                     "random": h(pin_field[8:])})
    return rows


def cmacs(r):
    rows = []
    for _ in range(COUNT):
        key = rnd_bytes(r, r.choice([16, 24, 32]))
        data = rnd_bytes(r, r.choice([0, 15, 16, 17, 32, r.randrange(100)]))
        c = cmac.CMAC(algorithms.AES(key))
        c.update(data)
        z = cmac.CMAC(algorithms.AES(key))
        z.update(bytes(16))
        rows.append({"key": h(key), "data": h(data), "mac": h(c.finalize()),
                     "kcv": h(z.finalize()[:5])})
    return rows


def cup_ecb(key, data):
    """The UnionPay POS MAC as published: XOR the zero-padded 8-byte blocks, write the result
    as 16 upper-case hex characters, encrypt the first 8 under the MAK, XOR with the last 8,
    encrypt again, write as hex: the first 8 characters are the MAC."""
    data = data + b"\x00" * (-len(data) % 8)
    acc = bytes(8)
    for i in range(0, len(data), 8):
        acc = tools.xor(acc, data[i:i + 8])
    text = h(acc).encode()
    block = des.encrypt_tdes_ecb(key, text[:8])
    block = des.encrypt_tdes_ecb(key, tools.xor(block, text[8:]))
    return h(block).encode()[:8]


def cup_ecbs(r):
    rows = []
    for _ in range(COUNT):
        key = rnd_bytes(r, r.choice([8, 16]))
        data = rnd_bytes(r, r.randrange(0, 120))
        rows.append({"key": h(key), "data": h(data), "mac": h(cup_ecb(key, data))})
    return rows


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/vectors/crypto"
    os.makedirs(out, exist_ok=True)
    r = random.Random(SEED)
    write(os.path.join(out, "mac.jsonl"), macs(r))
    write(os.path.join(out, "kcv.jsonl"), kcvs(r))
    write(os.path.join(out, "pinblock.jsonl"), pin_blocks(r))
    write(os.path.join(out, "cmac.jsonl"), cmacs(r))
    write(os.path.join(out, "cup_ecb.jsonl"), cup_ecbs(r))
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(
            "# Cross-check fixtures (generated)\n\n"
            f"Written by `tools/psec_vectors.py` with psec {getattr(psec, '__version__', '1.3.0')} "
            f"and seed {SEED}; read by `tests/psec_cross_check.rs`. Every key, PAN and PIN is "
            "random test data. See the script's docstring for which library computed which "
            "file. Do not edit by hand: rerun the script.\n"
        )


if __name__ == "__main__":
    main()
