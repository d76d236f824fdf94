#!/usr/bin/env python3
"""Checks the playbook JSON Schemas against the shipped examples and known-bad documents.

Usage: validate_examples.py REPO_ROOT [--rapportctl PATH]

- config/schema/playbook.schema.json and playbook-test.schema.json must be valid draft 2020-12
  schemas;
- every playbook (*.yaml) and playbook test file (*.test.yaml) under config/playbooks/ must
  validate;
- a set of documents the loader rejects must be rejected by the schemas, and a set of unusual
  but accepted forms must be accepted;
- with --rapportctl, those same documents are also run through `rapportctl check` / `rapportctl
  test`, so the schemas and the real loader cannot drift apart unnoticed.

YAML is read the way yaml-cpp and editors (YAML 1.2) read it: `yes`/`no`/`on`/`off` and
unquoted timestamps stay text, and a repeated key is an error.

Exits 0 when everything holds, 1 with one line per problem otherwise, 2 on usage errors.
Needs the jsonschema (4.x) and PyYAML modules (Debian: python3-jsonschema, python3-yaml).
"""

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    import jsonschema
    import yaml
except ImportError as e:  # pragma: no cover - environment problem, not a test failure
    print(f"validate_examples: missing Python module: {e.name} "
          "(install python3-jsonschema and python3-yaml)", file=sys.stderr)
    sys.exit(2)


# ---- YAML 1.2 core schema, duplicate keys rejected ----------------------------------------

class Yaml12Loader(yaml.SafeLoader):
    """PyYAML's SafeLoader with YAML 1.2 core scalars (as yaml-cpp and editors read them)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first given on line {seen[key]})",
                    key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


_DROPPED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
            "tag:yaml.org,2002:timestamp"}
Yaml12Loader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"))
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


def _construct_int(loader, node):
    text = loader.construct_scalar(node)
    if text.startswith(("0o", "0x")):
        return int(text, 0)
    return int(text, 10)


def _construct_float(loader, node):
    text = loader.construct_scalar(node).lower()
    if text.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text == ".nan":
        return float("nan")
    return float(text)


def _construct_bool(loader, node):
    return loader.construct_scalar(node).lower() == "true"


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
Yaml12Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)


def load_yaml(text):
    return yaml.load(text, Loader=Yaml12Loader)


# ---- Documents ----------------------------------------------------------------------------

# Playbooks the loader rejects, each for a reason the schema can see. A codes file named
# codes/one.txt exists next to them when they are checked with rapportctl.
BAD_PLAYBOOKS = {
    "unknown top-level key": "playbook: p\nrule: []\n",
    "missing playbook name": "rules: []\n",
    "playbook name with a space": "playbook: acme core\n",
    "brand with an unknown key": "playbook: p\nbrand: {name: Acme, tone: warm}\n",
    "lexicon written as one string": "playbook: p\nlexicons: {neg: broken}\n",
    "empty lexicon": "playbook: p\nlexicons: {neg: []}\n",
    "lexicon name with a space": "playbook: p\nlexicons: {'bad name': [x]}\n",
    "negative per_day": "playbook: p\noffers: {peek: {per_day: -1}}\n",
    "cooldown with a word unit": "playbook: p\noffers: {peek: {cooldown: 90 days}}\n",
    "offer pool with an unknown key": "playbook: p\noffers: {peek: {code_file: codes/one.txt}}\n",
    "sentiment score out of range": "playbook: p\nsentiment: {great: 9}\n",
    "insight without a schedule": "playbook: p\ninsights: [{id: q, question: 'Why?'}]\n",
    "schedule with at and cron":
        "playbook: p\ninsights:\n  - {id: q, question: 'Why?', schedule: {at: '2026-12-01T15:00:00Z',"
        " cron: '0 15 * * 1'}}\n",
    "schedule with at and tz":
        "playbook: p\ninsights:\n  - {id: q, question: 'Why?', schedule: {at: '2026-12-01T15:00:00Z',"
        " tz: UTC}}\n",
    "schedule at without an offset":
        "playbook: p\ninsights:\n  - {id: q, question: 'Why?', schedule: {at: '2026-12-01 15:00'}}\n",
    "cron with six fields":
        "playbook: p\ninsights:\n  - {id: q, question: 'Why?', schedule: {cron: '0 15 * * 1 2'}}\n",
    "rules as a mapping": "playbook: p\nrules: {}\n",
    "rule without an id": "playbook: p\nrules: [{when: {query: hi}}]\n",
    "unknown key in when": "playbook: p\nrules: [{id: r, when: {querry: hi}}]\n",
    "unknown kind": "playbook: p\nrules: [{id: r, when: {kind: [mention, dm]}}]\n",
    "empty sentiment condition": "playbook: p\nrules: [{id: r, when: {sentiment: {}}}]\n",
    "empty followers condition":
        "playbook: p\nrules: [{id: r, when: {author: {followers: {}}}}]\n",
    "person count without bounds":
        "playbook: p\nrules: [{id: r, when: {person: {messages: {within: 30d}}}}]\n",
    "person.tagged without a tag":
        "playbook: p\nrules: [{id: r, when: {person: {tagged: {at_least: 1}}}}]\n",
    "person.messages with a pool":
        "playbook: p\nrules: [{id: r, when: {person: {messages: {at_least: 1, pool: x}}}}]\n",
    "within with a word unit":
        "playbook: p\nrules: [{id: r, when: {person: {messages: {at_least: 1, within: a month}}}}]\n",
    "empty kind list": "playbook: p\nrules: [{id: r, when: {kind: []}}]\n",
    "bad days": "playbook: p\nrules: [{id: r, when: {hours: {days: mon-fry}}}]\n",
    "day name that only starts like one": "playbook: p\nrules: [{id: r, when: {hours: {days: monkey}}}]\n",
    "abbreviation that is not three letters": "playbook: p\nrules: [{id: r, when: {hours: {days: tues}}}]\n",
    "space before the dash of a day range":
        "playbook: p\nrules: [{id: r, when: {hours: {days: 'mon -fri'}}}]\n",
    "empty days list": "playbook: p\nrules: [{id: r, when: {hours: {days: []}}}]\n",
    "between without a leading zero":
        "playbook: p\nrules: [{id: r, when: {hours: {between: '9:00-17:00'}}}]\n",
    "between past 24:00": "playbook: p\nrules: [{id: r, when: {hours: {between: '22:00-24:30'}}}]\n",
    "unknown key in then": "playbook: p\nrules: [{id: r, then: {tagz: [x]}}]\n",
    "tag without a value": "playbook: p\nrules: [{id: r, then: {tag: }}]\n",
    "bad priority": "playbook: p\nrules: [{id: r, then: {priority: hgh}}]\n",
    "sla with a word unit": "playbook: p\nrules: [{id: r, then: {sla: 1 hour}}]\n",
    "sla with two units": "playbook: p\nrules: [{id: r, then: {sla: 1h30m}}]\n",
    "reply object without text": "playbook: p\nrules: [{id: r, then: {reply: {private: true}}}]\n",
    "reply with an unknown key":
        "playbook: p\nrules: [{id: r, then: {reply: {text: hi, public: true}}}]\n",
    "offer without a pool":
        "playbook: p\noffers: {peek: {}}\nrules: [{id: r, then: {offer: {text: hi}}}]\n",
    "offer without a text":
        "playbook: p\noffers: {peek: {}}\nrules: [{id: r, then: {offer: {pool: peek}}}]\n",
    "stop that is not a boolean": "playbook: p\nrules: [{id: r, then: {stop: maybe}}]\n",
    "duplicate key": "playbook: p\nplaybook: q\n",
}

# Unusual forms the loader accepts; the schema must accept them too.
GOOD_PLAYBOOKS = {
    "scalars where lists are allowed":
        "playbook: p\naccounts: acme-site\nrules:\n"
        "  - {id: r, when: {kind: direct, platform: x, lang: en, account: acme-site},"
        " then: {tag: t}}\n",
    "yes/no booleans and a reply object":
        "playbook: p\nrules:\n  - {id: r, then: {reply: {text: 'Hi {{author.first_name}}',"
        " private: yes}, stop: no}}\n",
    "rule without when or then": "playbook: p\nrules: [{id: bare}]\n",
    "numbers read as text":
        "playbook: 2024\nlexicons: {years: [2024, 2025]}\nrules: [{id: 1, then: {tag: [2024]}}]\n",
    "hours forms":
        "playbook: p\nrules:\n"
        "  - {id: a, when: {hours: {days: 'sat,sun', between: '22:00-06:00', tz: Europe/London}}}\n"
        "  - {id: b, when: {hours: {days: [Monday, fri-mon, SAT-sunday, ' tue , thursday'],"
        " between: '00:00-24:00'}}}\n"
        "  - {id: c, when: {hours: {}}}\n",
    "every condition and action":
        "playbook: p\nbrand: {name: Acme, voice: warm}\n"
        "lexicons: {neg: [broken, 'never again', refund*, '#fail', '@acme']}\n"
        "offers:\n  peek: {codes_file: codes/one.txt, per_day: 0, cooldown: 90d}\n"
        "  free: {}\n"
        "sentiment: {flat: -2, sick: 0}\n"
        "insights:\n"
        "  - {id: q1, question: 'Why?', accounts: [a], schedule: {cron: '0 15 * * mon', tz: UTC},"
        " thank: 'Thanks {{author.name}}: {{insight.question}}'}\n"
        "  - {id: q2, question: 'How?', schedule: {at: '2026-12-01T15:00:00+01:00'}}\n"
        "rules:\n"
        "  - id: all\n"
        "    when:\n"
        "      query: '$neg AND NOT (jk OR \"just kidding\") OR (want NEAR/3 acme)'\n"
        "      kind: [mention, direct, reply, comment, post]\n"
        "      sentiment: {below: 0, above: -100}\n"
        "      author: {followers: {at_least: 0, at_most: 100}, handle: ['@sam', lee]}\n"
        "      person:\n"
        "        messages: {within: 30d, at_least: 1}\n"
        "        tagged: {tag: advocate, at_most: 3}\n"
        "        offers: {pool: peek, within: 365d, at_most: 0}\n"
        "      hours: {days: mon-fri, between: '09:00-17:00'}\n"
        "      answers: q1\n"
        "    then:\n"
        "      tag: [a, b]\n"
        "      team: support\n"
        "      priority: urgent\n"
        "      sla: 45s\n"
        "      reply: 'Sorry {{author.handle}} about {{message.text}} from {{brand.name}}'\n"
        "      offer: {pool: peek, private: false, text: 'Code: {{offer.code}}'}\n"
        "      collect: q1\n"
        "      stop: true\n"
        "  - {id: other, then: {offer: {pool: free, text: 'A sneak peek, no code'}}}\n",
}

PLAYBOOK_FOR_TESTS = (
    "playbook: p\n"
    "offers: {peek: {}}\n"
    "rules:\n"
    "  - {id: r, when: {query: hi}, then: {tag: t, reply: {text: 'Hi {{author.name}}',"
    " private: yes}}}\n"
)

BAD_TESTS = {
    "missing playbooks": "tests: []\n",
    "unknown top-level key": "playbooks: p.yaml\ntest: []\n",
    "test without expect": "playbooks: p.yaml\ntests: [{name: a, message: {text: hi}}]\n",
    "test without a message": "playbooks: p.yaml\ntests: [{name: a, expect: {}}]\n",
    "message without text":
        "playbooks: p.yaml\ntests: [{name: a, message: {id: m1}, expect: {}}]\n",
    "unknown key in a message":
        "playbooks: p.yaml\ntests: [{name: a, message: {text: hi, txt: x}, expect: {}}]\n",
    "unknown message kind":
        "playbooks: p.yaml\ntests: [{name: a, message: {text: hi, kind: dm}, expect: {}}]\n",
    "followers as text":
        "playbooks: p.yaml\ntests: [{name: a, message: {text: hi, author: {followers: lots}},"
        " expect: {}}]\n",
    "now that is not a time":
        "playbooks: p.yaml\ntests: [{name: a, message: {text: hi}, now: tomorrow, expect: {}}]\n",
    "history entry without ago":
        "playbooks: p.yaml\ntests: [{name: a, message: {text: hi}, history: [{tags: [x]}],"
        " expect: {}}]\n",
    "history entry with tags and offer":
        "playbooks: p.yaml\ntests: [{name: a, message: {text: hi},"
        " history: [{ago: 1d, tags: [x], offer: peek}], expect: {}}]\n",
    "history count 0":
        "playbooks: p.yaml\ntests: [{name: a, message: {text: hi}, history: [{ago: 1d, count: 0}],"
        " expect: {}}]\n",
    "unknown key in expect":
        "playbooks: p.yaml\ntests: [{name: a, message: {text: hi}, expect: {tag: [t]}}]\n",
    "drafts as a mapping":
        "playbooks: p.yaml\ntests: [{name: a, message: {text: hi}, expect: {drafts: {}}}]\n",
    "unknown key in a draft":
        "playbooks: p.yaml\ntests: [{name: a, message: {text: hi},"
        " expect: {drafts: [{privat: true}]}}]\n",
    "unknown draft kind":
        "playbooks: p.yaml\ntests: [{name: a, message: {text: hi},"
        " expect: {drafts: [{kind: answer}]}}]\n",
    "skipped with an unknown reason":
        "playbooks: p.yaml\ntests: [{name: a, message: {text: hi},"
        " expect: {skipped: [{rule: r, reason: expired}]}}]\n",
    "sentiment with an unknown key":
        "playbooks: p.yaml\ntests: [{name: a, message: {text: hi},"
        " expect: {sentiment: {around: 1}}}]\n",
    "sla with two units":
        "playbooks: p.yaml\ntests: [{name: a, message: {text: hi}, expect: {sla: 1h30m}}]\n",
}

GOOD_TESTS = {
    "every expectation":
        "playbooks: p.yaml\n"
        "tests:\n"
        "  - name: a greeting\n"
        "    message: {id: m1, kind: direct, text: hi there, author: {id: 7, handle: sam,"
        " name: Sam Lee, followers: 12}, thread_id: t1, in_reply_to: m0, lang: en,"
        " platform: x, account: acme-site, created_at: '2026-11-22T10:00:00Z'}\n"
        "    now: '2026-11-23T10:00:00Z'\n"
        "    history: [{ago: 1d}, {ago: 2d, tags: t, count: 2}, {ago: 40d, offer: peek}]\n"
        "    expect:\n"
        "      tags: t\n"
        "      matched: r\n"
        "      collect: []\n"
        "      skipped: []\n"
        "      sentiment: {above: -100, below: 100}\n"
        "      drafts: [{rule: p/r, kind: reply, text: Hi Sam Lee, text_contains: Sam,"
        " private: yes, too_long: no, priority: normal}]\n"
        "  - {name: nothing, message: {text: bye}, expect: {tags: [], drafts: [], sentiment: 0}}\n",
}


# ---- Checking -----------------------------------------------------------------------------

class Checker:
    def __init__(self, root, rapportctl):
        self.root = root
        self.rapportctl = rapportctl
        self.passed = 0
        self.failures = []
        schema_dir = root / "config" / "schema"
        self.playbook_validator = self._validator(schema_dir / "playbook.schema.json")
        self.test_validator = self._validator(schema_dir / "playbook-test.schema.json")

    def _validator(self, path):
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            self.fail(f"{path}: cannot read the schema: {e}")
            return None
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as e:
            self.fail(f"{path}: not a valid draft 2020-12 schema: {e.message}")
            return None
        self.passed += 1
        return jsonschema.Draft202012Validator(schema)

    def fail(self, message):
        self.failures.append(message)

    @staticmethod
    def _errors(validator, document):
        def where(error):
            return "/" + "/".join(str(p) for p in error.absolute_path)
        return [f"at {where(e)}: {e.message}"
                for e in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path)))]

    def expect_valid(self, label, validator, text):
        if validator is None:
            return
        try:
            document = load_yaml(text)
        except yaml.YAMLError as e:
            self.fail(f"{label}: YAML does not load: {e}")
            return
        errors = self._errors(validator, document)
        if errors:
            self.fail(f"{label}: should validate but does not:\n    " + "\n    ".join(errors))
        else:
            self.passed += 1

    def expect_invalid(self, label, validator, text):
        if validator is None:
            return
        try:
            document = load_yaml(text)
        except yaml.constructor.ConstructorError as e:
            if "duplicate key" in str(e):  # the loader rejects these too; JSON cannot hold them
                self.passed += 1
            else:
                self.fail(f"{label}: YAML does not load: {e}")
            return
        except yaml.YAMLError as e:
            self.fail(f"{label}: YAML does not load: {e}")
            return
        if not list(validator.iter_errors(document)):
            self.fail(f"{label}: the schema accepts a document the loader rejects:\n    "
                      + text.rstrip().replace("\n", "\n    "))
        else:
            self.passed += 1

    def check_examples(self):
        folder = self.root / "config" / "playbooks"
        files = sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml"))
        if not files:
            self.fail(f"{folder}: no example playbooks found")
        for path in files:
            is_test = path.name.endswith((".test.yaml", ".test.yml"))
            validator = self.test_validator if is_test else self.playbook_validator
            self.expect_valid(str(path.relative_to(self.root)), validator,
                              path.read_text(encoding="utf-8"))

    def check_documents(self):
        for name, text in BAD_PLAYBOOKS.items():
            self.expect_invalid(f"bad playbook '{name}'", self.playbook_validator, text)
        for name, text in GOOD_PLAYBOOKS.items():
            self.expect_valid(f"good playbook '{name}'", self.playbook_validator, text)
        self.expect_valid("playbook used by the test documents", self.playbook_validator,
                          PLAYBOOK_FOR_TESTS)
        for name, text in BAD_TESTS.items():
            self.expect_invalid(f"bad test file '{name}'", self.test_validator, text)
        for name, text in GOOD_TESTS.items():
            self.expect_valid(f"good test file '{name}'", self.test_validator, text)

    # The same documents through the real loader, so schema and loader agree.
    def check_with_rapportctl(self):
        with tempfile.TemporaryDirectory(prefix="rapport-schema-") as tmp:
            folder = Path(tmp)
            (folder / "codes").mkdir()
            (folder / "codes" / "one.txt").write_text("CODE-1\n", encoding="utf-8")

            def run(*args):
                return subprocess.run([self.rapportctl, *args], cwd=folder, capture_output=True,
                                      text=True, timeout=60)

            for expect_ok, docs in ((False, BAD_PLAYBOOKS), (True, GOOD_PLAYBOOKS)):
                for name, text in docs.items():
                    path = folder / "doc.yaml"
                    path.write_text(text, encoding="utf-8")
                    result = run("check", str(path))
                    if (result.returncode == 0) != expect_ok:
                        verdict = "accepts" if result.returncode == 0 else "rejects"
                        self.fail(f"rapportctl check {verdict} the playbook '{name}' "
                                  f"(exit {result.returncode}): {result.stdout.strip()}")
                    else:
                        self.passed += 1
                    path.unlink()

            (folder / "p.yaml").write_text(PLAYBOOK_FOR_TESTS, encoding="utf-8")
            for expect_ok, docs in ((False, BAD_TESTS), (True, GOOD_TESTS)):
                for name, text in docs.items():
                    path = folder / "doc.test.yaml"
                    path.write_text(text, encoding="utf-8")
                    result = run("test", str(path))
                    if (result.returncode == 0) != expect_ok:
                        verdict = "accepts" if result.returncode == 0 else "rejects"
                        self.fail(f"rapportctl test {verdict} the test file '{name}' "
                                  f"(exit {result.returncode}): {result.stdout.strip()}")
                    else:
                        self.passed += 1

    def check_examples_with_rapportctl(self):
        folder = self.root / "config" / "playbooks"
        for args in (("check", str(folder)), ("test", str(folder))):
            result = subprocess.run([self.rapportctl, *args], capture_output=True, text=True,
                                    timeout=120)
            if result.returncode != 0:
                self.fail(f"rapportctl {' '.join(args)} failed (exit {result.returncode}):\n"
                          f"{result.stdout}{result.stderr}")
            else:
                self.passed += 1


def main(argv):
    args = argv[1:]
    rapportctl = None
    if "--rapportctl" in args:
        i = args.index("--rapportctl")
        if i + 1 >= len(args):
            print("usage: validate_examples.py REPO_ROOT [--rapportctl PATH]", file=sys.stderr)
            return 2
        rapportctl = str(Path(args[i + 1]).resolve())
        del args[i:i + 2]
    if len(args) != 1:
        print("usage: validate_examples.py REPO_ROOT [--rapportctl PATH]", file=sys.stderr)
        return 2
    root = Path(args[0]).resolve()
    if not (root / "config" / "schema").is_dir():
        print(f"validate_examples: {root} has no config/schema folder", file=sys.stderr)
        return 2
    if rapportctl is not None and not os.access(rapportctl, os.X_OK):
        print(f"validate_examples: {rapportctl} is not an executable", file=sys.stderr)
        return 2

    checker = Checker(root, rapportctl)
    checker.check_examples()
    checker.check_documents()
    if rapportctl is not None:
        checker.check_with_rapportctl()
        checker.check_examples_with_rapportctl()
    for failure in checker.failures:
        print(f"FAIL {failure}")
    print(f"schema: {checker.passed} passed, {len(checker.failures)} failed")
    return 1 if checker.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
