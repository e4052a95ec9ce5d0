#!/usr/bin/env python3
"""Architecture check of the SwiftPM package (run first by `make test`).

Reads Package.swift's `targets:` list in order (regular, system-library, executable and test
targets), each target's declared dependencies (target names and `.product(name: ...)`), and the
`import X` / `@testable import X` lines of every Swift file of each target. Fails (exit 1, one
line per violation: file:line: rule, message) when

  (a) a target imports a package target that Package.swift lists after it (dependencies point
      forward in pipeline order only; test targets are exempt),
  (b) a target (source or test) imports a module of this package or a declared product that is
      not among its declared dependencies,
  (c) a source target declares a dependency it never imports (a system library such as CGDAL
      counts as imported when `import CGDAL` appears).

System modules (Foundation, Dispatch, Glibc, XCTest, Testing, ...) and modules that are neither
package targets nor declared products are ignored. Python 3 standard library only.
Usage: python3 scripts/check-architecture.py [package-root]
"""
import os
import re
import sys

TARGET_KINDS = {"target": "regular", "executableTarget": "executable", "systemLibrary": "system",
                "testTarget": "test", "binaryTarget": "binary", "plugin": "plugin", "macro": "macro"}
IMPORT = re.compile(r"^\s*(?:@[A-Za-z_]+(?:\([^)]*\))?\s+)*import\s+(?:(?:typealias|struct|class|enum|protocol|let|var|func)\s+)?"
                    r"([A-Za-z_][A-Za-z0-9_]*)")


def strip_comments(text):
    """`text` with // and /* */ comments blanked out (strings kept; newlines kept for line numbers)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def balanced(text, start):
    """Index just past the bracket closing the one at `start` (`(` or `[`), skipping strings."""
    pairs = {"(": ")", "[": "]"}
    stack, i = [], start
    while i < len(text):
        c = text[i]
        if c == '"':
            i += 1
            while i < len(text) and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c in pairs:
            stack.append(pairs[c])
        elif c in ")]":
            if not stack or stack.pop() != c:
                raise ValueError(f"unbalanced '{c}' at offset {i}")
            if not stack:
                return i + 1
        i += 1
    raise ValueError(f"unclosed bracket at offset {start}")


def parse_package(path):
    """The targets of Package.swift in order: dicts name, kind, line, dependencies, products, path."""
    text = strip_comments(open(path, encoding="utf-8").read())
    match = re.search(r"\btargets\s*:\s*\[", text)
    # The package's `targets:` follows `dependencies:`/`products:`; products also say `targets: [...]`,
    # so take the `targets:` whose list holds target declarations.
    for match in re.finditer(r"\btargets\s*:\s*\[", text):
        start = match.end() - 1
        end = balanced(text, start)
        if re.search(r"\.(target|executableTarget|systemLibrary|testTarget)\s*\(", text[start:end]):
            break
    else:
        raise ValueError("no targets: list with target declarations")
    targets, i = [], start + 1
    declaration = re.compile(r"\.(" + "|".join(TARGET_KINDS) + r")\s*\(")
    while True:
        m = declaration.search(text, i, end)
        if not m:
            break
        close = balanced(text, m.end() - 1)
        body = text[m.end():close - 1]
        name = re.search(r'\bname\s*:\s*"([^"]+)"', body)
        if not name:
            raise ValueError(f"Package.swift:{text.count(chr(10), 0, m.start()) + 1}: target without a name")
        deps, products = [], []
        d = re.search(r"\bdependencies\s*:\s*\[", body)
        if d:
            dep_text = body[d.end() - 1:balanced(body, d.end() - 1)]
            for p in re.finditer(r'\.product\s*\(\s*name\s*:\s*"([^"]+)"[^)]*\)', dep_text):
                products.append(p.group(1))
            rest = re.sub(r'\.product\s*\([^)]*\)', "", dep_text)
            deps = re.findall(r'"([^"]+)"', rest)
        custom = re.search(r'\bpath\s*:\s*"([^"]+)"', body)
        kind = TARGET_KINDS[m.group(1)]
        targets.append({"name": name.group(1), "kind": kind, "line": text.count("\n", 0, m.start()) + 1,
                        "dependencies": deps, "products": products,
                        "path": custom.group(1) if custom else os.path.join("Tests" if kind == "test" else "Sources", name.group(1))})
        i = close
    return targets


def module_name(target_name):
    """The Swift module name of a target (SwiftPM replaces characters such as '-' by '_')."""
    return re.sub(r"[^A-Za-z0-9_]", "_", target_name)


def swift_imports(folder):
    """(file, line, module) for every import in the Swift files under `folder`."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for file in sorted(files):
            if not file.endswith(".swift"):
                continue
            path = os.path.join(root, file)
            with open(path, encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    m = IMPORT.match(line)
                    if m:
                        found.append((path, number, m.group(1)))
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    root = os.path.normpath(root)
    os.chdir(root)
    targets = parse_package("Package.swift")
    position = {module_name(t["name"]): k for k, t in enumerate(targets)}
    by_module = {module_name(t["name"]): t for t in targets}
    known_products = {p for t in targets for p in t["products"]}
    violations, checked = [], 0
    for k, target in enumerate(targets):
        if target["kind"] in ("system", "binary", "plugin"):
            continue
        declared = {module_name(d) for d in target["dependencies"]}
        products = set(target["products"])
        used = set()
        for path, line, module in swift_imports(target["path"]):
            own = module in position
            if not own and module not in known_products:
                continue  # a system or third-party module nobody declares
            checked += 1
            used.add(module)
            if module == module_name(target["name"]):
                continue
            where = f"{path}:{line}"
            if own and target["kind"] != "test" and position[module] > k:
                violations.append(f"{where}: rule (a) {target['name']} imports {module}, which Package.swift lists after it "
                                  "(dependencies must point forward in pipeline order)")
            if (own and module not in declared) or (not own and module not in products):
                what = "target" if own else "product"
                violations.append(f"{where}: rule (b) {target['name']} imports {what} {module}, "
                                  f"which is not among its declared dependencies in Package.swift")
        if target["kind"] == "test":
            continue
        for dependency in target["dependencies"] + target["products"]:
            module = module_name(dependency)
            if module not in used:
                kind = "target" if dependency in target["dependencies"] else "product"
                violations.append(f"Package.swift:{target['line']}: rule (c) {target['name']} declares the {kind} "
                                  f"dependency {dependency} but no file under {target['path']}/ imports it")
    for v in violations:
        print(v)
    print(f"architecture: {len(targets)} targets, {checked} imports checked, {len(violations)} violations")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
