# SPDX-License-Identifier: ISC
"""The combination test of issue 10, short matrix: seeded option sets (-j,
-c, --rate, -m, --sequential, -r, --attempt-timeout, --max-runtime,
--ordered, talk options, every format) over a mixed target set, every run
checked against the invariants in tests/combo.py.  Inside an `unshare -rn`
namespace when there is one (so unreachable and denied targets join in),
on plain loopback otherwise.  A failure names the seed and case: replay it
with `scripts/combos --seed S --case K`; scripts/combos runs long matrices.
APTEST_COMBO_SEED and APTEST_COMBO_CASES override the defaults."""

import os
import sys

import aptest
import combo

SEED = os.environ.get("APTEST_COMBO_SEED", "20261202")
CASES = int(os.environ.get("APTEST_COMBO_CASES", "20"))


class Helpers(aptest.TestCase):
    """The checker's own arithmetic, so a pass means something."""

    def test_max_overlap(self):
        self.assertEqual(aptest.max_overlap([(0, 1), (0.5, 2), (1, 3)])[0],
                         2)
        self.assertEqual(aptest.max_overlap([(0, 1), (1, 2)])[0], 1)
        self.assertEqual(aptest.max_overlap([(0, 0), (0, 0)])[0], 0)

    def test_idle_gaps(self):
        # -c 2: one slot busy 0..1 s, the other idle until 1 s, when the
        # third target starts: a gap.  Back to back targets: none.
        gaps = combo.idle_gaps([(0, 1), (0, 0.01), (1, 2)], 2, [0, 0, 1],
                               0.15)
        self.assertEqual(len(gaps), 1)
        self.assertEqual(gaps[0][2], 1)
        self.assertEqual(combo.idle_gaps([(0, 1), (0, 1), (1, 2), (1, 2)],
                                         2, [0, 0, 1, 1], 0.15), [])

    def test_max_in_window(self):
        times = [i * 0.05 for i in range(21)]       # 20/s, 21 in [0, 1]
        self.assertEqual(combo.max_in_window(times, 1.0)[0], 20)
        self.assertEqual(combo.max_in_window(times + [0.5], 1.0)[0], 21)

    def test_expected_rc(self):
        self.assertEqual(combo.expected_rc(["connected"], "json"), 0)
        self.assertEqual(combo.expected_rc([], "json"), 1)
        self.assertEqual(combo.expected_rc(["connected", "cancelled"],
                                           "csv"), 1)
        self.assertEqual(combo.expected_rc(["refused", "unresolved"],
                                           "text"), 2)
        self.assertEqual(combo.expected_rc(["unresolved", "invalid"],
                                           "json"), 3)
        self.assertEqual(combo.expected_rc(["connected", "invalid"],
                                           "nagios"), 3)
        self.assertEqual(combo.expected_rc(["refused", "invalid"],
                                           "nagios"), 2)

    def test_cases_replay(self):
        # The same seed and index give the same case, whatever ran before.
        world = self.fake_world()
        a = combo.Case("s", 3, world)
        combo.Case("s", 4, world)
        b = combo.Case("s", 3, world)
        self.assertEqual(a.options(), b.options())
        self.assertEqual([k.line for k in a.kinds], [k.line for k in b.kinds])
        self.assertIn("--short --seed s --case 3", a.replay())

    @staticmethod
    def fake_world():
        """A World's target kinds without its peers (ports made up)."""
        class Peer:
            port = 1
        w = combo.World.__new__(combo.World)
        w.netns = w.v6 = False
        w.M, w.T = 3, 4
        w.acc = w.ref = w.hole = Peer()
        w.kinds = w._kinds()
        return w


class Combinations(aptest.TestCase):
    def test_matrix(self):
        if aptest.have_netns():
            res = aptest.in_netns(__file__, "matrix", SEED, CASES,
                                  timeout=600)
        else:
            res = combo.run_matrix(SEED, CASES, out=sys.stdout)
        print("%d cases, %d runs, netns %s, IPv6 %s, connect log %s"
              % (res["cases"], res["runs"], res["netns"], res["v6"],
                 res["shim"]))
        for f in res["failures"]:
            print(f)
        for name, replay in res["violated"].items():
            print("violated: %-16s first in: %s" % (name, replay))
        self.assertEqual(list(res["violated"]), [],
                         "%d violations" % len(res["failures"]))


if __name__ == "__main__":
    aptest.netns_inner({"matrix": lambda seed, cases:
                        combo.inner(seed, cases, False)})
    aptest.main()
