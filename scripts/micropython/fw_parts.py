#!/usr/bin/env python3
# fw_parts.py - flash bytes (.text + .data input sections kept by the
# linker) per part of a MicroPython firmware, from its linker map: mbedTLS,
# ussl's core by concern (verification policy, error texts, sessions,
# engine, the rest), ussl's MicroPython binding, the stock `tls` module,
# everything else.  For docs/micropython-firmware.md.
#
#   fw_parts.py FIRMWARE.map [--files]
#
# --files also lists every TLS object file with its bytes.
import collections
import re
import sys

# ussl's core sources (src/) by concern.
CORE = {
    "verification policy": ("verify", "verify_cert", "verify_names",
                            "verify_nc", "verify_profile", "der"),
    "error texts": ("error",),
    "session code": ("session", "session_cache", "session_leaf",
                     "mbedtls_session"),
    "engine (mbedTLS calls, X.509 glue)": ("engine_mbedtls", "mbedtls_x509"),
    "contexts, connections": ("ctx", "conn"),
}
STOCK = ("modtls_mbedtls", "mp_mbedtls_errors")


def parse(path):
    text = open(path).read()
    text = text[text.index("Linker script and memory map"):]
    sizes = collections.Counter()
    out = None
    pending = False
    for line in text.splitlines():
        m = re.match(r"^(\.\w+)\s", line)
        if m:
            out = m.group(1)
            continue
        if out not in (".text", ".data"):
            continue
        if pending:
            pending = False
            m = re.match(r"^\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)$", line)
            if m:
                sizes[m.group(2)] += int(m.group(1), 16)
            continue
        m = re.match(r"^ \.\S+\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)$", line)
        if m:
            sizes[m.group(2)] += int(m.group(1), 16)
        elif re.match(r"^ \.\S+$", line):
            pending = True
    return sizes


def part(obj):
    base = re.sub(r"\.o$", "", obj.rsplit("/", 1)[-1])
    # mbedTLS's library, and micropython.mk's patched copies of two of
    # its files (ussl-mbedtls/, see mbedtls_patch.py).
    if "/lib/mbedtls/library/" in obj or "/ussl-mbedtls/" in obj:
        return "mbedTLS"
    if base in STOCK:
        return "stock tls module"
    if "/micropython/ussl/" in obj:
        return "ussl binding (micropython/ussl)"
    # The core's objects sit under the build directory at their absolute
    # source path (.../src/NAME.o).
    if re.search(r"//.*/src/[a-z0-9_]+\.o$", obj):
        for name, files in CORE.items():
            if base in files:
                return "ussl core: " + name
        return "ussl core: other"
    return None


def main():
    sizes = parse(sys.argv[1])
    parts = collections.Counter()
    files = collections.Counter()
    for obj, n in sizes.items():
        p = part(obj)
        if p is not None:
            parts[p] += n
            files[(p, obj.rsplit("/", 1)[-1])] += n
    print("%-46s %8s" % ("part", "bytes"))
    for p, n in sorted(parts.items()):
        print("%-46s %8d" % (p, n))
    print("%-46s %8d" % ("TLS total (the parts above)", sum(parts.values())))
    if "--files" in sys.argv[2:]:
        for (p, f), n in sorted(files.items(), key=lambda x: -x[1]):
            print("  %-38s %-24s %7d" % (p, f, n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
