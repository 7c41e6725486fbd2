#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Model-based randomized test of PASID isolation, run inside the test VM.

    pasid_model.py KERNEL_TREE [--steps N] [--seed S]

Drives the kernel through random steps -- binds by policy and with a
driver-chosen PASID, unbinds, process exit and fork, reservations and
releases, pool, mode, process policy and global floor changes, device add
and remove -- across simulated devices of several widths, two of them in one
IOMMU group and one that takes work with ENQCMD (no local PASIDs), and
several processes. A reference model in this file predicts the outcome of
every step (errno and, whenever it is determined, the PASID), and after every
step the kernel's netlink dumps (dev-get, mm-get, global-get) and the mock
IOMMU's PASID tables must equal the model, and these invariants must hold:

  1. in every IOMMU group a PASID value is attached to one address space;
  2. no value is both a global PASID and a local PASID;
  3. global binds fail only for width, exhaustion, or a reservation over the
     process's existing global PASID;
  4. bonds on devices that take no local PASIDs are global.

The seed is printed; --seed reproduces a run. Prints TAP.

Environment: PASID_MODEL_REMOVE_BONDED (default 0.7) is the share of device
removals made with bonds in place; PASID_MODEL_STRICT=0 lets the global
PASIDs of exited processes linger until teardown instead of the next check.
"""
import argparse
import errno
import fcntl
import os
import random
import select
import socket
import struct
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("tree")
ap.add_argument("--steps", type=int, default=10000)
ap.add_argument("--seed", type=int, default=None)
args = ap.parse_args()

sys.path.insert(0, os.path.join(args.tree, "tools/net/ynl"))
from lib import YnlFamily, NlError  # noqa: E402

SPEC = os.path.join(args.tree, "Documentation/netlink/specs/iommu-pasid.yaml")
SYS = "/sys/bus/svamock"
ynl = YnlFamily(SPEC)

# ioctls of drivers/iommu/iommu-sva-mock.h
def _ioc(d, nr, size):
    return (d << 30) | (size << 16) | (0xB9 << 8) | nr


IOCTL_BIND = _ioc(3, 0, 16)
IOCTL_UNBIND = _ioc(1, 1, 16)
IOCTL_GET_PASID = _ioc(3, 2, 16)
IOCTL_MM_POLICY = _ioc(3, 3, 24)
BIND_PASID = 1
MODES = ["default", "global", "local", "auto"]
INVALID = 0xFFFFFFFF


class ModelError(Exception):
    pass


# ---------------------------------------------------------------- workers
#
# Each simulated process is a forked worker that owns its mm and its files on
# /dev/svamockN, and runs the ioctls it is sent. Every worker inherits every
# command socket (SLOTS are made before the first fork), so a worker can fork
# a child that takes a free slot: the child's mm is a copy of a bound mm.

SLOTS = 24
slots = [socket.socketpair() for _ in range(SLOTS)]


def worker_loop(slot):
    sock = slots[slot][1]
    fds = {}

    def fd_of(dev):
        if dev not in fds:
            fds[dev] = os.open(f"/dev/svamock{dev}", os.O_RDWR | os.O_CLOEXEC)
        return fds[dev]

    while True:
        msg = sock.recv(256)
        if not msg:
            os._exit(0)
        cmd = msg.decode().split()
        op, a = cmd[0], [int(x) for x in cmd[1:]]
        res = "0"
        try:
            if op == "bind":
                dev, pasid = a
                buf = bytearray(struct.pack("4I", BIND_PASID if pasid else 0,
                                            pasid, 0, 0))
                fcntl.ioctl(fd_of(dev), IOCTL_BIND, buf)
                _, p, bond, _ = struct.unpack("4I", buf)
                q = bytearray(struct.pack("4I", bond, 0, 0, 0))
                fcntl.ioctl(fd_of(dev), IOCTL_GET_PASID, q)
                _, _, attached, local = struct.unpack("4I", q)
                res = f"0 {p} {bond} {local} {attached}"
            elif op == "unbind":
                dev, bond = a
                fcntl.ioctl(fd_of(dev), IOCTL_UNBIND,
                            bytearray(struct.pack("4I", bond, 0, 0, 0)))
            elif op == "policy":
                dev, which, mode, maxp = a
                buf = bytearray(struct.pack("6I", which, mode, maxp, 0, 0, 0))
                fcntl.ioctl(fd_of(dev), IOCTL_MM_POLICY, buf)
            elif op == "close":
                (dev,) = a
                if dev in fds:
                    os.close(fds.pop(dev))
            elif op == "fork":
                (child_slot,) = a
                pid = os.fork()
                if pid == 0:
                    # The child starts without the parent's files.
                    for f in fds.values():
                        os.close(f)
                    worker_loop(child_slot)
                res = f"0 {pid}"
            elif op == "exit":
                os._exit(0)
        except OSError as e:
            res = f"{e.errno}"
        sock.send(res.encode())


class Proc:
    def __init__(self, pid, slot):
        self.pid = pid
        self.slot = slot
        self.mode = 0          # mm policy, index in MODES
        self.max_pasids = 0
        self.glob = None       # global PASID
        self.parent = None     # pid of the worker that forked it

    def call(self, *words):
        s = slots[self.slot][0]
        s.send(" ".join(str(w) for w in words).encode())
        r, _, _ = select.select([s], [], [], 60)
        if not r:
            raise ModelError(f"worker {self.pid} does not answer {words}")
        return [int(x) for x in s.recv(256).decode().split()]


# ---------------------------------------------------------------- model


class Dev:
    def __init__(self, id_, bits, group, enqcmd):
        self.id = id_
        self.bits = bits
        self.group = group     # model group key
        self.enqcmd = enqcmd
        self.width = 1 << bits
        self.pool = (1, self.width - 1)
        self.mode = "global"
        self.resv = {}         # first -> (last, label)


class Bond:
    def __init__(self, pid, dev, pasid, local):
        self.pid = pid
        self.dev = dev         # the device that made the bond
        self.pasid = pasid
        self.local = local
        self.users = 1
        self.handles = []      # (device, bond_id) of the binds


class Model:
    def __init__(self):
        self.devs = {}
        self.procs = {}
        self.bonds = []
        self.floor = 1
        self.zombies = set()   # globals of exited processes, maybe not freed
        self.next_group = 1000

    # --- what the kernel knows
    def group_devs(self, g):
        return [d for d in self.devs.values() if d.group == g]

    def group_width(self, g):
        return min(d.width for d in self.group_devs(g))

    def group_bonds(self, g):
        return [b for b in self.bonds if self.devs[b.dev].group == g]

    def group_resv(self, g):
        for d in self.group_devs(g):
            for f, (l, lab) in d.resv.items():
                yield f, l, d

    def reserved(self, g, p):
        return any(f <= p <= l for f, l, _ in self.group_resv(g))

    def claimed(self, g, p):
        return any(b.pasid == p for b in self.group_bonds(g))

    def live_globals(self):
        return {p.glob for p in self.procs.values() if p.glob is not None}

    def local_values(self):
        return {b.pasid for b in self.bonds if b.local}

    def find_free(self, g, lo, hi, glob):
        """Lowest value of [lo, hi] free for the group; None if none.
        Returns (value, certain): certain is False when a possibly freed
        global of an exited process was skipped on the way."""
        busy_g = self.live_globals()
        loc = self.local_values()
        uncertain = False
        for p in range(lo, hi + 1):
            if p in busy_g or self.claimed(g, p) or self.reserved(g, p):
                continue
            if glob and p in loc:
                continue
            if p in self.zombies:
                uncertain = True
                continue
            return p, not uncertain
        return None, not uncertain

    def alloc_local(self, d):
        g = d.group
        hi = min(d.pool[1], self.group_width(g) - 1)
        lo = d.pool[0]
        if lo > hi:
            return None, True
        certain = True
        if self.floor > lo:
            p, c = self.find_free(g, lo, min(hi, self.floor - 1), False)
            certain &= c
            if p is not None:
                return p, certain
        start = max(lo, self.floor)
        if start > hi:
            return None, certain
        p, c = self.find_free(g, start, hi, False)
        return p, certain and c

    def alloc_global(self, g):
        width = self.group_width(g)
        lo = max(self.floor, 1)
        if lo >= width:
            return None, True
        return self.find_free(g, lo, width - 1, True)


model = Model()
rng = None
seen = {}


def count(what):
    seen[what] = seen.get(what, 0) + 1
step_no = 0
log = []


LOG_LINES = int(os.environ.get("PASID_MODEL_LOG", "40"))


def note(s):
    log.append(f"{step_no}: {s}")
    if len(log) > LOG_LINES:
        del log[0]


def sysfs(path, text):
    try:
        with open(path, "w") as f:
            f.write(text)
        return 0
    except OSError as e:
        return e.errno


def H(d):
    return {"bus-name": "svamock", "dev-name": f"svamock{d.id}"}


def nl_errno(fn, *a):
    try:
        fn(*a)
        return 0
    except NlError as e:
        return e.error


# ---------------------------------------------------------------- steps

free_slots = list(range(SLOTS))


def spawn():
    if not free_slots:
        return
    slot = free_slots.pop(0)
    pid = os.fork()
    if pid == 0:
        worker_loop(slot)
    model.procs[pid] = Proc(pid, slot)
    note(f"spawn {pid}")


def fork_proc(p):
    if not free_slots:
        return
    slot = free_slots.pop(0)
    r = p.call("fork", slot)
    if r[0]:
        raise ModelError(f"fork failed: {r}")
    c = Proc(r[1], slot)
    c.parent = p.pid
    model.procs[c.pid] = c
    note(f"fork {p.pid} -> {c.pid}")
    count("fork")


def reap(p):
    # A forked child is the worker's child, not ours: wait for its slot.
    if p.parent is None:
        os.waitpid(p.pid, 0)
    else:
        for _ in range(5000):
            if not os.path.exists(f"/proc/{p.pid}"):
                break
            try:
                with open(f"/proc/{p.pid}/stat") as f:
                    if f.read().split(") ")[1][0] in "ZX":
                        break
            except OSError:
                break
            time.sleep(0.001)


def exit_proc(p):
    s = slots[p.slot][0]
    s.send(b"exit")
    reap(p)
    model.bonds = [b for b in model.bonds if b.pid != p.pid]
    if p.glob is not None:
        model.zombies.add(p.glob)
    del model.procs[p.pid]
    # Drain what the dead worker may have left in its slot.
    s.setblocking(False)
    try:
        while s.recv(256):
            pass
    except OSError:
        pass
    s.setblocking(True)
    free_slots.append(p.slot)
    note(f"exit {p.pid}")
    count("exit")


def bind(p, d, pasid):
    """Bind by policy (pasid 0) or with a driver-chosen PASID."""
    g = d.group
    existing = next((b for b in model.bonds
                     if b.pid == p.pid and model.devs[b.dev].group == g), None)
    nr_local = sum(1 for b in model.bonds if b.pid == p.pid and b.local)
    quota = p.max_pasids and nr_local >= p.max_pasids
    exp_err, exp_pasid, exp_local, certain = 0, None, None, True

    if existing:
        if pasid and d.enqcmd:
            # the driver-chosen PASID API needs the driver's opt-in
            exp_err = errno.EOPNOTSUPP
        elif pasid and existing.pasid != pasid:
            exp_err = errno.EBUSY
        elif existing.local and d.enqcmd:
            # invariant 4: a group-mate's local bond is not for this device
            exp_err = errno.EBUSY
        else:
            exp_pasid, exp_local = existing.pasid, existing.local
    elif pasid:
        width = model.group_width(g)
        exp_local = True
        if quota:
            exp_err = errno.EDQUOT
        elif d.enqcmd:
            exp_err = errno.EOPNOTSUPP     # invariant 4, for drivers too
        elif pasid >= width or not d.pool[0] <= pasid <= d.pool[1]:
            exp_err = errno.EINVAL
        elif model.reserved(g, pasid) or model.claimed(g, pasid) or \
                pasid in model.live_globals():
            exp_err = errno.EBUSY
        elif pasid in model.zombies:
            certain = False
            exp_pasid = pasid
        else:
            exp_pasid = pasid
    else:
        mode = MODES[p.mode] if p.mode else d.mode
        if d.enqcmd:
            mode = "global"
        gerr = 0
        if mode != "local":
            if p.glob is not None:
                if p.glob >= model.group_width(g):
                    gerr = errno.EOVERFLOW
                elif model.reserved(g, p.glob) or model.claimed(g, p.glob):
                    gerr = errno.EBUSY
                else:
                    exp_pasid, exp_local = p.glob, False
            else:
                v, c = model.alloc_global(g)
                certain &= c
                if v is None:
                    gerr = errno.ENOSPC
                else:
                    exp_pasid, exp_local = v, False
            if mode == "global" and gerr:
                exp_err = gerr
        if mode == "local" or (mode == "auto" and gerr):
            if quota:
                exp_err = errno.EDQUOT
            else:
                v, c = model.alloc_local(d)
                certain &= c
                if v is None:
                    exp_err = errno.ENOSPC
                else:
                    exp_pasid, exp_local = v, True

    r = p.call("bind", d.id, pasid)
    got_err = r[0]
    if existing and existing.local and d.enqcmd:
        count("bind:shared-refused")
    kind = "explicit" if pasid else "policy"
    count(f"bind-{kind}:{errno.errorcode.get(got_err, 'ok')}")
    if not certain:
        count("bind:uncertain")
    note(f"bind pid {p.pid} svamock{d.id} pasid {pasid}: expect "
         f"{exp_err}/{exp_pasid}/{exp_local} certain {certain}, got {r}")
    if got_err:
        if got_err == exp_err or (not certain and got_err in
                                  (errno.ENOSPC, errno.EBUSY)):
            return
        raise ModelError(f"bind: errno {got_err}, model says {exp_err}")
    if exp_err and certain:
        raise ModelError(f"bind succeeded ({r}), model says errno {exp_err}")
    _, got_pasid, bond_id, got_local, attached = r
    if certain and got_pasid != exp_pasid:
        raise ModelError(f"bind: PASID {got_pasid}, model says {exp_pasid}")
    if not attached:
        raise ModelError("bind: the bond is not attached")
    if existing:
        if got_pasid != existing.pasid:
            raise ModelError("rebind changed the PASID")
        existing.users += 1
        existing.handles.append((d.id, bond_id))
        count("bind:shared")
        return
    # Whatever was allocated, it must be a valid choice.
    if exp_local is not None and bool(got_local) != exp_local and certain:
        raise ModelError(f"bind: local={got_local}, model says {exp_local}")
    if got_local:
        if got_pasid in model.live_globals():
            raise ModelError(f"local PASID {got_pasid} is a global PASID")
    else:
        if p.glob is None:
            if got_pasid in model.local_values():
                raise ModelError(f"fresh global {got_pasid} is a local PASID")
            if got_pasid < model.floor:
                raise ModelError(f"fresh global {got_pasid} below the floor")
            p.glob = got_pasid
            model.zombies.discard(got_pasid)
        elif got_pasid != p.glob:
            raise ModelError("global bond with another PASID than the mm's")
    if d.enqcmd and got_local and not pasid:
        raise ModelError("a local PASID on an ENQCMD device")
    if model.claimed(g, got_pasid) or model.reserved(g, got_pasid):
        raise ModelError(f"PASID {got_pasid} was busy in the group")
    if got_local:
        model.zombies.discard(got_pasid)
    count("bind:local" if got_local else "bind:global")
    b = Bond(p.pid, d.id, got_pasid, bool(got_local))
    b.handles.append((d.id, bond_id))
    model.bonds.append(b)


def unbind(p):
    mine = [b for b in model.bonds if b.pid == p.pid]
    if not mine:
        return
    b = rng.choice(mine)
    dev, bond_id = b.handles.pop(rng.randrange(len(b.handles)))
    r = p.call("unbind", dev, bond_id)
    note(f"unbind pid {p.pid} svamock{dev} bond {bond_id} ({b.pasid}): {r}")
    if r[0]:
        raise ModelError(f"unbind failed: {r}")
    b.users -= 1
    count("unbind")
    if not b.users:
        model.bonds.remove(b)


def any_dev_of(p):
    return rng.choice(list(model.devs.values()))


def policy(p):
    d = any_dev_of(p)
    which = rng.choice([1, 2, 3])
    mode = rng.randrange(4)
    maxp = rng.choice([0, 0, 1, 2, 3])
    r = p.call("policy", d.id, which, mode, maxp)
    note(f"policy pid {p.pid} which {which} mode {mode} max {maxp}: {r}")
    if r[0]:
        raise ModelError(f"policy failed: {r}")
    if which & 1:
        p.mode = mode
    if which & 2:
        p.max_pasids = maxp


def reserve(d):
    w = d.width
    first = rng.randrange(0, min(w + 2, 300))
    last = first + rng.choice([0, 0, 1, 3, 10, 50])
    label = rng.choice(["", "vm1", "vm2"])
    g = d.group
    if first < 1 or last >= w:
        exp = errno.EINVAL
    elif any(f <= last and first <= l for f, l, _ in model.group_resv(g)):
        exp = errno.EEXIST
    elif any(first <= b.pasid <= last for b in model.group_bonds(g)):
        exp = errno.EBUSY
    else:
        exp = 0
    req = dict(H(d), first=first, last=last)
    if label:
        req["label"] = label
    got = nl_errno(ynl.do, "resv-new", req)
    count(f"reserve:{errno.errorcode.get(got, 'ok')}")
    note(f"reserve svamock{d.id} {first}-{last} {label!r}: expect {exp} got {got}")
    if got != exp:
        raise ModelError(f"resv-new: errno {got}, model says {exp}")
    if not got:
        d.resv[first] = (last, label)


def release(d):
    if d.resv and rng.random() < 0.5:
        first = rng.choice(list(d.resv))
        last = d.resv[first][0]
        if rng.random() < 0.2:
            last += 1
        exp = 0 if d.resv.get(first, (None,))[0] == last else errno.ENOENT
        got = nl_errno(ynl.do, "resv-del",
                       dict(H(d), first=first, last=last))
        note(f"release svamock{d.id} {first}-{last}: expect {exp} got {got}")
        if got != exp:
            raise ModelError(f"resv-del: errno {got}, model says {exp}")
        if not got:
            del d.resv[first]
    else:
        label = rng.choice(["vm1", "vm2"])
        mine = [f for f, (l, lab) in d.resv.items() if lab == label]
        exp = 0 if mine else errno.ENOENT
        got = nl_errno(ynl.do, "resv-del", dict(H(d), label=label))
        note(f"release svamock{d.id} label {label}: expect {exp} got {got}")
        if got != exp:
            raise ModelError(f"resv-del: errno {got}, model says {exp}")
        for f in mine:
            del d.resv[f]


def shown_pool_max(d):
    """The pool-max dev-get shows: clamped to the group, which a narrower
    device may have joined since, unless the group leaves nothing of the
    pool; then as set."""
    gw = model.group_width(d.group)
    if d.pool[1] >= gw and d.pool[0] < gw:
        return gw - 1
    return d.pool[1]


def dev_set(d):
    req = dict(H(d))
    mode = None
    pool = None
    if rng.random() < 0.5:
        mode = rng.choice(["global", "local", "auto"])
        req["mode"] = mode
    if rng.random() < 0.6 or mode is None:
        lo = rng.choice([1, 1, 2, 5, 10, 17])
        hi = rng.choice([lo, lo + 5, d.width - 1, d.width, 40, 300,
                         model.group_width(d.group)])
        # One side alone keeps the other as set. A kept pool-max is
        # checked as the new pool would read back: clamped to the group
        # when the new pool-min lies within it.
        side = rng.choice(["both", "both", "pool-min", "pool-max"])
        if side == "pool-min":
            gw = model.group_width(d.group)
            kept_max = d.pool[1]
            hi = gw - 1 if kept_max >= gw and lo < gw else kept_max
        elif side == "pool-max":
            lo = d.pool[0]
        pool = (lo, hi)
        if side != "pool-max":
            req["pool-min"] = lo
        if side != "pool-min":
            req["pool-max"] = hi
    exp = 0
    if mode and mode != "global" and d.enqcmd:
        exp = errno.EOPNOTSUPP
    elif pool:
        lo, hi = pool
        if lo < 1 or lo > hi or hi >= d.width:
            exp = errno.EINVAL
        elif hi >= model.group_width(d.group):
            exp = errno.ERANGE
        elif any(b.dev == d.id and b.local and
                 d.pool[0] <= b.pasid <= d.pool[1] and not lo <= b.pasid <= hi
                 for b in model.bonds):
            # What the pool allocated stays in it; a local bond handed over
            # from a group-mate may lie outside the pool, and does not hold
            # it back.
            exp = errno.EBUSY
    got = nl_errno(ynl.do, "dev-set", req)
    count(f"dev-set:{errno.errorcode.get(got, 'ok')}")
    note(f"dev-set svamock{d.id} {req}: expect {exp} got {got}")
    if got != exp:
        why = [f"pid {b.pid} pasid {b.pasid}" for b in model.bonds
               if b.dev == d.id and b.local and pool and
               not pool[0] <= b.pasid <= pool[1]]
        why.append(f"pool {d.pool[0]}-{d.pool[1]}")
        raise ModelError(f"dev-set: errno {got}, model says {exp}" +
                         (f" (local bonds made on it outside the pool: {', '.join(why)})"
                          if why else ""))
    if not got:
        if pool:
            d.pool = (pool[0], kept_max) if side == "pool-min" else pool
        if mode:
            d.mode = mode


def set_floor():
    floor = rng.choice([1, 1, 2, 8, 16, 40, 200])
    got = nl_errno(ynl.do, "global-set", {"floor": floor})
    note(f"floor {floor}: {got}")
    if got:
        raise ModelError(f"global-set: errno {got}")
    model.floor = floor
    count("floor")


next_id = [100]
FIRST_EXTRA_DEV = 106
# Strict: an exited process's global PASID must be freed by the next check
# (after its mm is gone), not only by teardown.
STRICT = os.environ.get("PASID_MODEL_STRICT", "1") == "1"
# The share of device removals with bonds in place.
REMOVE_BONDED = float(os.environ.get("PASID_MODEL_REMOVE_BONDED", "0.7"))


def add_dev(bits=None, group=None, enqcmd=None):
    id_ = next_id[0]
    next_id[0] += 1
    bits = bits if bits is not None else rng.choice([3, 4, 5, 8, 12, 16, 20])
    if group is None:
        # A device joins a group and translates what is attached in it;
        # one narrower than what is attached is not this test's subject.
        groups = {d.group for d in model.devs.values()
                  if d.group < 1000 and
                  all(b.pasid < (1 << bits)
                      for b in model.group_bonds(d.group))}
        group = rng.choice(sorted(groups) + [0, 0]) if groups else 0
    enqcmd = enqcmd if enqcmd is not None else rng.random() < 0.2
    text = f"{id_} {bits} {group}" + (" enqcmd" if enqcmd else "")
    got = sysfs(f"{SYS}/new_device", text)
    note(f"new_device {text}: {got}")
    if got:
        raise ModelError(f"new_device {text}: errno {got}")
    key = group if group else model.next_group
    if not group:
        model.next_group += 1
    d = model.devs[id_] = Dev(id_, bits, key, enqcmd)
    # The pool is made at probe (the driver's opt-in), within the group.
    d.pool = (1, model.group_width(key) - 1)


def del_dev(d):
    # The six devices of the start stay: among them the only group with
    # devices of two widths and an ENQCMD device beside local ones.
    if d.id < FIRST_EXTRA_DEV:
        return
    # Most removals leave bonds in place: the mock unbinds what was bound
    # through the device's files, and what group-mates hold passes to one
    # of them. The rest unbind first, as most drivers do.
    if rng.random() >= REMOVE_BONDED:
        # Its users unbind first, as drivers do before a device goes.
        for b in list(model.group_bonds(d.group)):
            p = model.procs[b.pid]
            for dev, bond_id in list(b.handles):
                r = p.call("unbind", dev, bond_id)
                if r[0]:
                    raise ModelError(f"unbind before removal failed: {r}")
                count("unbind")
            model.bonds.remove(b)
    got = sysfs(f"{SYS}/del_device", f"{d.id}")
    note(f"del_device {d.id}: {got}")
    if got:
        raise ModelError(f"del_device: errno {got}")
    # The mock unbinds what was bound through the device's files. A bond
    # its group-mates still hold passes to the first of them, with the
    # claim of its PASID (a local one counts in the heir's pool).
    mates = [x for x in model.group_devs(d.group) if x.id != d.id]
    for b in list(model.group_bonds(d.group)):
        b.handles = [(dev, bid) for dev, bid in b.handles if dev != d.id]
        b.users = len(b.handles)
        if not b.handles:
            model.bonds.remove(b)
        elif b.dev == d.id:
            b.dev = mates[0].id
            count("bond handed over")
    for p in model.procs.values():
        p.call("close", d.id)
    del model.devs[d.id]
    count("del_device")


# ---------------------------------------------------------------- checks


def visit_cpus():
    """Run this process once on every CPU.

    An idle CPU keeps the last address space it ran as its lazy TLB mm, with
    a reference, so the mm of an exited process, and the global PASID freed
    with it (as in 6.12), can outlive the process until that CPU runs another
    one. Running there drops the reference.
    """
    cpus = os.sched_getaffinity(0)
    for cpu in sorted(cpus):
        os.sched_setaffinity(0, {cpu})
        time.sleep(0.001)
    os.sched_setaffinity(0, cpus)


def settled_global_in_use(live):
    """The global PASIDs in use once exited processes' mms are gone: waits
    (up to about 10 s) for more than @live to drop to @live."""
    for _ in range(200):
        g = ynl.do("global-get", {})
        if g["in-use"] <= live:
            break
        visit_cpus()
        time.sleep(0.05)
    return g


def table(d):
    with open(f"{SYS}/devices/svamock{d.id}/pasid_table") as f:
        return {int(x) for x in f.read().split()}


def check():
    mg = ynl.do("global-get", {})
    nzomb = mg["in-use"] - len(model.live_globals())
    # Strict mode: wait for exited processes' globals to go, so that a
    # leak shows at the step that made it rather than at teardown.
    if STRICT and nzomb > 0:
        mg = settled_global_in_use(len(model.live_globals()))
        nzomb = mg["in-use"] - len(model.live_globals())
        if nzomb > 0:
            raise ModelError(f"{nzomb} global PASIDs of exited processes "
                             f"not freed")
    if nzomb < 0:
        raise ModelError(f"global in-use {mg['in-use']} < live globals")
    if nzomb == 0:
        model.zombies.clear()
    elif nzomb > len(model.zombies):
        raise ModelError(f"{nzomb} global PASIDs unaccounted for")
    if mg["floor"] != model.floor:
        raise ModelError(f"floor {mg['floor']}, model {model.floor}")
    if mg["local-values"] != len(model.local_values()):
        raise ModelError(f"local-values {mg['local-values']}, model "
                         f"{sorted(model.local_values())}")

    # The mock IOMMU's tables: exactly the bonds of the group.
    for d in model.devs.values():
        want = {b.pasid for b in model.group_bonds(d.group)}
        got = table(d)
        if got != want:
            raise ModelError(f"svamock{d.id} table {sorted(got)}, model "
                             f"{sorted(want)}")

    # dev-get dump: pool, mode, counters, reservations.
    seen = set()
    for m in ynl.dump("dev-get", {}):
        if m["bus-name"] != "svamock":
            continue
        id_ = int(m["dev-name"][7:])
        d = model.devs.get(id_)
        if d is None:
            raise ModelError(f"dev-get lists unknown svamock{id_}")
        seen.add(id_)
        mine = [b for b in model.bonds if b.dev == id_]
        # every device of a group translates, and counts, its bonds
        grp = model.group_bonds(d.group)
        want = {
            "mode": d.mode, "pool-min": d.pool[0],
            "pool-max": shown_pool_max(d),
            "local-ok": 0 if d.enqcmd else 1,
            "group-max-pasids": model.group_width(d.group),
            "bonds-global": sum(1 for b in grp if not b.local),
            "bonds-local": sum(1 for b in grp if b.local),
            "allocated": sum(1 for b in mine if b.local),
            "reserved": sum(l - f + 1 for f, (l, _) in d.resv.items()),
        }
        for k, v in want.items():
            if m.get(k) != v:
                raise ModelError(f"svamock{id_} {k} = {m.get(k)}, model {v}")
        resv = sorted((r["first"], r["last"], r.get("label", ""))
                      for r in m.get("resv", []))
        if resv != sorted((f, l, lab) for f, (l, lab) in d.resv.items()):
            raise ModelError(f"svamock{id_} resv {resv}, model {d.resv}")
    if seen != set(model.devs):
        raise ModelError(f"dev-get lists {sorted(seen)}, model "
                         f"{sorted(model.devs)}")

    # mm-get dump: every process's global PASID, policy and bonds.
    kbonds = set()
    listed = {}
    for m in ynl.dump("mm-get", {}):
        pid = m["pid"]
        listed[pid] = m
        for b in m.get("bond", []):
            if b["bus-name"] != "svamock":
                continue
            kbonds.add((pid, int(b["dev-name"][7:]), b["pasid"],
                        b["kind"] == "local", b["users"]))
    want = {(b.pid, b.dev, b.pasid, b.local, b.users) for b in model.bonds}
    if kbonds != want:
        raise ModelError(f"mm-get bonds differ: kernel-only "
                         f"{sorted(kbonds - want)}, model-only "
                         f"{sorted(want - kbonds)}")
    for p in model.procs.values():
        m = listed.get(p.pid)
        if m is None:
            # A dump lists the processes that have bonds.
            if any(b.pid == p.pid for b in model.bonds):
                raise ModelError(f"mm-get does not list pid {p.pid}")
            continue
        if m.get("pasid") != p.glob:
            raise ModelError(f"pid {p.pid} global {m.get('pasid')}, model "
                             f"{p.glob}")
        if m.get("mode") != MODES[p.mode] or \
                m.get("max-pasids") != p.max_pasids:
            raise ModelError(f"pid {p.pid} policy {m.get('mode')}/"
                             f"{m.get('max-pasids')}, model "
                             f"{MODES[p.mode]}/{p.max_pasids}")

    # Invariants, on what the kernel says.
    per_group = {}
    for pid, dev, pasid, local, _ in kbonds:
        key = (model.devs[dev].group, pasid)
        if per_group.setdefault(key, pid) != pid:
            raise ModelError(f"PASID {pasid} attached for two processes in "
                             f"one group")
    globs = {m["pasid"] for m in listed.values() if "pasid" in m}
    locs = {pasid for _, _, pasid, local, _ in kbonds if local}
    if globs & locs:
        raise ModelError(f"values both global and local: {globs & locs}")


# ---------------------------------------------------------------- run


def step():
    live = list(model.procs.values())
    devs = list(model.devs.values())
    r = rng.random()
    if not live or (r < 0.04 and len(live) < 10):
        spawn()
    elif r < 0.36:
        bind(rng.choice(live), rng.choice(devs), 0)
    elif r < 0.46:
        d = rng.choice(devs)
        p = rng.choice(live)
        cands = [rng.randrange(1, 40), rng.randrange(1, d.width + 2)]
        cands += list(model.live_globals())[:1]
        cands += [f for f in d.resv][:1]
        bind(p, d, rng.choice(cands))
    elif r < 0.66:
        unbind(rng.choice(live))
    elif r < 0.70:
        exit_proc(rng.choice(live))
    elif r < 0.74:
        if len(live) < 10:
            fork_proc(rng.choice(live))
    elif r < 0.81:
        reserve(rng.choice(devs))
    elif r < 0.85:
        release(rng.choice(devs))
    elif r < 0.91:
        dev_set(rng.choice(devs))
    elif r < 0.95:
        policy(rng.choice(live))
    elif r < 0.96:
        set_floor()
    elif r < 0.98:
        if len(devs) < 9:
            add_dev()
    else:
        del_dev(rng.choice(devs))


def main():
    global rng, step_no
    seed = args.seed if args.seed is not None else int.from_bytes(
        os.urandom(4), "little")
    rng = random.Random(seed)
    print("TAP version 13")
    print("1..4")
    print(f"# seed {seed} (reproduce: pasid_model.py TREE --seed {seed} "
          f"--steps {args.steps})", flush=True)

    existing = [e for e in os.listdir(f"{SYS}/devices")]
    if existing:
        print(f"not ok 1 start from no simulated device (found {existing})")
        print("ok 2 # SKIP")
        print("ok 3 # SKIP")
        return 1
    # Global PASIDs of processes that exited before us may not be freed yet.
    settled_global_in_use(0)
    ynl.do("global-set", {"floor": 1})
    # Two devices in one group, one that takes no local PASIDs, widths 4-20.
    add_dev(20, 0, False)
    add_dev(8, 7, False)
    add_dev(16, 7, False)
    add_dev(20, 0, True)
    add_dev(4, 0, False)
    add_dev(8, 7, True)     # takes ENQCMD, in a group with local devices
    for _ in range(3):
        spawn()
    print("ok 1 start from no simulated device, six devices made")

    start = time.time()
    failed = None
    try:
        check()
        for step_no in range(1, args.steps + 1):
            step()
            check()
    except (ModelError, NlError, OSError) as e:
        failed = f"step {step_no}: {e}"
    took = time.time() - start
    if failed:
        print(f"not ok 2 {args.steps} model steps, seed {seed}: {failed}")
        for line in log:
            print(f"#   {line}")
    else:
        print(f"ok 2 {args.steps} model steps (seed {seed}) match the "
              f"kernel in {took:.0f}s")

    # A run that did not reach every kind of step and outcome tested less
    # than it says.
    want = ["bind-policy:ok", "bind-explicit:ok", "bind:local", "bind:global",
            "bind:shared", "bind-policy:ENOSPC", "bind-policy:EOVERFLOW",
            "bind-policy:EBUSY", "bind-policy:EDQUOT", "bind-explicit:EBUSY",
            "bind:shared-refused",
            "bind-explicit:EINVAL", "unbind", "exit", "fork", "reserve:ok",
            "reserve:EEXIST", "reserve:EBUSY", "reserve:EINVAL", "dev-set:ok",
            "dev-set:EBUSY", "dev-set:ERANGE",
            "dev-set:" + errno.errorcode[errno.EOPNOTSUPP],
            "del_device", "floor"]
    print("# " + ", ".join(f"{k} {v}" for k, v in sorted(seen.items())))
    missing = [w for w in want if w not in seen]
    if missing and not failed:
        print(f"not ok 3 every kind of step and outcome was reached: missing "
              f"{missing}")
        failed = "coverage"
    else:
        print("ok 3 every kind of step and outcome was reached"
              + (" # SKIP the model failed" if failed else ""))

    # Tear down: every count returns to zero.
    for p in list(model.procs.values()):
        exit_proc(p)
    for d in list(model.devs.values()):
        for p in model.procs.values():
            p.call("close", d.id)
        sysfs(f"{SYS}/del_device", f"{d.id}")
    ynl.do("global-set", {"floor": 1})
    left = settled_global_in_use(0)
    if left["in-use"] == 0 and left["local-values"] == 0 and \
            not os.listdir(f"{SYS}/devices"):
        print("ok 4 after teardown no PASID is in use and no device is left")
    else:
        print(f"not ok 4 after teardown: {left}, devices "
              f"{os.listdir(SYS + '/devices')}")
        failed = failed or "teardown"
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
