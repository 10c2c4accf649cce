#!/usr/bin/env python3
"""SQL only from literals: every libpq call in the server that sends SQL
takes text written in the source (or a migration file), or the name of a
statement prepared from such text, never text built at run time.

Usage: check_sql_literals.py SOURCE_DIR   (the test command runs it on marketplace/)

What counts as written in the source, for the SQL argument of PQexec,
PQexecParams, PQsendQuery, PQsendQueryParams, PQprepare and PQsendPrepare
(and the statement name of PQprepare, PQsendPrepare, PQexecPrepared,
PQsendQueryPrepared and PQdescribePrepared):
  - string literals, adjacent ones and #define'd literal macros included;
  - the `sql` (or `name`) member of a `struct db_stmt`, when every
    `struct db_stmt` object is a const table whose entries give both as
    literals (checked below), and `sql` is never assigned;
  - the `sql` member of a `struct embedded_migration` (core/embedded.h:
    tools/embed.py writes the migrations/ files as literals at build time);
  - the `listen_sql` member, when every assignment to it is a literal or NULL;
  - a parameter of the function making the call (a forwarder such as
    migrate.c's exec_ok), when every call of that function passes, at that
    position, one of these forms again (followed through any depth).
Anything else, and any other struct with an `sql` member, is reported with
its file and line.  Exits 1 when something is reported.
"""
import os
import re
import sys

SQL_ARG = {"PQexec": 1, "PQexecParams": 1, "PQsendQuery": 1, "PQsendQueryParams": 1,
           "PQprepare": 2, "PQsendPrepare": 2}
NAME_ARG = {"PQprepare": 1, "PQsendPrepare": 1, "PQexecPrepared": 1, "PQsendQueryPrepared": 1,
            "PQdescribePrepared": 1, "PQsendDescribePrepared": 1}
STRUCTS_WITH_SQL = {"db_stmt", "embedded_migration"}

problems = []


def strip_comments(text):
    """Comments become spaces (newlines kept, so line numbers hold); strings stay."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def skip_string(text, i):
    q = text[i]
    j = i + 1
    while j < len(text) and text[j] != q:
        j += 2 if text[j] == "\\" else 1
    return j + 1


def top_level(text, i=0):
    """(index, character, depth) of each character from i on outside string
    and character literals; an opening bracket is at the depth around it,
    its contents one deeper, its closing bracket back at its own."""
    depth = 0
    while i < len(text):
        c = text[i]
        if c in "\"'":
            i = skip_string(text, i)
            continue
        if c in ")]}":
            depth -= 1
        yield i, c, depth
        if c in "([{":
            depth += 1
        i += 1


def split_args(text, open_paren):
    """The arguments of the call whose '(' is at open_paren: [(start, text)], and the end."""
    args, start = [], open_paren + 1
    for i, c, depth in top_level(text, open_paren):
        if i > open_paren and depth == 0 and c in ")]}":
            args.append((start, text[start:i]))
            return args, i
        if depth == 1 and c == ",":
            args.append((start, text[start:i]))
            start = i + 1
    return args, len(text)


# Names whose every use is literal text: object-like macros of literals,
# function-like macros of literals and their parameters (literal when their
# arguments are), and `static const char NAME[] = "..."` or
# `static const char *const NAME[] = {"...", ..., NULL}` of literals.
literal_names = set()
literal_functions = {}  # macro name -> its parameter names


class Source:
    def __init__(self, path):
        self.path = path
        with open(path, encoding="utf-8") as f:
            self.text = strip_comments(f.read())
        self.defines = [(m.group(1), m.group(2), m.group(3).replace("\\\n", " "))
                        for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(\w+)(\([^)]*\))?((?:[^\n\\]|\\\n|\\.)*)",
                                             self.text, re.M)]
        self.constants = [(m.group(1), m.group(2)) for m in re.finditer(
            r"\bstatic\s+const\s+char\s+(?:\*\s*const\s+)?(\w+)\s*\[\s*\]\s*=\s*([^;]*);", self.text)]

    def line(self, offset):
        return self.text.count("\n", 0, offset) + 1

    def where(self, offset):
        return f"{os.path.relpath(self.path)}:{self.line(offset)}"

    def functions(self):
        """(name, [parameter names], body start, body end) of each function definition."""
        for m in re.finditer(r"^[A-Za-z_][\w \t\*]*?\b(\w+)\s*\(([^;{}]*?)\)\s*\{", self.text, re.M | re.S):
            if m.group(1) in ("if", "for", "while", "switch"):
                continue
            params = []
            for p in m.group(2).split(","):
                ids = re.findall(r"\w+", p.split("[")[0])
                params.append(ids[-1] if ids else "")
            end = next((i for i, c, depth in top_level(self.text, m.end() - 1) if c == "}" and depth == 0),
                       len(self.text))
            yield m.group(1), params, m.end() - 1, end

    def enclosing(self, offset):
        for name, params, start, end in self.functions():
            if start <= offset <= end:
                return name, params
        return None, []


def is_literal(expr, also=()):
    """Adjacent string literals, literal names (and `also`, e.g. a macro's
    parameters) and literal macro calls with literal arguments, only."""
    rest = expr.strip()
    if not rest:
        return False
    while rest:
        if rest[0] == '"':
            end = skip_string(rest, 0)
            rest = rest[end:].lstrip()
            continue
        m = re.match(r"#?\s*(\w+)\s*", rest)
        if m and m.group(1) in literal_functions and rest[m.end():].startswith("("):
            args, end = split_args(rest, m.end())
            if not all(is_literal(a, also) or a.strip() == "" for _, a in args):
                return False
            rest = rest[end + 1:].lstrip()
            continue
        if m and (m.group(1) in literal_names or m.group(1) in also):
            rest = rest[m.end():]
            continue
        return False
    return True


def find_literal_names(sources):
    """Fills literal_names and literal_functions, to a fixed point (macros use macros)."""
    changed = True
    while changed:
        changed = False
        for src in sources:
            for name, params, body in src.defines:
                if name in literal_names or name in literal_functions:
                    continue
                if params is None and is_literal(body):
                    literal_names.add(name)
                    changed = True
                elif params is not None:
                    names = [p.strip() for p in params[1:-1].split(",") if p.strip()]
                    if is_literal(body, names):
                        literal_functions[name] = names
                        changed = True
            for name, value in src.constants:
                if name in literal_names:
                    continue
                v = value.strip()
                items = [a for _, a in split_args(v, 0)[0]] if v.startswith("{") else [v]
                if all(is_literal(i) or i.strip() in ("NULL", "") for i in items):
                    literal_names.add(name)
                    changed = True


def split_ternary(e):
    """(then, else) of a top-level `c ? a : b`, or None."""
    question = -1
    for i, c, depth in top_level(e):
        if depth == 0 and c == "?" and question < 0:
            question = i
        elif depth == 0 and c == ":" and question >= 0:
            return e[question + 1:i], e[i + 1:]
    return None


def calls(sources, function):
    for src in sources:
        for m in re.finditer(r"\b%s\s*\(" % re.escape(function), src.text):
            # not the definition or a declaration
            before = src.text[max(0, m.start() - 80):m.start()]
            args, end = split_args(src.text, m.end() - 1)
            after = src.text[end + 1:end + 40].lstrip()
            if re.search(r"(\bstatic|\bbool|\bvoid|\bint|\*)\s*$", before) and (after.startswith("{") or after.startswith(";")):
                continue
            yield src, m.start(), args


def check_arg(sources, src, offset, expr, kind, seen):
    """Is expr (an argument at src:offset) text from the source?  Reports it when not."""
    e = expr.strip()
    while e.startswith("(") and e.endswith(")"):
        e = e[1:-1].strip()
    e = re.sub(r"^\(\s*(const\s+)?char\s*\*\s*\)\s*", "", e)  # a cast to char *
    if is_literal(e) or e == "NULL":
        return
    element = re.fullmatch(r"(\w+)\s*\[[^\]]*\]", e)
    if element and element.group(1) in literal_names:
        return
    ternary = split_ternary(e)
    if ternary:
        for branch in ternary:
            check_arg(sources, src, offset, branch, kind, seen)
        return
    member = re.search(r"(?:\.|->)\s*(\w+)$", e)
    if member and member.group(1) in ({"sql", "listen_sql"} if kind == "SQL" else {"name"}):
        return  # tables and assignments are checked on their own
    if re.fullmatch(r"\w+", e):
        fn, params = src.enclosing(offset)
        if fn is not None and e in params:
            position = params.index(e)
            if (fn, position) in seen:
                return
            seen.add((fn, position))
            callers = list(calls(sources, fn))
            if not callers:
                problems.append(f"{src.where(offset)}: {kind} from parameter '{e}' of {fn}(), which nothing calls")
            for csrc, coff, args in callers:
                if position < len(args):
                    check_arg(sources, csrc, args[position][0], args[position][1], kind, seen)
            return
    problems.append(f"{src.where(offset)}: {kind} built at run time or not traceable to a literal: {e!r}")


def expand(text, sources):
    """text, or the expansion of the function-like macro call it is (one level)."""
    m = re.fullmatch(r"(\w+)\s*\((.*)\)", text, re.S)
    if not m:
        return text
    for src in sources:
        for name, params, body in src.defines:
            if name == m.group(1) and params is not None:
                names = [p.strip() for p in params[1:-1].split(",") if p.strip()]
                args = [a.strip() for _, a in split_args(text, m.start(2) - 1)[0]]
                out, i = [], 0
                while i < len(body):
                    if body[i] in "\"'":
                        j = skip_string(body, i)
                        out.append(body[i:j])
                        i = j
                        continue
                    w = re.match(r"\w+", body[i:])
                    if w:
                        word = w.group(0)
                        out.append(args[names.index(word)] if word in names and names.index(word) < len(args) else word)
                        i += len(word)
                        continue
                    out.append(body[i])
                    i += 1
                return "".join(out).strip()
    return text


def check_tables(sources):
    """Every struct db_stmt object: a const table of literal names and SQL; sql never assigned."""
    for src in sources:
        for m in re.finditer(r"(\bconst\s+)?struct\s+db_stmt\s+(\w+)\s*(\[\s*\w*\s*\])?\s*=\s*(\{)", src.text):
            if not m.group(1):
                problems.append(f"{src.where(m.start())}: struct db_stmt {m.group(2)} is not const")
            if m.group(3):
                body, _ = split_args(src.text, m.start(4))
            else:  # a single statement: its initializer is the one entry
                _, close = split_args(src.text, m.start(4))
                body = [(m.start(4), src.text[m.start(4):close + 1])]
            for start, entry in body:
                start += len(entry) - len(entry.lstrip())
                entry_text = entry.strip()
                if not entry_text:
                    continue
                entry_text = re.sub(r"^\[\s*\w+\s*\]\s*=\s*", "", entry_text)
                entry_text = expand(entry_text, sources)
                if not entry_text.startswith("{"):
                    problems.append(f"{src.where(start)}: a db_stmt entry that is not an initializer")
                    continue
                fields, _ = split_args(entry_text, 0)
                values = [v.strip() for _, v in fields]
                if values in ([""], ["0"], ["NULL"]) or (values and values[0] in ("0", "NULL")):
                    continue  # the terminating entry
                if any(v.startswith(".") for v in values):
                    named = dict(re.match(r"\.(\w+)\s*=\s*(.*)", v, re.S).groups() for v in values if v.startswith("."))
                    name, sql = named.get("name", ""), named.get("sql", "")
                else:
                    name, sql = (values + ["", ""])[:2]
                if not is_literal(name):
                    problems.append(f"{src.where(start)}: a statement name that is not a literal: {name!r}")
                if not is_literal(sql):
                    problems.append(f"{src.where(start)}: statement SQL that is not a literal: {sql[:60]!r}")
        for m in re.finditer(r"struct\s+db_stmt\s*\)\s*\{", src.text):
            problems.append(f"{src.where(m.start())}: a struct db_stmt compound literal (SQL not in a table)")
        for m in re.finditer(r"(?:\.|->)\s*sql\s*=(?!=)", src.text):
            problems.append(f"{src.where(m.start())}: an assignment to a statement's sql")
        for m in re.finditer(r"(?:\.|->)\s*listen_sql\s*=(?!=)\s*([^;]*);", src.text):
            value = m.group(1).strip()
            if value != "NULL" and not is_literal(value) and not re.fullmatch(r"\w+\s*(\.|->)\s*listen_sql", value):
                problems.append(f"{src.where(m.start())}: listen_sql set to something other than a literal")
        for m in re.finditer(r"struct\s+(\w+)\s*\{([^{}]*)\}", src.text):
            if re.search(r"\*\s*sql\s*;", m.group(2)) and m.group(1) not in STRUCTS_WITH_SQL:
                problems.append(f"{src.where(m.start())}: struct {m.group(1)} has an sql member this check does not know")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    paths = []
    for root, _, files in os.walk(sys.argv[1]):
        paths += [os.path.join(root, f) for f in files if f.endswith((".c", ".h"))]
    sources = [Source(p) for p in sorted(paths)]
    find_literal_names(sources)
    sinks = 0
    for src in sources:
        for m in re.finditer(r"\b(%s)\s*\(" % "|".join(sorted(set(SQL_ARG) | set(NAME_ARG))), src.text):
            args, _ = split_args(src.text, m.end() - 1)
            fn = m.group(1)
            sinks += 1
            for position, kind in ((SQL_ARG.get(fn), "SQL"), (NAME_ARG.get(fn), "statement name")):
                if position is not None and position < len(args):
                    check_arg(sources, src, args[position][0], args[position][1], kind, set())
    check_tables(sources)
    if sinks == 0:
        problems.append("no libpq call sending SQL found: the check would prove nothing")
    problems[:] = list(dict.fromkeys(problems))
    for p in problems:
        print(p, file=sys.stderr)
    print(f"check_sql_literals: {sinks} libpq calls in {len(sources)} files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
