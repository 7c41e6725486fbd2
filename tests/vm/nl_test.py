#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Tests of the iommu-pasid netlink family, run inside the test VM.

    nl_test.py KERNEL_TREE BUILD_DIR [--unpriv]

Talks to the family with the kernel's own YNL library
(tools/net/ynl/lib) and the spec, so that what is tested is what the spec
says. Needs the SVA mock IOMMU loaded. Prints TAP. With --unpriv (run
through setpriv as an unprivileged user) it checks what such a user may
not do.
"""
import fcntl
import os
import signal
import socket
import struct
import subprocess
import sys
import time

TREE, BUILD = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(TREE, "tools/net/ynl"))
from lib import YnlFamily, NlError  # noqa: E402

SPEC = os.path.join(TREE, "Documentation/netlink/specs/iommu-pasid.yaml")
SYS = "/sys/bus/svamock"
BIND = os.path.join(BUILD, "tests/svamock-bind")
MASS = os.path.join(BUILD, "tests/svamock-mass")

results = []


def test(fn):
    results.append(fn)
    return fn


class Fail(Exception):
    pass


def eq(a, b, what=""):
    if a != b:
        raise Fail(f"{what}: expected {b!r}, got {a!r}")


def ok(cond, what):
    if not cond:
        raise Fail(what)


def refused(errno, fn, *args, msg=None, attr=None):
    """fn(*args) must fail with errno and an extack naming the problem."""
    try:
        fn(*args)
    except NlError as e:
        ext = e.nl_msg.extack or {}
        eq(e.error, errno, f"errno of {fn.__name__}{args}")
        text = ext.get("msg", "")
        if msg is not None:
            ok(msg in text, f"extack {ext!r} lacks {msg!r}")
        if attr is not None:
            named = ext.get("bad-attr", "") + " " + str(ext.get("miss-type", ""))
            ok(attr in named, f"extack {ext!r} does not name {attr!r}")
        ok(text or ext.get("miss-type"), f"no extack message: {ext!r}")
        return ext
    raise Fail(f"{fn.__name__}{args} was accepted")


def newdev(id_, bits, group=0):
    with open(f"{SYS}/new_device", "w") as f:
        f.write(f"{id_} {bits} {group}")


def deldev(id_):
    try:
        with open(f"{SYS}/del_device", "w") as f:
            f.write(f"{id_}")
    except OSError:
        pass


def H(n):
    return {"bus-name": "svamock", "dev-name": f"svamock{n}"}


A, B, C = 7001, 7002, 7003   # 20-bit; 4-bit and 8-bit sharing a group

ynl = YnlFamily(SPEC)


def dev_get(n):
    return ynl.do("dev-get", H(n))


def setup():
    for n in (A, B, C):
        deldev(n)
    newdev(A, 20)
    newdev(B, 4, 77)
    newdev(C, 8, 77)


class Holder:
    """A process bound to devices through the mock, until stopped."""

    def __init__(self, *ids, args=()):
        self.p = subprocess.Popen([BIND, *args, "-s", "600", *map(str, ids)],
                                  stdout=subprocess.PIPE, text=True)
        self.lines = [self.p.stdout.readline() for _ in ids]

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        self.p.wait()


@test
def dev_get_do():
    d = dev_get(A)
    eq(d["max-pasids"], 1 << 20, "max-pasids")
    eq((d["pool-min"], d["pool-max"]), (1, (1 << 20) - 1), "pool")
    eq(d["mode"], "global", "mode")
    eq((d["allocated"], d["bonds-global"], d["bonds-local"]), (0, 0, 0), "counters")
    eq(dev_get(B)["iommu-group"], dev_get(C)["iommu-group"], "group of B and C")
    ok(dev_get(A)["iommu-group"] != dev_get(B)["iommu-group"], "A has its own group")


# SVAMOCK_IOCTL_BIND of drivers/iommu/iommu-sva-mock.h
IOCTL_BIND = (3 << 30) | (16 << 16) | (0xB9 << 8) | 0


@test
def bonds_shown_are_bonds_attached():
    # What dev-get shows is what the group's PASID table holds: a bond made
    # through a group-mate, and a bond whose process exited while a file it
    # bound through (inherited from us) still holds it, listed without a pid.
    fd = os.open(f"/dev/svamock{C}", os.O_RDWR)
    try:
        pid = os.fork()
        if pid == 0:
            try:
                fcntl.ioctl(fd, IOCTL_BIND, bytearray(16))
            except OSError:
                os._exit(1)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        eq(status, 0, "child bound through the inherited file")
        with open(f"{SYS}/devices/svamock{B}/pasid_table") as f:
            table = f.read().split()
        eq(len(table), 1, "B's PASID table, filled by C's bind")
        for n in (B, C):
            d = dev_get(n)
            eq(d["bonds-global"] + d["bonds-local"], 1, f"svamock{n} bonds")
            bonds = d.get("bond", [])
            eq(len(bonds), 1, f"svamock{n} lists the bond")
            ok("pid" not in bonds[0], f"a pid for an exited process: {bonds[0]}")
            eq(str(bonds[0]["pasid"]), table[0], "listed PASID")
    finally:
        os.close(fd)
    for n in (B, C):
        d = dev_get(n)
        eq((d["bonds-global"], d["bonds-local"], d.get("bond", [])), (0, 0, []),
           f"svamock{n} after close")


@test
def dev_get_bad_input():
    refused(22, ynl.do, "dev-get", {"bus-name": "svamock"}, attr="dev-name")
    refused(22, ynl.do, "dev-get", {"dev-name": "svamock1"}, attr="bus-name")
    refused(19, ynl.do, "dev-get", H(999999), msg="no PASID-capable device",
            attr="dev-name")


@test
def dev_get_dump():
    ynl.do("dev-set", {**H(C), "mode": "local"})
    devs = ynl.dump("dev-get", {})
    names = [d["dev-name"] for d in devs]
    for n in (A, B, C):
        eq(names.count(f"svamock{n}"), 1, f"svamock{n} in the dump")
    local = [d["dev-name"] for d in ynl.dump("dev-get", {"mode": "local"})]
    ok(f"svamock{C}" in local and f"svamock{A}" not in local,
       f"mode filter: {local}")
    ynl.do("dev-set", {**H(C), "mode": "global"})


@test
def dev_set():
    ynl.do("dev-set", {**H(A), "pool-min": 10, "pool-max": 100, "mode": "auto"})
    d = dev_get(A)
    eq((d["pool-min"], d["pool-max"], d["mode"]), (10, 100, "auto"), "set")
    refused(22, ynl.do, "dev-set", {**H(A), "pool-min": 100, "pool-max": 10},
            msg="must lie within 1-1048575", attr="pool-min")
    refused(22, ynl.do, "dev-set", {**H(B), "pool-max": 16},
            msg="must lie within 1-15", attr="pool-max")
    refused(34, ynl.do, "dev-set", {**H(A), "mode": 7}, attr="mode")
    refused(22, ynl.do, "dev-set", H(A), msg="nothing to set")
    refused(19, ynl.do, "dev-set", {**H(999999), "mode": "local"},
            msg="no PASID-capable device")
    d = dev_get(A)
    eq((d["pool-min"], d["pool-max"], d["mode"]), (10, 100, "auto"),
       "unchanged after refusals")
    ynl.do("dev-set", {**H(A), "pool-min": 1, "pool-max": (1 << 20) - 1,
                       "mode": "global"})


@test
def resv_new_del():
    ynl.do("resv-new", {**H(A), "first": 100, "last": 199, "label": "vm1"})
    ynl.do("resv-new", {**H(A), "first": 200, "last": 299, "label": "vm1"})
    ynl.do("resv-new", {**H(A), "first": 300, "last": 300})
    d = dev_get(A)
    eq(d["resv"], [{"first": 100, "last": 199, "label": "vm1"},
                   {"first": 200, "last": 299, "label": "vm1"},
                   {"first": 300, "last": 300}], "reservations")
    eq(d["reserved"], 201, "reserved")
    refused(17, ynl.do, "resv-new", {**H(A), "first": 150, "last": 400},
            msg="overlaps a reservation of the group", attr="first")
    refused(22, ynl.do, "resv-new", {**H(A), "first": 9, "last": 5},
            msg="must lie within", attr="first")
    refused(22, ynl.do, "resv-new", {**H(B), "first": 1, "last": 16},
            msg="must lie within 1-15")
    refused(22, ynl.do, "resv-new", {**H(A), "first": 5}, attr="last",
            msg="resv-new needs first and last")
    refused(22, ynl.do, "resv-new", {"bus-name": "svamock", "first": 5,
                                     "last": 5}, attr="dev-name",
            msg="a device is named by bus-name and dev-name")
    eq(len(dev_get(A)["resv"]), 3, "unchanged after refusals")
    ynl.do("resv-del", {**H(A), "label": "vm1"})
    refused(2, ynl.do, "resv-del", {**H(A), "label": "vm1"},
            msg="no reservation labelled vm1")
    refused(2, ynl.do, "resv-del", {**H(A), "first": 300, "last": 301},
            msg="no reservation is exactly 300-301")
    refused(22, ynl.do, "resv-del", H(A), msg="give label")
    ynl.do("resv-del", {**H(A), "first": 300, "last": 300})
    ok("resv" not in dev_get(A), "all released")


@test
def reserve_over_pasid_in_use():
    ynl.do("dev-set", {**H(C), "mode": "local"})
    h = Holder(C)
    try:
        d = dev_get(C)
        eq((d["allocated"], d["bonds-local"]), (1, 1), "local bond counted")
        refused(16, ynl.do, "resv-new", {**H(C), "first": 1, "last": 9},
                msg="PASID 1 of range 1-9 is in use")
        # B shares C's group, so its PASID 1 is taken too.
        refused(16, ynl.do, "resv-new", {**H(B), "first": 1, "last": 3},
                msg="PASID 1 of range 1-3 is in use")
        refused(16, ynl.do, "dev-set", {**H(C), "pool-min": 2},
                msg="PASID 1 of the pool is in use outside 2-15")
        ok("resv" not in dev_get(C), "nothing reserved")
    finally:
        h.stop()
        ynl.do("dev-set", {**H(C), "mode": "global"})
    eq(dev_get(C)["allocated"], 0, "freed after the process went")


@test
def mm_get_and_set():
    ynl.do("dev-set", {**H(C), "mode": "local"})
    h = Holder(A, C)
    try:
        pid = h.p.pid
        m = ynl.do("mm-get", {"pid": pid})
        eq(m["pid"], pid, "pid")
        eq(m["comm"], "svamock-bind", "comm")
        bonds = {b["dev-name"]: b for b in m["bond"]}
        eq(bonds[f"svamock{A}"]["kind"], "global", "kind on A")
        eq(bonds[f"svamock{A}"]["pasid"], m["pasid"], "global PASID on A")
        eq(bonds[f"svamock{C}"]["kind"], "local", "kind on C")
        eq(bonds[f"svamock{C}"]["users"], 1, "users")

        d = dev_get(C)
        eq([(b["pid"], b["kind"], b["pasid"], b["users"]) for b in d["bond"]],
           [(pid, "local", bonds[f"svamock{C}"]["pasid"], 1)], "bonds in dev-get")
        ok(all("bond" not in x for x in ynl.dump("dev-get", {})),
           "dumps carry counters, not bond lists")

        dump = ynl.dump("mm-get", {})
        eq([x["pid"] for x in dump].count(pid), 1, "pid in the dump once")
        by_dev = ynl.dump("mm-get", {**H(C)})
        eq([x["pid"] for x in by_dev], [pid], "dump filtered by device")
        by_kind = ynl.dump("mm-get", {"kind": "local"})
        ok(pid in [x["pid"] for x in by_kind], "dump filtered by kind")
        refused(22, ynl.dump, "mm-get", {"bus-name": "svamock"}, attr="dev-name")

        ynl.do("mm-set", {"pid": pid, "mode": "local", "max-pasids": 3})
        m = ynl.do("mm-get", {"pid": pid})
        eq((m["mode"], m["max-pasids"]), ("local", 3), "policy set")
        refused(34, ynl.do, "mm-set", {"pid": pid, "mode": 9}, attr="mode")
        refused(22, ynl.do, "mm-set", {"pid": pid}, msg="nothing to set")
        refused(3, ynl.do, "mm-set", {"pid": 999999, "mode": "auto"},
                msg="no process 999999", attr="pid")
        refused(3, ynl.do, "mm-get", {"pid": 999999}, attr="pid")
        refused(22, ynl.do, "mm-get", {}, attr="pid")
    finally:
        h.stop()
        ynl.do("dev-set", {**H(C), "mode": "global"})


@test
def monitor():
    mon = YnlFamily(SPEC)
    mon.ntf_subscribe("monitor")
    ynl.do("resv-new", {**H(A), "first": 5, "last": 6, "label": "m"})
    subprocess.run([BIND, str(A)], check=True, stdout=subprocess.DEVNULL)
    ynl.do("resv-del", {**H(A), "label": "m"})
    got = []
    deadline = time.time() + 10
    while time.time() < deadline and len(got) < 4:
        mon.check_ntf()
        while mon.async_msg_queue:
            got.append(mon.async_msg_queue.pop(0))
        time.sleep(0.1)
    names = [g["name"] for g in got]
    eq(names, ["dev-change-ntf", "bind-ntf", "unbind-ntf", "dev-change-ntf"],
       "events")
    eq(got[0]["msg"]["resv"], [{"first": 5, "last": 6, "label": "m"}], "reserve event")
    b = got[1]["msg"]
    eq(b["comm"], "svamock-bind", "bind event comm")
    eq(b["bond"][0]["dev-name"], f"svamock{A}", "bind event device")
    eq(got[2]["msg"]["bond"][0]["users"], 0, "unbind event users")


@test
def many_tuples():
    """100,000 tuples in one mm-get dump, each exactly once."""
    ndev, nproc = 100, 1000
    first = 8000
    for i in range(ndev):
        newdev(first + i, 20)
    t0 = time.time()
    p = subprocess.Popen([MASS, str(nproc), str(first), str(first + ndev - 1)],
                         stdout=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        eq(line.strip(), f"ready {nproc * ndev}", "mass bind")
        t1 = time.time()
        seen = set()
        count = 0
        for m in ynl.dump("mm-get", {"bus-name": "svamock",
                                     "dev-name": f"svamock{first}"}):
            for b in m.get("bond", []):
                if b["dev-name"].startswith("svamock8"):
                    seen.add((m["pid"], b["dev-name"]))
                    count += 1
        t2 = time.time()
        eq(count, nproc * ndev, "tuples dumped")
        eq(len(seen), nproc * ndev, "distinct tuples")
        print(f"# {count} tuples: bound in {t1 - t0:.1f}s, dumped and parsed in {t2 - t1:.1f}s")
    finally:
        p.stdin = None
        p.send_signal(signal.SIGTERM)
        p.wait()
        for i in range(ndev):
            deldev(first + i)


@test
def exit_mid_dump_is_flagged():
    """A process that exits while its split listing is being dumped: the
    dump lists all its bonds or is flagged NLM_F_DUMP_INTR, even when the
    rest of the dump has nothing more to send."""
    ndev, first = 200, 9100
    in_use = ynl.do("global-get", {})["in-use"]
    for i in range(ndev):
        newdev(first + i, 20)
    # its own session: the bound child goes with its parent at once
    p = subprocess.Popen([MASS, "1", str(first), str(first + ndev - 1)],
                         stdout=subprocess.PIPE, text=True,
                         start_new_session=True)
    s = None
    try:
        eq(p.stdout.readline().strip(), f"ready {ndev}", "mass bind")
        fam = ynl.nlproto.family_id
        cmd = ynl.ops["mm-get"].req_value
        bond = ynl.attr_sets["mm"]["bond"].value
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
        s.bind((0, 0))
        # nlmsghdr (dump), genlmsghdr
        s.send(struct.pack("=IHHII", 20, fam, 0x301, 1, 0) +
               struct.pack("=BBH", cmd, 1, 0))
        bonds, intr, killed, done = 0, False, False, False
        while not done:
            data = s.recv(4096)    # small reads: the process is split
            off = 0
            while off + 16 <= len(data):
                ln, typ, flags = struct.unpack_from("=IHH", data, off)
                intr |= bool(flags & 0x10)
                if typ == 3:       # NLMSG_DONE
                    done = True
                elif typ == 2:     # NLMSG_ERROR
                    raise Fail("the dump failed")
                else:
                    a = off + 20
                    while a + 4 <= off + ln:
                        alen, atyp = struct.unpack_from("=HH", data, a)
                        if atyp & 0x3fff == bond:
                            bonds += 1
                        a += (alen + 3) & ~3
                off += (ln + 3) & ~3
            if not killed:
                # after the first read: the process goes, its bonds with it
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                time.sleep(0.5)
                killed = True
        ok(bonds <= ndev, f"{bonds} bonds of {ndev} listed")
        ok(intr or bonds >= ndev,
           f"{bonds} of the {ndev} bonds listed, and the dump is not flagged interrupted")
    finally:
        if s:
            s.close()
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
        for i in range(ndev):
            deldev(first + i)
    # The killed process's global PASID goes with its mm, which an idle CPU
    # may hold as its lazy TLB mm until it runs something else: later tests
    # count global PASIDs.
    for _ in range(100):
        if ynl.do("global-get", {})["in-use"] <= in_use:
            break
        for cpu in os.sched_getaffinity(0):
            subprocess.run(["true"], preexec_fn=lambda c=cpu: os.sched_setaffinity(0, {c}))
        time.sleep(0.1)
    eq(ynl.do("global-get", {})["in-use"], in_use,
       "global PASIDs in use once the process is gone")


@test
def global_floor_and_local_opt_in():
    """The global floor, what the PASID space holds, and driver opt-in."""
    E = 7020
    g0 = ynl.do("global-get", {})
    eq(g0["floor"], 1, "default floor (6.12's first global PASID)")
    refused(34, ynl.do, "global-set", {"floor": 0}, attr="floor")
    refused(34, ynl.do, "global-set", {"floor": 1 << 20}, attr="floor")
    refused(22, ynl.do, "global-set", {}, attr="floor")
    eq(ynl.do("global-get", {})["floor"], 1, "floor unchanged by refusals")
    mon = YnlFamily(SPEC)
    mon.ntf_subscribe("monitor")
    ynl.do("global-set", {"floor": 4096})
    got = []
    deadline = time.time() + 10
    while time.time() < deadline and not got:
        mon.check_ntf()
        got += [m for m in mon.async_msg_queue if m["name"] == "global-change-ntf"]
        mon.async_msg_queue.clear()
        time.sleep(0.1)
    ok(got and got[0]["msg"]["floor"] == 4096,
       f"the floor change reaches monitor as global-change-ntf: {got}")
    ynl.do("dev-set", {**H(C), "mode": "local"})
    h = Holder(A, C)
    try:
        g = ynl.do("global-get", {})
        eq(g["floor"], 4096, "floor")
        eq(g["in-use"], g0["in-use"] + 1, "one more global PASID")
        eq(g["local-values"], g0["local-values"] + 1, "one more local value")
        m = ynl.do("mm-get", {"pid": h.p.pid})
        ok(m["pasid"] >= 4096, f"a fresh global PASID is above the floor: {m}")
        loc = [b["pasid"] for b in m["bond"] if b["kind"] == "local"]
        ok(loc and loc[0] < 16, f"the local PASID stays low: {m}")
    finally:
        h.stop()
        ynl.do("dev-set", {**H(C), "mode": "global"})
        ynl.do("global-set", {"floor": 1})

    # A device that takes work with ENQCMD: global mode only.
    deldev(E)
    with open(f"{SYS}/new_device", "w") as f:
        f.write(f"{E} 20 0 enqcmd")
    try:
        d = dev_get(E)
        eq((d["local-ok"], d["mode"]), (0, "global"), "ENQCMD device")
        eq(dev_get(A)["local-ok"], 1, "a device that allows local PASIDs")
        refused(95, ynl.do, "dev-set", {**H(E), "mode": "local",
                                        "pool-min": 5},
                msg="relies on the CPU's PASID", attr="mode")
        refused(95, ynl.do, "dev-set", {**H(E), "mode": "auto"},
                msg="only global mode", attr="mode")
        eq(dev_get(E)["pool-min"], 1, "the refused dev-set changed nothing")
        ynl.do("dev-set", {**H(E), "mode": "global"})
    finally:
        deldev(E)

    # A pool stays within what every device of the group takes.
    eq(dev_get(C)["group-max-pasids"], 16, "C shares a group with 4-bit B")
    eq(dev_get(C)["pool-max"], 15, "C's pool starts within the group")
    refused(34, ynl.do, "dev-set", {**H(C), "pool-max": 100},
            msg="the last PASID IOMMU group", attr="pool-max")


@test
def one_sided_dev_set_keeps_the_other_side():
    """A dev-set with one side of the pool keeps the other as it is then,
    even while another client changes that other side."""
    D = 7030
    deldev(D)
    newdev(D, 20)
    try:
        ynl.do("dev-set", {**H(D), "pool-min": 5, "pool-max": 100})
        ynl.do("dev-set", {**H(D), "pool-max": 200})
        eq((dev_get(D)["pool-min"], dev_get(D)["pool-max"]), (5, 200),
           "pool-max alone keeps pool-min")
        ynl.do("dev-set", {**H(D), "pool-min": 7})
        eq((dev_get(D)["pool-min"], dev_get(D)["pool-max"]), (7, 200),
           "pool-min alone keeps pool-max")
        pid = os.fork()
        if pid == 0:        # pool-min alone, as fast as it goes
            try:
                other = YnlFamily(SPEC)
                while True:
                    other.do("dev-set", {**H(D), "pool-min": 5})
            finally:
                os._exit(0)
        lost = []
        try:
            for i in range(150):
                v = 100 if i % 2 else 200
                ynl.do("dev-set", {**H(D), "pool-max": v})
                got = dev_get(D)["pool-max"]
                if got != v:
                    lost.append((v, got))
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        eq(lost, [], "pool-max set alone, then read back, while another "
           "client sets pool-min alone")
    finally:
        deldev(D)


@test
def pool_past_a_narrower_group_reads_back_as_set():
    """A pool that a narrower group-mate leaves nothing of reads back as
    set, not as a range that ends before it starts, and what dev-get shows
    is what dev-set takes."""
    W, N = 7031, 7032
    for n in (W, N):
        deldev(n)
    newdev(W, 20, 78)
    try:
        ynl.do("dev-set", {**H(W), "pool-min": 400, "pool-max": 500})
        newdev(N, 8, 78)
        d = dev_get(W)
        eq((d["pool-min"], d["pool-max"], d["group-max-pasids"]),
           (400, 500, 256), "the pool as set, past the group's width")
        refused(34, ynl.do, "dev-set", {**H(W), "pool-min": 300},
                msg="the last PASID IOMMU group", attr="pool-min")
        eq((dev_get(W)["pool-min"], dev_get(W)["pool-max"]), (400, 500),
           "unchanged after the refusal")
        deldev(N)
        ynl.do("dev-set", {**H(W), "pool-min": 100, "pool-max": 1000})
        newdev(N, 8, 78)
        eq((dev_get(W)["pool-min"], dev_get(W)["pool-max"]), (100, 255),
           "a pool the group cuts reads back clamped")
        ynl.do("dev-set", {**H(W), "pool-min": 50})
        eq((dev_get(W)["pool-min"], dev_get(W)["pool-max"]), (50, 255),
           "pool-min alone keeps the pool-max shown")
        deldev(N)
        eq((dev_get(W)["pool-min"], dev_get(W)["pool-max"]), (50, 1000),
           "the pool-max not given is kept as set, not as the mate clamped it")
        ynl.do("dev-set", {**H(W), "pool-min": 400, "pool-max": 500})
        newdev(N, 8, 78)
        ynl.do("dev-set", {**H(W), "pool-min": 10})
        eq((dev_get(W)["pool-min"], dev_get(W)["pool-max"]), (10, 255),
           "pool-min alone within the group's width takes a pool the group "
           "left nothing of, clamped")
        deldev(N)
        eq((dev_get(W)["pool-min"], dev_get(W)["pool-max"]), (10, 500),
           "and its pool-max is still as set")
    finally:
        for n in (N, W):
            deldev(n)


def unpriv():
    """Run as an unprivileged user: no writes, no monitor, no one else."""
    out = []

    def t(name, fn):
        try:
            fn()
            out.append(f"ok {len(out) + 1} unprivileged: {name}")
        except (Fail, NlError, Exception) as e:
            out.append(f"not ok {len(out) + 1} unprivileged: {name}: {e}")

    t("dev-set refused", lambda: refused(1, ynl.do, "dev-set",
                                         {**H(A), "mode": "local"},
                                         msg="needs CAP_SYS_ADMIN"))
    t("resv-new refused", lambda: refused(1, ynl.do, "resv-new",
                                               {**H(A), "first": 1, "last": 2}))
    t("mm-set refused", lambda: refused(1, ynl.do, "mm-set",
                                        {"pid": 1, "mode": "local"}))
    t("global-set refused", lambda: refused(1, ynl.do, "global-set",
                                            {"floor": 100}))
    t("global-get allowed", lambda: eq(ynl.do("global-get", {})["floor"], 1,
                                       "floor"))
    t("other users' processes invisible",
      lambda: eq([m["pid"] for m in ynl.dump("mm-get", {})
                  if m["pid"] == int(sys.argv[4])], [], "root's process"))
    t("other users' process by pid", lambda: refused(3, ynl.do, "mm-get",
                                                     {"pid": int(sys.argv[4])}))
    t("devices still readable", lambda: eq(dev_get(A)["max-pasids"], 1 << 20, "A"))
    t("other users' bonds not in dev-get",
      lambda: ok("bond" not in dev_get(A) and dev_get(A)["bonds-global"] == 1,
                 f"dev-get: {dev_get(A)}"))

    def join():
        try:
            YnlFamily(SPEC).ntf_subscribe("monitor")
        except PermissionError:
            return
        raise Fail("joined monitor")
    t("monitor join refused", join)
    print("\n".join(out))


@test
def unprivileged_user():
    h = Holder(A)
    try:
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534",
                            "--clear-groups", "--inh-caps=-all",
                            sys.executable, __file__, TREE, BUILD, "--unpriv",
                            str(h.p.pid)],
                           capture_output=True, text=True, timeout=300)
    finally:
        h.stop()
    lines = [x for x in r.stdout.splitlines() if "ok " in x]
    bad = [x for x in lines if x.startswith("not ok")]
    ok(len(lines) == 10 and not bad, "\n".join(bad) or r.stdout + r.stderr)


def main():
    if "--unpriv" in sys.argv:
        unpriv()
        return 0
    setup()
    print("TAP version 13")
    print(f"1..{len(results)}")
    failed = 0
    for i, fn in enumerate(results, 1):
        try:
            fn()
            print(f"ok {i} {fn.__name__}")
        except Exception as e:  # a failed check or an unexpected error
            failed += 1
            print(f"not ok {i} {fn.__name__}")
            for line in str(e).splitlines():
                print(f"# {line}")
        sys.stdout.flush()
    for n in (A, B, C):
        deldev(n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
