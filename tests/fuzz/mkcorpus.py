#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Write the fuzzers' seed corpus into tests/fuzz/corpus/NAME/.

    tests/fuzz/mkcorpus.py [CORPUS_DIR]

Seeds: well-formed inputs of each kind, and every hostile input a review or
a fuzzer has found (the reproducers), so that make check replays them all.
Netlink seeds are built from include/linux/iommu_pasid.h's numbers. The
output is committed; rerun this after changing the seeds.
"""
import os
import re
import struct
import sys

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, "tests/fuzz/corpus")

# enum values of the UAPI header
consts = {}
with open(os.path.join(top, "include/linux/iommu_pasid.h")) as f:
    text = f.read()
for body in re.findall(r"enum \{(.*?)\};", text, re.S):
    v = 0
    for name, val in re.findall(r"^\s*(\w+)(?:\s*=\s*(\w+))?,?", body, re.M):
        if val:
            v = int(val, 0) if val[0].isdigit() else consts[val]
        consts[name] = v
        v += 1
C = consts
FAM = 0x20


def write(kind, name, data):
    d = os.path.join(out, kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# ------------------------------------------------------------ parse
parse = {
    "u32": (0, "0x10"), "u32-big": (0, "99999999999999999999"),
    "range": (1, "100-199"),
    "range-overflow-40": (1, "1-" + "0" * 40 + "9999999"),   # the stack overflow
    "range-overflow-63": (1, "0" * 62 + "x"),
    "list": (2, "1-63,128"), "list-long": (2, "1," * 127 + "1"),
    "label": (3, "vm-guest1"), "label-ctl": (3, "a\x1b]0;x\x07"),
    "mode": (4, "auto"), "kind": (5, "local"),
    "pci": (6, "0000:6a:01.0"), "pci-signed": (6, "-a:01.0"),
    "pci-0x": (6, "0x:01.0"), "handle": (7, "pci/0000:00:04.0"),
    "handle-dotdot": (7, ".."), "handle-bus-dotdot": (7, "pci/.."),
    "handle-path": (7, "/dev/svamock1"),
    "split": (8, 'dev reserve x range 1-2 label "vm 1" # c'),
    "split-quote": (8, 'a "b'), "name": (9, "svamock1"),
}
for n, (sel, s) in parse.items():
    write("parse", n, bytes([sel]) + s.encode())

# ------------------------------------------------------------ batch
batch = {
    "help": "dev help\nproc help\nglobal help\n",
    "comments": "# c\n\n  dev show   # x\n",
    "quotes": 'dev reserve pci/0000:00:04.0 range 1-3 label "a b"\n',
    "nul": "global help\0dev show\n",
    "long-line": "dev show " + "x" * 5000 + "\n",
    "bad-range": "dev set pci/0000:00:04.0 pool 1-" + "0" * 40 + "9999999\n",
    "help-extra": "dev help extra\n",
    "dotdot": "dev show ..\n",
    "ctl": "dev show \x1b]0;x\x07\n",
    "every-object": "dev show\nproc show\nglobal show\nstatus\nmonitor help\n",
}
for n, s in batch.items():
    write("batch", n, s)

# ------------------------------------------------------------ apply
H = '"handle": "svamock/svamock1"'
apply = {
    "valid": '{"format-version": 1, "dev": [{%s, "mode": "local", "pool-min": 1, "pool-max": 100, "resv": [{"first": 1, "last": 9, "label": "vm1"}]}]}' % H,
    "match": '{"format-version": 1, "dev": [{"match": {"bus-name": "svamock", "dev-name": "svamock*", "attr": {"modalias": "x"}}}]}',
    "trailing": '{"format-version": 1, "dev": []} x',
    "two-objects": '{"format-version": 1, "dev": []}{"format-version": 1, "dev": []}',
    "comment": '/* c */ {"format-version": 1, "dev": []}',
    "single-quotes": "{'format-version': 1, 'dev': []}",
    "nul-label": '{"format-version": 1, "dev": [{%s, "resv": [{"first": 1, "last": 1, "label": "a\\u0000b"}]}]}' % H,
    "nul-handle": '{"format-version": 1, "dev": [{"handle": "svamock/x\\u0000y"}]}',
    "nul-key": '{"format-version": 1, "dev": [{%s, "mode\\u0000x": "local"}]}' % H,
    "attr-slash": '{"format-version": 1, "dev": [{"match": {"attr": {"../../etc/shadow": "x"}}}]}',
    "handle-dotdot": '{"format-version": 1, "dev": [{"handle": "pci/.."}]}',
    "resv-many": '{"format-version": 1, "dev": [{%s, "resv": [%s]}]}' % (
        H, ", ".join('{"first": %d, "last": %d}' % (i, i) for i in range(1, 40))),
    "deep": '{"format-version": 1, "dev": [' + "[" * 200 + "]" * 200 + "]}",
}
for n, s in apply.items():
    write("apply", n, s)
write("apply", "raw-nul", b'{"format-version": 1, "dev": []}\0')
write("apply", "bad-utf8", b'{"format-version": 1, "dev": [{"handle": "svamock/\xff\xfe"}]}')


# ------------------------------------------------------------ nl
def nla(t, payload):
    n = 4 + len(payload)
    return struct.pack("<HH", n, t) + payload + b"\0" * ((4 - n % 4) % 4)


def u32(t, v):
    return nla(t, struct.pack("<I", v))


def s(t, v):
    return nla(t, v.encode() + b"\0")


def msg(typ, flags, payload, seq=0):
    return struct.pack("<IHHII", 16 + len(payload), typ, flags, seq, 0) + payload


def genl(cmd, attrs, typ=FAM, flags=0):
    return msg(typ, flags, struct.pack("<BBH", cmd, 1, 0) + attrs)


def dgram(*msgs):
    b = b"".join(msgs)
    return struct.pack("<H", len(b)) + b


NLM_F_MULTI, NLMSG_ERROR, NLMSG_DONE = 2, 2, 3
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
ctrl = genl(1, u32(1, 0)[:0] + nla(1, struct.pack("<H", FAM)) + s(2, "iommu-pasid") +
            u32(3, 1) + nla(7, nla(1, s(1, "monitor") + u32(2, 5))), typ=0x10)
family = dgram(ctrl) + dgram(msg(NLMSG_ERROR, 0, struct.pack("<i", 0) + b"\0" * 16))


def dev(name, extra=b""):
    return genl(C["IOMMU_PASID_CMD_DEV_GET"],
                s(C["IOMMU_PASID_A_DEV_BUS_NAME"], "svamock") +
                s(C["IOMMU_PASID_A_DEV_DEV_NAME"], name) +
                u32(C["IOMMU_PASID_A_DEV_MAX_PASIDS"], 65536) +
                u32(C["IOMMU_PASID_A_DEV_MODE"], 2) + extra, flags=NLM_F_MULTI)


def done(err=0):
    return msg(NLMSG_DONE, NLM_F_MULTI, struct.pack("<i", err))


def err(e, req_len=16, flags=0, tlvs=b""):
    return msg(NLMSG_ERROR, flags, struct.pack("<i", e) +
               struct.pack("<IHHII", req_len, FAM, 5, 0, 0) + tlvs)


resv = nla(C["IOMMU_PASID_A_DEV_RESV"], u32(1, 1) + u32(2, 9) + s(3, "vm1"))
bond = nla(C["IOMMU_PASID_A_MM_BOND"], s(1, "svamock") + s(2, "svamock1") +
           u32(3, 7) + u32(4, 5) + u32(5, 1) + u32(6, 1))
mm = genl(C["IOMMU_PASID_CMD_MM_GET"], u32(C["IOMMU_PASID_A_MM_PID"], 7) +
          s(C["IOMMU_PASID_A_MM_COMM"], "a\x1b]0;x\x07") + bond, flags=NLM_F_MULTI)
def intr(m):
    """The message flagged NLM_F_DUMP_INTR (0x10)."""
    return m[:6] + struct.pack("<H", struct.unpack("<H", m[6:8])[0] | 0x10) + m[8:]


def mm_of(pid, flags=0):
    return genl(C["IOMMU_PASID_CMD_MM_GET"], u32(C["IOMMU_PASID_A_MM_PID"], pid) +
                s(C["IOMMU_PASID_A_MM_COMM"], "x") + bond, flags=flags)


def mmm(pid):
    """mm_of() as a dump sends it."""
    return mm_of(pid, NLM_F_MULTI)


glob = genl(C["IOMMU_PASID_CMD_GLOBAL_GET"], u32(1, 1) + u32(2, 3) + u32(3, 0))
extack = u32(2, 20) + s(1, "pool-max 100 is past 15")
nl = {
    # first byte: the command (see fuzz_nl.c), then datagrams
    "dev-dump": (0, family + dgram(dev("svamock1", resv), dev("svamock2")) + dgram(done())),
    "dev-do": (1, family + dgram(dev("svamock1", resv)) + dgram(err(0))),
    "proc-dump": (2, family + dgram(mm) + dgram(done())),
    "proc-do-esrch": (3, family + dgram(err(-3, flags=NLM_F_CAPPED | NLM_F_ACK_TLVS,
                                            tlvs=s(1, "no process 1")))),
    "global": (4, family + dgram(glob) + dgram(err(0))),
    "set-extack": (5, family + dgram(err(-34, flags=NLM_F_CAPPED | NLM_F_ACK_TLVS, tlvs=extack))),
    # an ACK whose request length is huge: once read ~1.8 GB before the buffer
    "ack-len-overflow": (6, family + dgram(err(-22, req_len=0xfffffff0, flags=NLM_F_ACK_TLVS, tlvs=extack))),
    "error-int-min": (7, family + dgram(err(-2 ** 31))),
    "error-positive": (7, family + dgram(err(5))),
    "done-error": (0, family + dgram(done(-16))),
    "dump-intr": (0, family + dgram(dev("svamock1")[:6] + b"\x12\x00" + dev("svamock1")[8:]) + dgram(done())),
    "short-u32": (4, family + dgram(genl(C["IOMMU_PASID_CMD_GLOBAL_GET"], nla(1, b"\1"))) + dgram(err(0))),
    "unterminated": (2, family + dgram(genl(C["IOMMU_PASID_CMD_MM_GET"], nla(C["IOMMU_PASID_A_MM_COMM"], b"abcd"), flags=NLM_F_MULTI)) + dgram(done())),
    "no-genl-hdr": (4, family + dgram(msg(FAM, 0, b"")) + dgram(err(0))),
    "ctrl-short-id": (4, dgram(genl(1, nla(1, b"\x20"), typ=0x10)) + dgram(err(0))),
    "status": (8, family + dgram(dev("svamock1")) + dgram(done()) + dgram(glob) + dgram(err(0))),
    # reviewers' reproducers: two processes for proc show PID (a NULL
    # dereference), two and no replies to global show, a C1 process name
    "proc-do-two-pids": (3, family + dgram(mm_of(1)) + dgram(mm_of(8)) + dgram(err(0))),
    "global-two-replies": (4, family + dgram(glob, glob) + dgram(err(0))),
    "global-no-reply": (4, family + dgram(err(0))),
    "monitor-c1": (9, dgram(genl(C["IOMMU_PASID_CMD_BIND_NTF"], u32(1, 7) + s(2, "a\u009b2J\x9b") + bond))),
    "monitor": (9, dgram(genl(C["IOMMU_PASID_CMD_BIND_NTF"], u32(1, 7) + s(2, "x") + bond)) +
                dgram(genl(C["IOMMU_PASID_CMD_DEV_GET"] + 3, b"")) +
                dgram(msg(FAM, 0, b"\x01"))),
    # reviewers' reproducers of the streamed proc show: a rerun printed the
    # open process twice in text (-j too, 0x82), an error came before the
    # listing, a name that is not UTF-8 made invalid JSON
    "proc-dump-rerun": (2, family + dgram(mmm(7), mmm(8), intr(mmm(8))) + dgram(done()) +
                        dgram(mmm(7), mmm(8), mmm(9)) + dgram(done())),
    "proc-dump-rerun-json": (0x82, family + dgram(mmm(7), intr(mmm(8))) + dgram(done()) +
                             dgram(mmm(7), mmm(8)) + dgram(done())),
    "proc-dump-bad-after-two": (2, family + dgram(mmm(7), mmm(8),
                                genl(C["IOMMU_PASID_CMD_MM_GET"], nla(C["IOMMU_PASID_A_MM_PASID"], b"\5\0"),
                                     flags=NLM_F_MULTI)) + dgram(done())),
    "proc-dump-not-utf8": (0x82, family + dgram(genl(C["IOMMU_PASID_CMD_MM_GET"],
                           u32(C["IOMMU_PASID_A_MM_PID"], 7) +
                           nla(C["IOMMU_PASID_A_MM_COMM"], b"\x9b\xff\xc2\x9b[2J\x7f\0") + bond,
                           flags=NLM_F_MULTI)) + dgram(done())),
}
for n, (sel, data) in nl.items():
    write("nl", n, bytes([sel]) + data)
print(f"wrote the seed corpus to {out}")
