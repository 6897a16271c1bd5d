# SPDX-License-Identifier: MIT
"""A small, honest parser of the public headers: top-level prototypes,
function-pointer typedefs, exported data, struct members and enum values.

It handles exactly the C the headers use (one declarator per declaration,
one level of anonymous-named union) and raises ParseError on anything else,
so a header it can't read fails the check instead of being skipped.
"""
import os
import re


class ParseError(Exception):
    pass


class Header:
    def __init__(self):
        self.functions = {}   # name -> (return type, [parameter types])
        self.typedefs = {}    # name -> (return type, [parameter types]) of a function pointer
        self.data = {}        # name -> type
        self.structs = {}     # name -> [(member, type, dims)]; type "union" for nested unions
        self.unions = {}      # "struct.member" -> [(member, type, dims)]
        self.enums = {}       # name -> {constant: value}
        self.opaque = set()   # struct names only forward-declared


def _strip(source):
    source = re.sub(r"/\*.*?\*/", " ", source, flags=re.S)
    source = re.sub(r"//[^\n]*", " ", source)
    source = re.sub(r'#ifdef __cplusplus\s*(extern "C" \{|\})\s*#endif', " ", source)
    source = re.sub(r"\\\n", " ", source)
    source = "\n".join(line for line in source.split("\n") if not line.lstrip().startswith("#"))
    return source


def _split_top(body):
    """Splits on ';' at brace and parenthesis depth 0."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        elif ch == ";" and depth == 0:
            parts.append(body[start:i].strip())
            start = i + 1
    rest = body[start:].strip()
    if rest:
        raise ParseError("trailing text without ';': %r" % rest[:80])
    return [p for p in parts if p]


def _norm(ctype):
    return re.sub(r"\s+", " ", ctype.replace("*", " * ")).strip().replace("* *", "**")


def _params(text):
    text = text.strip()
    if text == "void":
        return []
    out = []
    for param in [p.strip() for p in text.split(",")]:
        fp = re.fullmatch(r"(.+?)\(\s*\*\s*(\w*)\s*\)\s*\((.*)\)", param)
        if fp:
            raise ParseError("function pointer parameter not supported: %r" % param)
        m = re.fullmatch(r"(.*?[\s*])(\w+)", param)
        if not m:
            raise ParseError("cannot read parameter %r" % param)
        out.append(_norm(m.group(1)))
    return out


def _members(body, where):
    members = []
    for decl in _split_top(body):
        decl = " ".join(decl.split())
        union = re.fullmatch(r"union\s*\{(.*)\}\s*(\w+)", decl, flags=re.S)
        if union:
            members.append((union.group(2), "union", ()))
            yield_union = (union.group(2), list(_members(union.group(1), where)))
            members.append(("__union__", yield_union, ()))
            continue
        fp = re.fullmatch(r"(.+?)\(\s*\*\s*(\w+)\s*\)\s*\((.*)\)", decl)
        if fp:
            members.append((fp.group(2), ("fnptr", _norm(fp.group(1)), _params(fp.group(3))), ()))
            continue
        m = re.fullmatch(r"(.*?[\s*])(\w+)((?:\s*\[[^\]]+\])*)", decl)
        if not m or "," in decl:
            raise ParseError("%s: cannot read member %r" % (where, decl))
        dims = tuple(d.strip() for d in re.findall(r"\[([^\]]+)\]", m.group(3)))
        members.append((m.group(2), _norm(m.group(1)), dims))
    return members


def parse(paths):
    h = Header()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            source = _strip(f.read())
        for decl in _split_top(source):
            decl = " ".join(decl.split())
            _declaration(h, decl, os.path.basename(path))
    return h


def _declaration(h, decl, where):
    m = re.fullmatch(r"struct (\w+) \{(.*)\}", decl)
    if m:
        members = _members(m.group(2), m.group(1))
        plain = []
        for name, ctype, dims in members:
            if name == "__union__":
                union_name, union_members = ctype
                h.unions["%s.%s" % (m.group(1), union_name)] = union_members
            else:
                plain.append((name, ctype, dims))
        h.structs[m.group(1)] = plain
        return
    m = re.fullmatch(r"enum (\w+) \{(.*)\}", decl)
    if m:
        values, nxt = {}, 0
        for item in [i.strip() for i in m.group(2).split(",") if i.strip()]:
            name, _, value = item.partition("=")
            nxt = int(value.strip(), 0) if value.strip() else nxt
            values[name.strip()] = nxt
            nxt += 1
        h.enums[m.group(1)] = values
        return
    m = re.fullmatch(r"struct (\w+)", decl)
    if m:
        h.opaque.add(m.group(1))
        return
    m = re.fullmatch(r"typedef (.+?)\(\s*\*\s*(\w+)\s*\)\s*\((.*)\)", decl)
    if m:
        h.typedefs[m.group(2)] = (_norm(m.group(1)), _params(m.group(3)))
        return
    m = re.fullmatch(r"extern (.*?[\s*])(\w+)", decl)
    if m:
        h.data[m.group(2)] = _norm(m.group(1))
        return
    m = re.fullmatch(r"(.+?[\s*])(\w+)\s*\((.*)\)", decl)
    if m:
        h.functions[m.group(2)] = (_norm(m.group(1)), _params(m.group(3)))
        return
    raise ParseError("%s: cannot read declaration %r" % (where, decl[:100]))


def opaque_structs(h):
    """Structs only ever declared, never defined: handles."""
    return h.opaque - set(h.structs)


# Backends with a library of their own that the Python package loads.
BOUND_BACKEND_HEADERS = ("sim.h", "storage_posix.h")

# Backend libraries the package loads when they were built (Meson features):
# header -> (library, Meson option). Their headers join the checks only
# then; candyvend._clib.OPTIONAL says the same (a test compares them).
OPTIONAL_BACKEND_HEADERS = {
    "payment_gateway.h": ("candyvend-gateway", "gateway"),
    "linux_gpio.h": ("candyvend-gpio", "gpio"),
}

# Structs of system headers that public prototypes use: name -> (header,
# members). Not parsed (the system's headers are not ours to read); the
# layout program dumps them so their mirrors are checked all the same.
SYSTEM_STRUCTS = {
    "pollfd": ("poll.h", ("fd", "events", "revents")),
}


def public_headers(include_dir, optional=()):
    """The headers the Python package binds: everything the umbrella
    <candyvend/candyvend.h> includes (version.h from version.h.in), plus the
    headers of the backend libraries it loads, plus `optional` (names from
    OPTIONAL_BACKEND_HEADERS: those whose library was built). A new core
    header joins the check as soon as the umbrella includes it."""
    d = os.path.join(include_dir, "candyvend")
    with open(os.path.join(d, "candyvend.h"), encoding="utf-8") as f:
        names = re.findall(r"#include <candyvend/(\w+\.h)>", f.read())
    names = ["version.h.in" if n == "version.h" else n for n in names]
    for n in optional:
        if n not in OPTIONAL_BACKEND_HEADERS:
            raise ParseError("%s is not an optional backend header" % n)
    names = ["candyvend.h"] + names + list(BOUND_BACKEND_HEADERS) + sorted(optional)
    return [os.path.join(d, n) for n in names]


def unbound_headers(include_dir):
    """Headers of backend libraries the Python package does not know at all
    (neither always loaded nor optional)."""
    d = os.path.join(include_dir, "candyvend")
    bound = ({os.path.basename(p) for p in public_headers(include_dir)} | {"version.h"}
             | set(OPTIONAL_BACKEND_HEADERS))
    return sorted(n for n in os.listdir(d) if n.endswith(".h") and n not in bound)


def layout_program(h, struct_names, optional=()):
    """C source printing sizeof/offsetof of every member of the given structs
    (and of the members of their nested unions), and of SYSTEM_STRUCTS: one
    line per item, 'S name size' and 'F struct.member offset size'.
    `optional`: the optional backend headers to include too."""
    system_headers = sorted({header for header, _ in SYSTEM_STRUCTS.values()})
    lines = ["/* Generated by tests/python/gen_layout.py: do not edit. */",
             "#include <stddef.h>", "#include <stdio.h>"]
    lines += ["#include <%s>" % header for header in system_headers]
    lines += ["#include <candyvend/%s>" % n for n in
              ("candyvend.h",) + BOUND_BACKEND_HEADERS + tuple(sorted(optional))]
    lines += ["",
             "#define S(t) printf(\"S %s %zu\\n\", #t, sizeof(struct t))",
             "#define F(t, m) printf(\"F %s.%s %zu %zu\\n\", #t, #m, offsetof(struct t, m), "
             "sizeof(((struct t *)0)->m))", "",
             "int main(void)", "{"]
    for name in struct_names:
        lines.append("\tS(%s);" % name)
        for member, _, _ in h.structs[name]:
            lines.append("\tF(%s, %s);" % (name, member))
            key = "%s.%s" % (name, member)
            for sub, _, _ in h.unions.get(key, []):
                lines.append("\tF(%s, %s.%s);" % (name, member, sub))
    for name, (_, members) in sorted(SYSTEM_STRUCTS.items()):
        lines.append("\tS(%s);" % name)
        lines += ["\tF(%s, %s);" % (name, member) for member in members]
    lines += ["\treturn 0;", "}", ""]
    return "\n".join(lines)
