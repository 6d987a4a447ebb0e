"""Property suite (Hypothesis): malformed arguments, documents and files for every ``mimo`` command.

For every command, Hypothesis draws argument lists that mix good values, values that are bad by
construction (other digits, NaN, 64-bit overflow, broken URLs, lone surrogates, control characters,
over-long text) and arbitrary text, plus the files the command reads (JSON and TOML documents,
kubeconfigs, token, secret and CA files: invalid UTF-8, deep nesting, NaN, huge numbers, duplicate
keys, truncation, random bytes, devices and directories). Each example runs the console script in
process (``mimo.cli.main``) on a fresh copy of a seeded store (or on no store at all) and asserts:

* no traceback: nothing escapes ``main`` but its exit;
* the exit code is 0, or 2 with exactly one ``mimo: error: …`` line on stderr (the workers may also
  exit 1 when a task run fails); a case with a value bad by construction must exit 2;
* a refused command leaves the store byte-identical (or still absent), and a command that only
  reads never changes or creates one;
* the secret written into secret files never shows in the output.

The seed is printed in pytest's header (``mimo fuzz seed: N``; replay with ``MIMO_FUZZ_SEED=N``),
the inputs tried per command in its summary. ``MIMO_FUZZ_EXAMPLES`` sets examples per command
(default 150 in CI); ``bench/fuzz_cli.py`` runs a longer campaign and prints a table.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, note, seed, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from .console import (
    CLUSTER_ID,
    MANIFEST_ID,
    NOOP_ID,
    PLUGIN_DIR,
    RID,
    SCHEDULE_ID,
    SUB,
    run_mimo,
    seed_store,
    store_bytes,
)
from .material import ca_pem, kubeconfig_text

SEED = int(os.environ.get("MIMO_FUZZ_SEED", "0"))
EXAMPLES = int(os.environ.get("MIMO_FUZZ_EXAMPLES", "150"))
SECRET = "sp-HUNTER2-fuzz"
DIR = "\0DIR\0"  # stands for the example's directory in arguments (a NUL never survives the CLI)

# -- values --------------------------------------------------------------------------------------

surrogates = st.text(st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF), min_size=1, max_size=3).map(
    lambda s: "x" + s)
controls = st.sampled_from(["a\x00b", "\x1b[31mred", "two\nlines", "tab\there", "del\x7f"])
too_long = st.integers(4097, 9000).map(lambda n: "a" * n)
#: text that no option accepts: what Python makes of undecodable argv bytes, control characters, length
BAD_TEXT = st.one_of(surrogates, controls, too_long)
other_digits = st.text(st.characters(categories=["Nd"], max_codepoint=0x1FFFF), min_size=1, max_size=6).filter(
    lambda s: not s.isascii())
anything = st.text(max_size=40)

BAD_INT = st.one_of(
    other_digits, BAD_TEXT,
    st.sampled_from(["", " ", "1.5", "nan", "inf", "0x10", "1e3", "+", "²", "١٢٣", "1_000", "٣"]),
    st.integers(2**63, 10**40).map(str), st.integers(-(10**40), -(2**63) - 1).map(str),
)
BAD_TIME = st.one_of(
    other_digits, BAD_TEXT,
    st.sampled_from(["²", "yesterday", "+", "+-5m", "-5", "2026-13-01T00:00:00Z", "2026-01-01T00:00:00",
                     "2026-01-01", "+99999999999999h", "+8785h", "253402300800", "99999999999999999999",
                     "+1d", "+nan", "+inf", "2026-01-01T25:00:00Z", "10000-01-01T00:00:00Z"]),
    st.integers(253_402_300_800, 10**30).map(str),  # past the end of year 9999
)
GOOD_TIME = st.one_of(st.sampled_from(["now", "+90m", "+1h30m", "2030-01-05T00:00:00Z", "1893456000"]),
                      st.integers(1_900_000_000, 2_000_000_000).map(str))
GOOD_INT = st.integers(-(2**63), 2**63 - 1).map(str)


def bad_seconds(lo: float, hi: float) -> st.SearchStrategy[str]:
    return st.one_of(
        other_digits, BAD_TEXT,
        st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "", "abc", "0x1p3", "١"]),
        st.floats(min_value=hi, exclude_min=True, allow_infinity=False).map(repr),
        st.floats(max_value=lo, exclude_max=True, allow_nan=False, allow_infinity=False).map(repr),
    )


def good_seconds(lo: float, hi: float) -> st.SearchStrategy[str]:
    return st.floats(min_value=lo, max_value=hi).map(repr)


BAD_UUID = st.one_of(BAD_TEXT, anything.filter(lambda s: len(s) != 36), st.uuids().map(lambda u: str(u)[:-1] + "g"))
BAD_RID = st.one_of(BAD_TEXT, anything, st.sampled_from(["demo", "/subscriptions/x/demo", RID + "/extra",
                                                         RID.replace(SUB, "not-a-uuid-at-all-0000000000000000")]))
BAD_URL = st.one_of(
    BAD_TEXT,
    st.sampled_from(["http://", "http://[::1", "http://a b", "http://x:99999", "http://x:0", "ftp://x",
                     "https://user:pw@api:6443", "https://api..demo", "https://-x.demo", "https://x:6443/#f",
                     "https://x:", "https://x:port", "api.demo:6443", "", "https://[zz::1]:6443"]),
    st.integers(2049, 80_000).map(lambda n: "https://" + "a" * n + ".example.com"),
    anything.map(lambda s: "https://a b" + s),
)

# -- files ---------------------------------------------------------------------------------------

CLUSTER_DOC = {"id": "55555555-5555-4555-8555-555555555555", "key": RID.lower(),
               "openShiftCluster": {"id": RID, "location": "eastus",
                                    "properties": {"clusterProfile": {"domain": "demo", "version": "4.15.0"}}}}
SCHEDULE_DOC = {"maintenanceTaskID": NOOP_ID, "schedule": "Mon *-*-* 00:00", "lookForwardCount": 2,
                "scheduleAcross": "1h", "selectors": [{"key": "resourceID", "operator": "eq", "value": RID.lower()}]}
ENV_TOML = 'region = "westeurope"\ndomain_suffix = "westeurope.aroapp.io"\nfeatures = ["A", "B"]\n'
SCENARIO_TOML = ('[fleet]\nclusters = 1\nsubscriptions = 1\n[[schedules]]\ntask = "ACR_TOKEN_CHECKER_ID"\n'
                 'calendar = "*-*-* 06:00"\n[run]\nduration = "1d"\n')

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def _mutate(doc: dict, draw: Callable) -> dict:
    """``doc`` with one field (at any depth) replaced by an arbitrary JSON value, or dropped."""
    doc = json.loads(json.dumps(doc))
    node = doc
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, (dict, list)) and child and draw(st.booleans()):
            node = child
            continue
        if isinstance(node, dict) and draw(st.integers(0, 4)) == 0:
            del node[key]
        else:
            node[key] = draw(json_values)
        break
    return doc


def _corrupt(data: bytes, draw: Callable) -> bytes:
    """``data`` with bytes that are not UTF-8 spliced in, or cut short."""
    at = draw(st.integers(0, len(data)))
    if draw(st.booleans()):
        return data[:at]
    junk = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80\x80", b"\xfe"]))
    return data[:at] + junk + data[at:]


def _deep(open_: str, close: str, draw: Callable) -> str:
    n = draw(st.one_of(st.integers(65, 300), st.sampled_from([1_000, 100_000])))
    return open_ * n + close * n


@st.composite
def bad_json(draw: Callable, base: dict) -> bytes:
    """JSON that no command accepts (by construction)."""
    text = json.dumps(base)
    kind = draw(st.sampled_from(["utf8", "deep", "nan", "huge", "dupe", "truncated", "random", "empty", "bom"]))
    if kind == "utf8":
        return text.encode()[:-1] + b', "\xff": 1}'
    if kind == "deep":
        return (text[:-1] + ', "x": ' + _deep("[", "]", draw) + "}").encode()
    if kind == "nan":
        return (text[:-1] + ', "x": ' + draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999"])) + "}").encode()
    if kind == "huge":
        return (text[:-1] + ', "x": ' + "9" * draw(st.integers(20, 6000)) + "}").encode()
    if kind == "dupe":
        key = draw(st.sampled_from(list(base)))
        return (text[:-1] + f", {json.dumps(key)}: null}}").encode()
    if kind == "truncated":
        return text.encode()[: draw(st.integers(0, len(text) - 1))]
    if kind == "random":
        return draw(st.binary(max_size=200)).replace(b"{", b"").replace(b"[", b"") + b"\xff"
    if kind == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    return b""


@st.composite
def any_json(draw: Callable, base: dict) -> bytes:
    """A document that may be valid or not: mutated, corrupted, arbitrary JSON, or bad by construction."""
    kind = draw(st.sampled_from(["mutated", "corrupted", "arbitrary", "bad"]))
    if kind == "mutated":
        return json.dumps(_mutate(base, draw)).encode()
    if kind == "corrupted":
        return _corrupt(json.dumps(base).encode(), draw)
    if kind == "arbitrary":
        return json.dumps(draw(json_values)).encode()
    return draw(bad_json(base))


@st.composite
def bad_toml(draw: Callable, base: str) -> bytes:
    kind = draw(st.sampled_from(["utf8", "deep", "dotted", "nan", "huge", "syntax", "dupe", "random"]))
    if kind == "utf8":
        return base.encode() + b'x = "\xff"\n'
    if kind == "deep":
        return (base + "deep = " + _deep("[", "]", draw) + "\n").encode()
    if kind == "dotted":
        return (base + ".".join(["a"] * draw(st.integers(65, 3000))) + " = 1\n").encode()
    if kind == "nan":
        return (base + "x = " + draw(st.sampled_from(["nan", "inf", "-inf", "+nan", "1e999"])) + "\n").encode()
    if kind == "huge":
        return (base + "x = " + "9" * draw(st.integers(20, 6000)) + "\n").encode()
    if kind == "syntax":
        return (base + draw(st.sampled_from(["x = [\n", "= 1\n", "[a\n", 'x = "\n', "x = 1 2\n"]))).encode()
    if kind == "dupe":
        return (base + base.splitlines()[0] + "\n").encode()
    return draw(st.binary(max_size=200)) + b"\xff"


@st.composite
def any_toml(draw: Callable, base: str) -> bytes:
    kind = draw(st.sampled_from(["bad", "corrupted", "lines"]))
    if kind == "corrupted":
        return _corrupt(base.encode(), draw)
    if kind == "lines":
        key = draw(st.sampled_from(["region", "acr_domain", "domain_suffix", "features", "cloud", "x"]))
        value = draw(st.one_of(st.text(max_size=20).map(json.dumps), st.integers().map(str),
                               st.sampled_from(["[1, 2]", "{a = 1}", "true", "1979-05-27"])))
        return f"{key} = {value}\n".encode("utf-8", "surrogatepass")
    return draw(bad_toml(base))


@st.composite
def bad_kubeconfig(draw: Callable) -> bytes:
    good = kubeconfig_text()
    kind = draw(st.sampled_from(["utf8", "yaml", "alias", "deep", "type", "refs", "server", "dupe", "empty",
                                 "b64"]))
    if kind == "utf8":
        return good.encode() + b"x: \xff\n"
    if kind == "yaml":
        return draw(st.sampled_from([b"clusters: [\n", b"{{{{", b"a: b: c\n", b"- x\n y: z\n", b"\t- tab\n"]))
    if kind == "alias":
        return (good + "preferences: &p {}\nextensions: *p\n").encode()
    if kind == "deep":
        return (good + "x: " + _deep("[", "]", draw) + "\n").encode()
    if kind == "type":
        field = draw(st.sampled_from(["    insecure-skip-tls-verify: true", "current-context: demo", "kind: Config",
                                      "- name: demo\n  cluster:"]))
        return good.replace(field, field.split(":")[0] + ": [1, 2]", 1).encode()
    if kind == "refs":
        return good.replace(draw(st.sampled_from(["cluster: demo", "user: admin", "current-context: demo"])),
                            "current-context: nowhere" if draw(st.booleans()) else "cluster: gone").encode()
    if kind == "server":
        return kubeconfig_text(draw(st.sampled_from(["http://a b", "http://[::1", "ftp://x", "http://x:99999",
                                                     "", "https://"]))).encode()
    if kind == "dupe":
        return (good + "current-context: demo\n").encode()
    if kind == "b64":
        return good.replace("    insecure-skip-tls-verify: true",
                            "    certificate-authority-data: not*base64!").encode()
    return b""


@st.composite
def any_kubeconfig(draw: Callable) -> bytes:
    if draw(st.booleans()):
        return _corrupt(kubeconfig_text().encode(), draw)
    return draw(bad_kubeconfig())


BAD_SECRET = st.sampled_from([b"", b"   \n", b"two words", b"tok\xff", b"a" * (64 * 1024 + 1), b"tab\tinside"])
BAD_CA = st.one_of(st.sampled_from([b"", b"---", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                                    b"\xff\xfe"]), st.binary(max_size=100))


@dataclass
class Case:
    args: list[str]
    files: dict[str, bytes] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    store: str = "seeded"  # or "absent"
    #: a value bad by construction is in the case: it must be refused
    must_refuse: bool = False


@dataclass
class Opt:
    """An option: how to write a good value, a bad one, and which of them to draw."""

    name: str
    good: st.SearchStrategy[str]
    bad: st.SearchStrategy[str]


NOT_FILES = st.sampled_from(["/dev/zero", DIR, DIR + "/missing.json", DIR + "/sub", ""])


@st.composite
def options(draw: Callable, opts: list[Opt], case: Case) -> list[str]:
    """Some of ``opts``, each with a good, bad or arbitrary value; at least one bad when the case must be refused."""
    chosen = [o for o in opts if draw(st.booleans())]
    bad_one = draw(st.sampled_from(chosen)) if case.must_refuse and chosen else None
    if case.must_refuse and bad_one is None:
        case.must_refuse = False
    args: list[str] = []
    for o in chosen:
        if o is bad_one:
            value = draw(o.bad)
        else:
            value = draw(st.one_of(o.good, o.good, anything) if not case.must_refuse else o.good)
        args += [f"{o.name}={value}"] if draw(st.integers(0, 3)) == 0 else [o.name, value]
    return args


@st.composite
def file_arg(draw: Callable, case: Case, name: str, good: bytes, bad: st.SearchStrategy[bytes],
             anything_: st.SearchStrategy[bytes] | None, *, make_bad: bool) -> str:
    """A path to a file for the command to read: good content, bad content, something else, or no file."""
    if make_bad:
        if draw(st.integers(0, 5)) == 0:
            return draw(NOT_FILES)
        case.files[name] = draw(bad)
    else:
        case.files[name] = draw(anything_) if anything_ is not None and draw(st.booleans()) else good
    return f"{DIR}/{name}"


def _must_refuse(draw: Callable) -> bool:
    return bool(draw(st.integers(0, 2)) > 0)


# -- one strategy per command ----------------------------------------------------------------------

TIME_OPTS = [Opt("--run-after", GOOD_TIME, BAD_TIME), Opt("--run-before", GOOD_TIME, BAD_TIME)]


@st.composite
def clusters_add(draw: Callable) -> Case:
    case = Case([], must_refuse=_must_refuse(draw))
    args = ["clusters", "add"]
    mode = draw(st.sampled_from(["document", "resource-id"]))
    bad_target = case.must_refuse and draw(st.booleans())
    if mode == "document":
        args.append(draw(file_arg(case, "cluster.json", json.dumps(CLUSTER_DOC).encode(), bad_json(CLUSTER_DOC),
                                  any_json(CLUSTER_DOC), make_bad=bad_target)))
    else:
        args += ["--resource-id", draw(BAD_RID) if bad_target else RID.replace("demo", draw(st.sampled_from(
            ["d2", "d3", "Demo"])))]
    access = draw(st.sampled_from(["none", "kubeconfig", "token"]))
    bad_access = case.must_refuse and not bad_target
    if access == "kubeconfig":
        args += ["--kubeconfig", draw(file_arg(case, "kubeconfig", kubeconfig_text().encode(), bad_kubeconfig(),
                                               any_kubeconfig(), make_bad=bad_access))]
    elif access == "token":
        which = draw(st.sampled_from(["url", "token", "ca"])) if bad_access else None
        args += ["--api-url", draw(BAD_URL) if which == "url" else draw(st.sampled_from(
            ["https://api.demo.example.com:6443", "https://10.0.0.1:6443", "https://[fd00::1]:6443"]))]
        args += ["--token-file", draw(file_arg(case, "token", b"tok-" + SECRET.encode() + b"\n", BAD_SECRET, None,
                                               make_bad=which == "token"))]
        if which == "ca" or draw(st.booleans()):
            args += ["--ca-file", draw(file_arg(case, "ca.crt", ca_pem().encode(), BAD_CA, None,
                                                make_bad=which == "ca"))]
    elif bad_access:
        case.must_refuse = bad_target
    if draw(st.booleans()):
        args += ["--azure-credential", "client_secret", "--azure-tenant-id", "33333333-3333-4333-8333-333333333333",
                 "--azure-client-id", "44444444-4444-4444-8444-444444444444", "--azure-client-secret-file",
                 draw(file_arg(case, "secret", SECRET.encode() + b"\n", BAD_SECRET, None, make_bad=False))]
    args += draw(options([Opt("--subscription-state", st.sampled_from(["Registered", "Suspended"]), BAD_TEXT),
                          Opt("--tenant-id", st.just("33333333-3333-4333-8333-333333333333"), BAD_UUID)],
                         Case([], must_refuse=False)))
    case.args = args
    return case


def _simple(words: list[str], opts: list[Opt], positional: tuple[st.SearchStrategy[str], st.SearchStrategy[str]] | None = None,
            store: bool = True) -> Callable[[], st.SearchStrategy[Case]]:
    @st.composite
    def strategy(draw: Callable) -> Case:
        case = Case([], must_refuse=_must_refuse(draw))
        wanted = case.must_refuse
        args = list(words)
        if positional is not None:
            good, bad = positional
            bad_pos = case.must_refuse and draw(st.booleans())
            args.append(draw(bad) if bad_pos else draw(st.one_of(good, anything)) if not case.must_refuse else draw(good))
            if bad_pos:
                args += draw(options(opts, Case([], must_refuse=False)))
                case.args, case.store = args, draw(st.sampled_from(["seeded", "absent"]))
                return case
        args += draw(options(opts, case))
        if draw(st.booleans()):
            args.append("--json")
        if wanted and not case.must_refuse and positional is None:  # nothing bad drawn: spoil the arity
            case.must_refuse = True
            args.append(draw(anything.filter(lambda v: v not in ("--help", "-h", "--json"))))
        case.args = args
        case.store = draw(st.sampled_from(["seeded", "seeded", "absent"])) if store else "seeded"
        return case

    return strategy


RID_POS = (st.sampled_from([RID, RID.lower(), RID.replace("demo", "other")]), BAD_RID)
UUID_POS = (st.sampled_from([MANIFEST_ID, SCHEDULE_ID, CLUSTER_ID, NOOP_ID]), BAD_UUID)
RID_OPT = Opt("--cluster", st.sampled_from([RID, RID.lower()]), BAD_RID)


@st.composite
def manifests_create(draw: Callable) -> Case:
    case = Case([], must_refuse=_must_refuse(draw))
    opts = [RID_OPT, Opt("--task", st.sampled_from([NOOP_ID, "TLS_CERT_ROTATION_ID"]), BAD_UUID),
            Opt("--priority", GOOD_INT, BAD_INT), *TIME_OPTS, Opt("--id", st.uuids().map(str), BAD_UUID)]
    args = ["manifests", "create", *draw(options(opts, case))]
    if "--cluster" not in " ".join(args) or "--task" not in " ".join(args):
        case.must_refuse = True  # both are required
    case.args = args
    case.store = draw(st.sampled_from(["seeded", "seeded", "absent"]))
    return case


@st.composite
def schedules_put(draw: Callable) -> Case:
    case = Case([], must_refuse=_must_refuse(draw))
    if case.must_refuse and draw(st.integers(0, 3)) == 0:
        doc = dict(SCHEDULE_DOC)
        field_, value = draw(st.sampled_from([
            ("lookForwardCount", 10**12), ("lookForwardCount", 0), ("lookForwardCount", 101), ("lookForwardCount", True),
            ("scheduleAcross", "99999999999999h"), ("scheduleAcross", "745h"), ("scheduleAcross", "١h"),
            ("scheduleAcross", "-1h"), ("maintenanceTaskID", "not-a-uuid"), ("schedule", ""), ("selectors", {}),
            ("state", "Paused"), ("id", "x")]))
        doc[field_] = value
        case.files["schedule.json"] = json.dumps(doc).encode()
        path = f"{DIR}/schedule.json"
    else:
        path = draw(file_arg(case, "schedule.json", json.dumps(SCHEDULE_DOC).encode(), bad_json(SCHEDULE_DOC),
                             any_json(SCHEDULE_DOC), make_bad=case.must_refuse))
    case.args = ["schedules", "put", path] + (["--json"] if draw(st.booleans()) else [])
    return case


@st.composite
def env_cmd(draw: Callable) -> Case:
    case = Case([], must_refuse=_must_refuse(draw))
    where = draw(st.sampled_from(["argument", "--env", "variables"]))
    if where == "variables":
        name = draw(st.sampled_from(["MIMO_REGION", "MIMO_ACR_DOMAIN", "MIMO_DOMAIN_SUFFIX", "MIMO_FEATURES",
                                     "MIMO_CLOUD", "MIMO_CLUSTER_KEYVAULT_URI", "MIMO_ACR_RESOURCE_ID"]))
        env_text = anything.filter(lambda v: "\x00" not in v)  # an environment value cannot hold a NUL
        case.env[name] = draw(st.one_of(surrogates, controls.filter(lambda v: "\x00" not in v), too_long)
                              if case.must_refuse else env_text)
        case.args = ["env"]
    else:
        path = draw(file_arg(case, "env.toml", ENV_TOML.encode(), bad_toml(ENV_TOML), any_toml(ENV_TOML),
                             make_bad=case.must_refuse))
        command = draw(st.sampled_from([["env"], ["selectors", RID], ["scheduler", "--once"]]))
        case.args = ["env", path] if where == "argument" else ["--env", path, *command]
    return case


@st.composite
def workers(draw: Callable) -> Case:
    case = Case([], must_refuse=_must_refuse(draw))
    which = draw(st.sampled_from(["actuator", "scheduler"]))
    opts = [Opt("--poll-interval", good_seconds(0.01, 86400), bad_seconds(0.01, 86400)),
            Opt("--log-level", st.sampled_from(["ERROR", "warning"]), st.one_of(BAD_TEXT, st.just("LOUD")))]
    if which == "actuator":
        opts += [Opt("--lease-seconds", good_seconds(1, 86400), bad_seconds(1, 86400)),
                 Opt("--workers", st.integers(1, 256).map(str), st.one_of(BAD_INT, st.sampled_from(["0", "257", "-1"]))),
                 Opt("--owner", st.sampled_from(["host-a", "worker:1"]), st.one_of(BAD_TEXT, st.just("")))]
    case.args = [which, "--once", "--log-level", "ERROR", *draw(options(opts, case))]
    return case


@st.composite
def simulate_cmd(draw: Callable) -> Case:
    case = Case([], must_refuse=True)
    kind = draw(st.sampled_from(["file", "seed", "shards"]))
    path = draw(file_arg(case, "scenario.toml", SCENARIO_TOML.encode(), bad_toml(SCENARIO_TOML), None,
                         make_bad=True))
    args = ["simulate", path]
    if kind == "seed":
        args += ["--seed", draw(BAD_INT)]
    elif kind == "shards":
        args += ["--shards", draw(st.one_of(BAD_INT, st.just("0")))]
    case.args = args
    return case


@st.composite
def global_options(draw: Callable) -> Case:
    """The group's own options and arguments that are not text at all, before any command."""
    case = Case([], must_refuse=True)
    bad = draw(BAD_TEXT)
    where = draw(st.sampled_from(["store", "env", "command", "extra"]))
    if where == "store":
        case.args = ["--store", bad, "clusters", "list"]
    elif where == "env":
        case.args = ["--env", bad, "env"]
    elif where == "command":
        case.args = [bad]
    else:
        case.args = ["manifests", "list", bad]
    return case


#: every command: its strategy, and whether it only reads (then it never changes or creates a store)
COMMANDS: dict[str, tuple[Callable[[], st.SearchStrategy[Case]], bool]] = {
    "clusters add": (clusters_add, False),
    "clusters list": (_simple(["clusters", "list"], []), True),
    "clusters show": (_simple(["clusters", "show"], [], RID_POS), True),
    "selectors": (_simple(["selectors"], [], RID_POS), True),
    "manifests create": (manifests_create, False),
    "manifests list": (_simple(["manifests", "list"], [
        Opt("--cluster", st.sampled_from([RID, RID.lower()]), BAD_RID),
        Opt("--schedule", st.just(SCHEDULE_ID), BAD_UUID),
        Opt("--state", st.sampled_from(["Pending", "Completed"]), st.one_of(BAD_TEXT, st.just("pending")))]), True),
    "manifests show": (_simple(["manifests", "show"], [], UUID_POS), True),
    "manifests cancel": (_simple(["manifests", "cancel"], [], UUID_POS), False),
    "manifests cancel --schedule": (_simple(["manifests", "cancel"], [Opt("--schedule", st.just(SCHEDULE_ID), BAD_UUID)]),
                                    False),
    "manifests delete": (_simple(["manifests", "delete"], [], UUID_POS), False),
    "schedules put": (schedules_put, False),
    "schedules list": (_simple(["schedules", "list"], []), True),
    "schedules show": (_simple(["schedules", "show"], [], UUID_POS), True),
    "tasks": (_simple(["tasks"], [], store=False), True),
    "env": (env_cmd, False),
    "actuator/scheduler": (workers, False),
    "simulate": (simulate_cmd, True),
    "global options": (global_options, True),
}

# -- running one case ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _seeded_store() -> dict[str, bytes]:
    d = Path(tempfile.mkdtemp(prefix="mimo-fuzz-seed-"))
    try:
        seed_store(d / "mimo.db")
        return store_bytes(d / "mimo.db")
    finally:
        shutil.rmtree(d)


def _sub(value: str, d: Path) -> str:
    return value.replace(DIR, str(d))


def check_case(case: Case, base: Path, read_only: bool) -> str:
    """Run one case in a fresh directory under ``base``; assert the promises; ``refused`` or ``accepted``."""
    d = Path(tempfile.mkdtemp(dir=base))
    try:
        (d / "sub").mkdir()
        db = d / "mimo.db"
        if case.store == "seeded":
            for name, data in _seeded_store().items():
                (d / name).write_bytes(data)
        for name, data in case.files.items():
            (d / name).write_bytes(data)
        before = store_bytes(db)
        args = ["--store", str(db), *[_sub(a, d) for a in case.args]]
        if currently_in_test_context():
            note(f"MIMO_FUZZ_SEED={SEED} args={[a[:200] for a in args]!r} files={ {k: v[:200] for k, v in case.files.items()} !r}")
        env = {"MIMO_PLUGINS": "mimo_test_tasks", "MIMO_TEST_DIR": str(d), "MIMO_STORE": None, **case.env}
        out = run_mimo(args, env=env)
        assert out.crash is None, f"traceback (MIMO_FUZZ_SEED={SEED}):\n{out.crash}"
        assert "Traceback" not in out.stdout + out.stderr, out.stdout + out.stderr
        assert SECRET not in out.stdout + out.stderr, "a secret reached the output"
        worker = case.args[:1] in (["actuator"], ["scheduler"]) or "scheduler" in case.args
        allowed = {0, 1, 2} if worker else {0, 2}
        assert out.code in allowed, (out.code, out.stdout[-500:], out.stderr[-500:])
        if out.code == 2:
            line = out.refused()
            assert len(line) < 20_000, "a refusal line should stay readable"
            assert store_bytes(db) == before, f"store changed by a refused command (MIMO_FUZZ_SEED={SEED})"
        if read_only:
            assert store_bytes(db) == before, f"a read-only command changed the store (MIMO_FUZZ_SEED={SEED})"
        if case.must_refuse:
            assert out.code == 2, f"accepted a bad value: exit {out.code}, {out.stdout[-300:]!r} {out.stderr[-300:]!r}"
        return "refused" if out.code == 2 else "accepted"
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def fuzz_env(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("command", list(COMMANDS))
def test_malformed_input_never_reaches_a_traceback_or_the_store(command, fuzz_env, record_property):
    strategy, read_only = COMMANDS[command]
    counts = {"refused": 0, "accepted": 0}

    @seed(SEED)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=False,
              suppress_health_check=list(HealthCheck))
    @given(strategy())
    def prop(case: Case) -> None:
        counts[check_case(case, fuzz_env, read_only)] += 1

    prop()
    tried = counts["refused"] + counts["accepted"]
    record_property("mimo_fuzz", f"{command}: {tried} inputs tried ({counts['refused']} refused, "
                                 f"{counts['accepted']} accepted), seed {SEED}")
    assert counts["refused"] > 0, "the strategy never produced a refused input"
