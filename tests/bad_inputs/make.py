"""Writes the corpus of tests/bad_inputs/: one malformed scenario file per case, with a header
saying what the one-line error must name (``# field:``, after the file name), what it must say
(``# says:``) and, when a parent is to blame, which file it names (``# file:``).
tests/test_bad_input.py reads the headers. Run ``python tests/bad_inputs/make.py`` after
changing a case; files are written byte for byte (some are not UTF-8 on purpose)."""

import random
from pathlib import Path

D = Path(__file__).resolve().parent
BASE = "extends: ../../scenarios/baseline.yaml\n"
cases = {}


def case(name, field, says, body, file=None, raw=None):
    head = f"# field: {field}\n# says: {says}\n" + (f"# file: {file}\n" if file else "")
    data = head.encode() + (raw if raw is not None else body.encode("utf-8"))
    assert name not in cases
    cases[name] = data


# --- bytes and encoding ---------------------------------------------------------------
case("latin1", "line 3, column 10", "not UTF-8", None, raw=b"name: caf\xe9\n")
rng = random.Random(14)
case(
    "binary",
    "line 3",
    "not UTF-8",
    None,
    raw=b"\xff" + bytes(rng.randrange(256) for _ in range(3000)),
)
case("utf16", "line 3", "not UTF-8", None, raw="name: x\nhorizon_days: 5\n".encode("utf-16"))
case("nul-byte", "line 3, column 8", "U+0000", None, raw=b"name: a\x00b\n")
case("escape-sequence", "line 4", "U+001B", None, raw=BASE.encode() + b"name: \x1b[31mred\n")
case("bell-in-key", "line 4", "U+0007", None, raw=BASE.encode() + b"gar\x07rison: {}\n")
case(
    "latin1-parent",
    "line 1, column 10",
    "not UTF-8",
    "extends: parents/latin1.yaml\nname: x\n",
    file="parents/latin1.yaml",
)
case(
    "binary-parent",
    "line 1",
    "not UTF-8",
    "extends: parents/binary.yaml\nname: x\n",
    file="parents/binary.yaml",
)
# --- extends --------------------------------------------------------------------------
case("extends-dev-zero", "extends", "not a regular file", "extends: /dev/zero\n")
case("extends-dev-random", "extends", "not a regular file", "extends: /dev/urandom\n")
case("extends-directory", "extends", "is a directory", "extends: parents\n")
case("extends-dot", "extends", "is a directory", "extends: .\n")
case("extends-long-name", "extends", "too long", "extends: " + "a" * 300 + ".yaml\n")
case("extends-very-long-name", "extends", "at most 1,024", "extends: " + "a/" * 1500 + "x.yaml\n")
case("extends-nul", "extends", "NUL", 'extends: "base\\0.yaml"\n')
case("extends-number", "extends", "must be a path", "extends: 5\n")
case("extends-list", "extends", "must be a path", "extends: [a.yaml, b.yaml]\n")
case("extends-empty", "extends", "must be a path", 'extends: ""\n')
case("extends-missing", "extends", "does not exist", "extends: no-such-parent.yaml\n")
case("extends-self", "extends", "cycle", "extends: extends-self.yaml\n")
case(
    "extends-cycle",
    "extends",
    "cycle",
    "extends: parents/cycle.yaml\nname: x\n",
    file="parents/cycle.yaml",
)
case(
    "extends-broken-parent",
    "line 3",
    "not valid YAML",
    "extends: parents/broken.yaml\n",
    file="parents/broken.yaml",
)
case("extends-through-file", "extends", "does not exist", "extends: parents/broken.yaml/x.yaml\n")
# --- YAML structure -------------------------------------------------------------------
case("brackets-1000", "[0][0][0]", "nested more than 64", "[" * 1000 + "\n")
case(
    "block-nesting-100",
    "a.a.a",
    "nested more than 64",
    "".join("  " * i + "a:\n" for i in range(100)) + "  " * 100 + "b: 1\n",
)
case("flow-mappings-2000", "a.a.a", "nested more than 64", "{a: " * 2000 + "1" + "}" * 2000 + "\n")
bomb = ["lol0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
for i in range(1, 9):
    bomb.append(f"lol{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
case(
    "alias-bomb",
    "provenance.lol",
    "more than 50,000 values",
    BASE + "provenance:\n" + "".join(f"  {line}\n" for line in bomb),
)
case(
    "alias-bomb-9-levels",
    "lol",
    "more than 50,000 values",
    "\n".join([*bomb, "lol9: &a9 [" + ", ".join(["*a8"] * 10) + "]"]) + "\n",
)
case(
    "alias-bomb-in-parent",
    "lol",
    "more than 50,000 values",
    "extends: parents/bomb.yaml\nname: x\n",
    file="parents/bomb.yaml",
)
case("alias-recursive", "a[0]", "recursive alias", "a: &a [*a]\n")
case("alias-recursive-mapping", "a.b", "recursive alias", "a: &a {b: *a}\n")
chain = ["c0: &c0 [1]"] + [f"c{i}: &c{i} [*c{i - 1}]" for i in range(1, 80)]
case("alias-deep-chain", "c", "nested more than 64", "\n".join(chain) + "\n")
merge = ["m0: &m0 {k0: 1}"] + [f"m{i}: &m{i} {{<<: *m{i - 1}, k{i}: 1}}" for i in range(1, 80)]
case("merge-key-chain", "m", "nested more than 64", "\n".join(merge) + "\n")
case("undefined-alias", "line 4", "not valid YAML", BASE + "garrison: *nowhere\n")
case("tab-indent", "line 5", "not valid YAML", BASE + "garrison:\n\ttroops: 5\n")
case("unclosed-quote", "line", "not valid YAML", BASE + 'name: "never closed\n')
case("unclosed-bracket", "line", "not valid YAML", BASE + "areas: [1, 2\n")
case("two-documents", "line", "not valid YAML", "name: a\n---\nname: b\n")
case("top-level-list", "", "must be a mapping", "- name: a\n- name: b\n")
case("top-level-string", "", "must be a mapping", "just some text\n")
case("empty", "", "empty", "")
case("only-comments", "", "empty", "# nothing else\n")
case(
    "python-tag",
    "line 4",
    "not valid YAML",
    BASE + 'name: !!python/object/apply:os.system ["echo owned"]\n',
)
case(
    "duplicate-key",
    "garrison.troops",
    "given twice (lines 5 and 6)",
    BASE + "garrison:\n  troops: 300\n  troops: 400\n",
)
case("duplicate-top-key", "name", "given twice", BASE + "name: a\nname: b\n")
case(
    "duplicate-key-flow",
    "supply_operators[0].aircraft",
    "given twice",
    BASE + "supply_operators:\n  - {name: government helicopters, aircraft: 3, aircraft: 30}\n",
)
case(
    "duplicate-quoted-key",
    "horizon_days",
    "given twice",
    BASE + 'horizon_days: 100\n"horizon_days": 200\n',
)
case("huge-integer", "line 5", "far too long", BASE + "garrison:\n  troops: " + "9" * 5000 + "\n")
# --- values: not finite, booleans, types ----------------------------------------------
case(
    "inf-rate",
    "besiegers.clash_rate_per_day",
    "finite",
    BASE + "besiegers:\n  clash_rate_per_day: .inf\n",
)
case("nan-probability", "air_defence.hit_prob", "finite", BASE + "air_defence:\n  hit_prob: .nan\n")
case(
    "minus-inf-days",
    "garrison.supplies_days",
    "finite",
    BASE + "garrison:\n  supplies_days: -.inf\n",
)
case(
    "inf-supplies", "garrison.supplies_days", "finite", BASE + "garrison:\n  supplies_days: .inf\n"
)
case(
    "inf-decisiveness",
    "engagement.decisiveness",
    "finite",
    BASE + "engagement:\n  decisiveness: .Inf\n",
)
case(
    "nan-range",
    "provenance.garrison.troops.range",
    "finite",
    BASE + "provenance:\n  garrison.troops:\n    assumption: x\n    range: [.nan, 400]\n",
)
case("bool-horizon", "horizon_days", "not true", BASE + "horizon_days: true\n")
case("bool-troops", "garrison.troops", "not false", BASE + "garrison:\n  troops: false\n")
case(
    "yes-strikes",
    "airstrikes.strikes_per_day",
    "not true",
    BASE + "airstrikes:\n  strikes_per_day: yes\n",
)
case(
    "bool-range",
    "provenance.garrison.troops.range",
    "not true",
    BASE + "provenance:\n  garrison.troops:\n    assumption: x\n    range: [true, 400]\n",
)
case("text-troops", "garrison.troops", "integer", BASE + "garrison:\n  troops: lots\n")
case("list-troops", "garrison.troops", "integer", BASE + "garrison:\n  troops: [300]\n")
case("null-section", "garrison", "", BASE + "garrison: null\n")
case("set-tag-areas", "areas", "valid dictionary", BASE + "areas: !!set {a, b}\n")
# --- values: past the bounds ----------------------------------------------------------
case(
    "troops-1e7",
    "garrison.troops",
    "less than or equal to 1000000",
    BASE + "garrison:\n  troops: 10000000\n",
)
case(
    "troops-1e100",
    "garrison.troops",
    "less than or equal to 1000000",
    BASE + "garrison:\n  troops: " + "1" + "0" * 100 + "\n",
)
case(
    "troops-negative",
    "garrison.troops",
    "greater than or equal to 0",
    BASE + "garrison:\n  troops: -5\n",
)
case(
    "relief-1e7",
    "garrison.relief_troops",
    "less than or equal",
    BASE + "garrison:\n  relief_troops: 10000000\n",
)
case(
    "besiegers-1e9",
    "besiegers.strength",
    "less than or equal",
    BASE + "besiegers:\n  strength: 1000000000\n  max_strength: 1000000000\n",
)
case(
    "fighters-1e9",
    "besiegers.offensive.fighters",
    "less than or equal",
    BASE + "besiegers:\n  offensive: {start_day: 10, fighters: 1000000000}\n",
)
case(
    "sorties-1e6",
    "supply_operators[0].sorties_per_aircraft_day",
    "less than or equal to 24",
    BASE + "supply_operators:\n  - name: government helicopters\n"
    "    sorties_per_aircraft_day: 1000000\n",
)
case(
    "aircraft-1e6",
    "supply_operators[0].aircraft",
    "less than or equal to 1000",
    BASE + "supply_operators:\n  - name: government helicopters\n    aircraft: 1000000\n",
)
case(
    "strikes-1e12",
    "airstrikes.strikes_per_day",
    "less than or equal to 1000",
    BASE + "airstrikes:\n  strikes_per_day: 1.0e12\n",
)
case(
    "clash-rate-1001",
    "besiegers.clash_rate_per_day",
    "less than or equal to 1000",
    BASE + "besiegers:\n  clash_rate_per_day: 1001\n",
)
case(
    "attack-rate-1e6",
    "besiegers.attack_rate_per_day",
    "less than or equal",
    BASE + "besiegers:\n  attack_rate_per_day: 1.0e6\n",
)
case(
    "sabotage-rate-1e9",
    "links[0].sabotage_rate_per_day",
    "less than or equal",
    BASE + "links:\n  - name: Kirkuk crude pipeline\n    sabotage_rate_per_day: 1.0e9\n",
)
case(
    "decisiveness-1e308",
    "engagement.decisiveness",
    "less than or equal to 20",
    BASE + "engagement:\n  decisiveness: 1.0e308\n",
)
case(
    "advantage-1e300",
    "engagement.defender_advantage",
    "less than or equal",
    BASE + "engagement:\n  defender_advantage: 1.0e300\n",
)
case(
    "days-1e300",
    "garrison.supplies_days",
    "less than or equal",
    BASE + "garrison:\n  supplies_days: 1.0e300\n",
)
case(
    "float-too-big-for-float",
    "garrison.supplies_days",
    "",
    BASE + "garrison:\n  supplies_days: " + "9" * 400 + "\n",
)
case(
    "cv-1e6",
    "ground_campaign.duration_cv",
    "less than or equal to 10",
    BASE + "ground_campaign:\n  duration_cv: 1.0e6\n",
)
case(
    "mean-days-tiny",
    "ground_campaign.mean_days_per_area",
    "greater than or equal to 0.01",
    BASE + "ground_campaign:\n  mean_days_per_area: 1.0e-300\n",
)
case("horizon-zero", "horizon_days", "greater than or equal to 1", BASE + "horizon_days: 0\n")
case(
    "horizon-1e9", "horizon_days", "less than or equal to 3650", BASE + "horizon_days: 1000000000\n"
)
case("start-date-9999", "start_date", "2200-12-31", BASE + "start_date: 9999-12-31\n")
case("start-date-year-1", "start_date", "1900-01-01", BASE + "start_date: 0001-01-01\n")
case(
    "idle-since-1066",
    "refinery.idle_since",
    "1900-01-01",
    BASE + "refinery:\n  idle_since: 1066-10-14\n",
)
case("impossible-date", "start_date", "date", BASE + "start_date: 2014-13-45\n")
case(
    "event-budget",
    "airstrikes.strikes_per_day",
    "random arrivals",
    BASE + "horizon_days: 3650\nairstrikes:\n  strikes_per_day: 1000\n",
)
case(
    "event-budget-operators",
    "supply_operators[0]",
    "random arrivals",
    BASE + "horizon_days: 3650\nsupply_operators:\n  - name: government helicopters\n"
    "    aircraft: 1000\n    sorties_per_aircraft_day: 24\n",
)
case(
    "band-memory",
    "garrison.troops",
    "head counts",
    BASE + "horizon_days: 3650\ngarrison:\n  troops: 1000000\n",
)
case(
    "band-memory-besiegers",
    "besiegers.max_strength",
    "head counts",
    BASE + "horizon_days: 1000\nbesiegers:\n  max_strength: 1000000\n",
)
# --- names ----------------------------------------------------------------------------
case("name-300-characters", "name", "at most 200 characters", BASE + "name: " + "n" * 300 + "\n")
case("name-300-bytes", "name", "200 bytes", BASE + "name: " + "é" * 150 + "\n")
case("name-newline", "name", "U+000A", BASE + 'name: "two\\nlines"\n')
case("name-nul", "name", "U+0000", BASE + 'name: "a\\0b"\n')
case("name-bidi-override", "name", "U+202E", BASE + 'name: "abc\\u202Edef"\n')
case(
    "name-right-to-left-mark",
    "areas[",
    "U+200F",
    BASE + 'areas:\n  - {name: "core\\u200F", kind: sector, holder: government}\n',
)
case(
    "area-name-101",
    "areas",
    "at most 100 characters",
    BASE + "areas:\n  - {name: " + "a" * 101 + ", kind: village, holder: government}\n",
)
case(
    "link-name-long",
    "links",
    "at most 100 characters",
    BASE
    + "links:\n  - {name: "
    + "l" * 500
    + ", kind: truck_road, source: refinery, destination: Baghdad}\n",
)
case(
    "operator-name-long",
    "supply_operators",
    "at most 100 characters",
    BASE + "supply_operators:\n  - {name: " + "o" * 101 + ", kind: airdrop}\n",
)
case(
    "unit-name-long",
    "refinery.units",
    "at most 100 characters",
    BASE + "refinery:\n  units:\n    - {name: " + "u" * 101 + ", nameplate_kbbl_day: 10}\n",
)
case(
    "route-ref-long",
    "ground_campaign.route[0]",
    "at most 100 characters",
    BASE + "ground_campaign:\n  route: [" + "r" * 5000 + "]\n",
)
case(
    "description-long",
    "description",
    "at most 20000 characters",
    BASE + "description: " + "d " * 15000 + "\n",
)
case(
    "areas-2000",
    "areas",
    "at most 1000 items",
    BASE
    + "areas:\n"
    + "".join(f"  - {{name: v{i}, kind: village, holder: government}}\n" for i in range(2000)),
)
case("units-empty", "refinery.units", "at least 1 item", BASE + "refinery:\n  units: []\n")
# Misspelled names and values: a "did you mean" (issue 15).
case("typo-operator-name", "supply_operators[1].name", "did you mean 'government helicopters'?",
     BASE + "supply_operators:\n  - {name: government helicopter, aircraft: 6}\n")
case("typo-area-name", "areas[15].name", "did you mean 'Mazraa'?",
     BASE + "areas:\n  - {name: Mazra, holder: government}\n")
case("typo-holder", "areas[5].holder", "did you mean 'government'?",
     BASE + "areas:\n  - {name: Mazraa, holder: govrnment}\n")
case("typo-per-side-key", "refinery.restart_days.govrnment", "did you mean 'government'?",
     BASE + "refinery:\n  restart_days: {govrnment: 30}\n")
case("typo-instead-of-required-key", "besiegers.offensive.strat_day",
     "unknown key; did you mean 'start_day'? Allowed here",
     BASE + "besiegers:\n  offensive: {strat_day: 100, fighters: 200}\n")
case("typo-inside-plant", "airstrikes.inside_plant", "did you mean 'always'?",
     BASE + "airstrikes: {inside_plant: alway}\n")
case("typo-route-area", "ground_campaign.route[0]", "did you mean 'Mazraa'?",
     BASE + "ground_campaign: {route: [Mazra]}\n")
case("extends-missing-names-the-path", "extends",
     "tests/bad_inputs/baseline.yaml (a path relative to the folder", "extends: baseline.yaml\n")

for old in D.glob("*.yaml"):
    old.unlink()
for name, data in cases.items():
    (D / f"{name}.yaml").write_bytes(data)
# Parents (not cases themselves).
P = D / "parents"
(P / "latin1.yaml").write_bytes(b"name: caf\xe9\n")
(P / "binary.yaml").write_bytes(
    b"\xfe" + bytes(random.Random(3).randrange(256) for _ in range(500))
)
(P / "cycle.yaml").write_text("extends: ../extends-cycle.yaml\n")
(P / "broken.yaml").write_text("name: x\ngarrison: [1, 2\n")
(P / "bomb.yaml").write_text("\n".join(bomb) + "\n")
(P / "README.md").write_text(
    "Parents that the cases in `tests/bad_inputs/` extend; not cases themselves.\n"
)
print(len(cases), "cases")
