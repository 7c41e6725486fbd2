#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tests/bench/table.py DIR: the table of make bench, from the logs
tests/bench/run.sh left in DIR ("FIG KEY VALUE" lines of kcost.sh, per
kernel and round, and of bench.sh; gp-fixup.tap). Markdown, so that the
README can carry it as it is. Times are the fastest of the rounds (a shared
emulated machine adds noise, never removes it); ratios are of figures from
this one run."""
import glob
import os
import re
import sys


def figs(path):
    out = {}
    with open(path, errors='replace') as f:
        for line in f:
            m = re.match(r'FIG (\S+) (\S+)$', line.strip())
            if m:
                out[m.group(1)] = m.group(2)
    return out


def main():
    d = sys.argv[1]
    runs = {'baseline': [], 'patched': []}
    for path in sorted(glob.glob(os.path.join(d, '*-[0-9]*.log'))):
        kernel, rnd = re.match(r'(\w+)-(\d+)\.log$', os.path.basename(path)).groups()
        runs[kernel].append((int(rnd), figs(path)))
    cli = figs(os.path.join(d, 'cli.log'))
    gp = open(os.path.join(d, 'gp-fixup.tap')).read()

    def best(kernel, key):
        vals = [float(f[key]) for _, f in runs[kernel] if key in f]
        if not vals:
            sys.exit('table.py: no %s figure for the %s kernel' % (key, kernel))
        return min(vals)

    def one(kernel, key):
        for _, f in runs[kernel]:
            if key in f:
                return float(f[key])
        sys.exit('table.py: no %s figure for the %s kernel' % (key, kernel))

    def c(key):
        if key not in cli:
            sys.exit('table.py: no %s figure in cli.log' % key)
        return float(cli[key])

    def rounds(key_p, key_b):
        b = {r: float(f[key_b]) for r, f in runs['baseline'] if key_b in f}
        return ', '.join('%.2f' % (float(f[key_p]) / b[r])
                         for r, f in sorted(runs['patched']) if key_p in f and r in b)

    rows = []

    def row(what, value, goal, ok):
        rows.append((what, value, goal, '-' if ok is None else ('pass' if ok else 'FAIL')))

    bg, pg = best('baseline', 'bind-global'), best('patched', 'bind-global')
    r = pg / bg
    row('global bind+unbind, series / 6.12, no listener',
        '%.3f (%.1f / %.1f us; per round %s)' % (r, pg / 1e3, bg / 1e3,
                                                  rounds('bind-global', 'bind-global')),
        '<= 1.02', r <= 1.02)
    pl = best('patched', 'bind-listen')
    row('global bind+unbind, series with a monitor listening / 6.12',
        '%.3f (%.1f us)' % (pl / bg, pl / 1e3), 'reported', None)
    lo = best('patched', 'bind-local')
    r = lo / pg
    row('local / global bind+unbind, series', '%.3f (%.1f / %.1f us)' % (r, lo / 1e3, pg / 1e3),
        '<= 1.25 (README)', r <= 1.25)
    r = lo / bg
    row('local bind+unbind, series / global, 6.12', '%.3f' % r, 'reported', None)
    ar, an = one('patched', 'alloc-resv'), one('patched', 'alloc-none')
    r = ar / an
    row('pool allocation+free, 1,024 reservations / none (same group size)',
        '%.2f (%.1f / %.1f us)' % (r, ar / 1e3, an / 1e3), '<= 2', r <= 2)
    mb, ml, mg = one('baseline', 'mem-global'), one('patched', 'mem-local'), one('patched', 'mem-global')
    row('slab bytes per local tuple beyond 6.12\'s per bond',
        '%+.0f (%.0f vs %.0f)' % (ml - mb, ml, mb), '<= 128', ml - mb <= 128)
    row('slab bytes per global bond beyond 6.12\'s',
        '%+.0f (%.0f vs %.0f)' % (mg - mb, mg, mb), '<= 128', mg - mb <= 128)
    big, small = c('dump-mm-get-100000'), c('dump-mm-get-1000')
    r = big / small
    row('mm-get dump, kernel ns per tuple, 100,000 / 1,000 tuples',
        '%.2f (%.0f / %.0f ns)' % (r, big, small), '<= 1.5 (linear)', r <= 1.5)
    big, small = c('dump-dev-get-100000'), c('dump-dev-get-1000')
    r = big / small
    row('dev-get dump of 100 devices, kernel ns per device, 100,000 / 1,000 bonds in their groups',
        '%.2f (%.0f / %.0f ns)' % (r, big, small), '<= 1.5 (flat: counters only)', r <= 1.5)
    big, small = c('do-dev-get-10000'), c('do-dev-get-1000')
    r = big / small
    row('dev-get do, kernel ns per bond, 10,000 / 1,000 bonds',
        '%.2f (%.0f / %.0f ns)' % (r, big, small), '<= 1.5 (linear)', r <= 1.5)
    r = c('cli-json-100000')
    row('pasidctl -j / bare libnl loop, 100,000 tuples', '%.2f' % r,
        '<= 2 on this kernel (README)', r <= 2)
    r = c('cli-text-100000')
    row('pasidctl text / bare libnl loop, 100,000 tuples', '%.2f' % r, '<= 2', r <= 2)
    r = c('cli-py-100000')
    row('cli.py / pasidctl -j, 100,000 tuples', '%.1f' % r, '>= 20', r >= 20)
    r = c('cli-mem')
    row('pasidctl -j peak memory, 100,000 / 1,000 tuples', '%.2f' % r, '<= 1.25 (flat)', r <= 1.25)
    ok = 'not ok' not in gp and gp.count('\nok ') >= 5
    row('ENQCMD #GP fixup (traps.o vs 6.12, tests/host/gp-fixup.sh)',
        'one PASID check added (mm_valid_pasid())' if ok else 'see gp-fixup.tap',
        'nothing else changes', ok)

    print('| figure | measured | goal | |')
    print('| --- | --- | --- | --- |')
    for r in rows:
        print('| %s | %s | %s | %s |' % r)
    judged = [r for r in rows if r[3] != '-']
    met = sum(r[3] == 'pass' for r in judged)
    print()
    print('%d of %d figures meet their goal' % (met, len(judged)))


if __name__ == '__main__':
    main()
