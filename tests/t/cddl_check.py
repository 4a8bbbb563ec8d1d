#!/usr/bin/env python3
"""tests/t/cddl_check.py SPEC.md RULE FILE.cbor... — checks CBOR files against
the CDDL (RFC 8610) in the ```cddl block of SPEC.md, starting at RULE.

Only the part of CDDL that docs/system-format.md uses is understood: rules
`name = type`; types as choices (`/`) of maps `{ … }`, arrays `[ … ]`,
parenthesised types, text literals, `tstr`, `uint`, `bool`, `true`,
`false` and rule names; groups as choices (`//`) of members with an
occurrence (`?`, `*`, `+`) and a key (`"text":` or `type =>`), or a
parenthesised group. Maps are closed: a key no member takes is an error.
Anything else in the spec is refused, so a spec this reader cannot follow
fails loudly instead of passing everything.

Prints "FILE: ok" or "FILE: PATH: what is wrong" per file; exits 1 when a
file does not match (or cannot be read), 2 when the spec cannot be parsed."""
import re
import sys

import cbor2


class SpecError(Exception):
    pass


def tokens(text):
    text = re.sub(r";[^\n]*", "", text)
    out = []
    for m in re.finditer(r'\s*(//|=>|"[^"]*"|[A-Za-z_][\w-]*|\d+|[{}\[\](),:=?*+/])', text):
        out.append(m.group(1))
    rest = re.sub(r'\s*(//|=>|"[^"]*"|[A-Za-z_][\w-]*|\d+|[{}\[\](),:=?*+/])', "", text).strip()
    if rest:
        raise SpecError("cannot read %r" % rest[:40])
    return out


class Parser:
    def __init__(self, toks):
        self.t, self.i = toks, 0

    def peek(self, k=0):
        return self.t[self.i + k] if self.i + k < len(self.t) else None

    def take(self, want=None):
        tok = self.peek()
        if tok is None or (want is not None and tok != want):
            raise SpecError("expected %s, got %s" % (want, tok))
        self.i += 1
        return tok

    def rules(self):
        rules = {}
        while self.peek() is not None:
            name = self.take()
            self.take("=")
            rules[name] = self.type_()
        return rules

    def type_(self):
        alts = [self.type1()]
        while self.peek() == "/":
            self.take()
            alts.append(self.type1())
        return alts[0] if len(alts) == 1 else ("choice", alts)

    def type1(self):
        tok = self.take()
        if tok == "{":
            g = self.group("}")
            return ("map", g)
        if tok == "[":
            g = self.group("]")
            return ("array", g)
        if tok == "(":
            t = self.type_()
            self.take(")")
            return t
        if tok.startswith('"'):
            return ("lit", tok[1:-1])
        if tok in ("true", "false"):
            return ("lit", tok == "true")
        if re.match(r"[A-Za-z_]", tok):
            return ("ref", tok)
        raise SpecError("unexpected %s" % tok)

    def group(self, close):
        alts = [[]]
        while self.peek() != close:
            if self.peek() == "//":
                self.take()
                alts.append([])
                continue
            if self.peek() == ",":
                self.take()
                continue
            alts[-1].append(self.member(close))
        self.take(close)
        return alts

    def member(self, close):
        occ = (1, 1)
        if self.peek() in ("?", "*", "+"):
            occ = {"?": (0, 1), "*": (0, None), "+": (1, None)}[self.take()]
        if self.peek() == "(":  # a parenthesised group or a key type
            save = self.i
            self.take()
            depth, j = 1, self.i
            while depth:
                depth += {"(": 1, ")": -1}.get(self.t[j], 0)
                j += 1
            if j < len(self.t) and self.t[j] == "=>":
                self.i = save
            else:
                g = self.group(")")
                return ("group", occ, g)
        if self.peek().startswith('"') and self.peek(1) == ":":
            key = ("lit", self.take()[1:-1])
            self.take(":")
            return ("kv", occ, key, self.type_())
        t = self.type_()
        if self.peek() == "=>":
            self.take()
            return ("kv", occ, t, self.type_())
        return ("item", occ, t)


class Mismatch(Exception):
    pass


def check(rules, t, v, path):
    kind = t[0]
    if kind == "ref":
        name = t[1]
        if name == "tstr":
            if not isinstance(v, str):
                raise Mismatch("%s: %r is not text" % (path, v))
            return
        if name == "uint":
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise Mismatch("%s: %r is not an unsigned integer" % (path, v))
            return
        if name == "bool":
            if not isinstance(v, bool):
                raise Mismatch("%s: %r is not a bool" % (path, v))
            return
        if name not in rules:
            raise SpecError("no rule %s" % name)
        return check(rules, rules[name], v, path)
    if kind == "lit":
        if v != t[1] or type(v) is not type(t[1]):
            raise Mismatch("%s: %r is not %r" % (path, v, t[1]))
        return
    if kind == "choice":
        errs = []
        for alt in t[1]:
            try:
                return check(rules, alt, v, path)
            except Mismatch as e:
                errs.append(str(e))
        raise Mismatch("%s: matches none of its choices (%s)" % (path, "; ".join(errs[:3])))
    if kind == "map":
        if not isinstance(v, dict):
            raise Mismatch("%s: %r is not a map" % (path, type(v).__name__))
        errs = []
        for alt in t[1]:
            try:
                left = match_map(rules, alt, v, set(v), path)
                if left:
                    raise Mismatch("%s: unknown key %r" % (path, sorted(left, key=str)[0]))
                return
            except Mismatch as e:
                errs.append(str(e))
        raise Mismatch(errs[0] if len(errs) == 1 else "%s: %s" % (path, "; ".join(errs[:3])))
    if kind == "array":
        if not isinstance(v, list):
            raise Mismatch("%s: %r is not an array" % (path, type(v).__name__))
        if len(t[1]) != 1 or len(t[1][0]) != 1 or t[1][0][0][0] != "item":
            raise SpecError("only arrays of one repeated type are understood")
        _, (lo, hi), it = t[1][0][0]
        if len(v) < lo or (hi is not None and len(v) > hi):
            raise Mismatch("%s: %d items" % (path, len(v)))
        for i, x in enumerate(v):
            check(rules, it, x, "%s[%d]" % (path, i))
        return
    raise SpecError("cannot check %s" % kind)


def key_matches(rules, kt, k):
    try:
        check(rules, kt, k, "key")
        return True
    except Mismatch:
        return False


def match_map(rules, members, v, left, path):
    """Takes the keys of v the members consume from `left`; returns the rest."""
    left = set(left)
    for m in members:
        if m[0] == "group":
            _, (lo, hi), alts = m
            errs = []
            for alt in alts:
                try:
                    left = match_map(rules, alt, v, left, path)
                    break
                except Mismatch as e:
                    errs.append(str(e))
            else:
                if lo > 0:
                    raise Mismatch("%s: %s" % (path, " or ".join(errs[:2])))
            continue
        if m[0] != "kv":
            raise SpecError("a map member without a key")
        _, (lo, hi), kt, vt = m
        keys = [k for k in sorted(left, key=str) if key_matches(rules, kt, k)]
        if len(keys) < lo:
            what = kt[1] if kt[0] == "lit" else "a key"
            raise Mismatch("%s: %r is missing" % (path, what))
        if hi is not None and len(keys) > hi:
            raise Mismatch("%s: %d keys where at most %d may be" % (path, len(keys), hi))
        for k in keys:
            check(rules, vt, v[k], "%s.%s" % (path, k))
            left.discard(k)
    return left


def main():
    spec, rule, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    text = open(spec).read()
    blocks = re.findall(r"```cddl\n(.*?)```", text, re.S)
    try:
        rules = Parser(tokens("\n".join(blocks))).rules()
        if rule not in rules:
            raise SpecError("no rule %s" % rule)
    except SpecError as e:
        print("%s: %s" % (spec, e))
        return 2
    bad = 0
    for f in files:
        try:
            check(rules, ("ref", rule), cbor2.load(open(f, "rb")), rule)
            print("%s: ok" % f)
        except Mismatch as e:
            print("%s: %s" % (f, e))
            bad = 1
        except SpecError as e:
            print("%s: %s" % (spec, e))
            return 2
        except Exception as e:  # not CBOR, unreadable
            print("%s: %s" % (f, e))
            bad = 1
    return bad


sys.exit(main())
