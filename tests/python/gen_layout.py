# SPDX-License-Identifier: MIT
"""Writes layout_dump.c: a program that prints sizeof and offsetof of every
member of every struct the public headers define (built by Meson, run by
test_declarations.py).

Usage: gen_layout.py <include dir> <output .c> [optional header ...]
The optional headers (payment_gateway.h, linux_gpio.h) are those of the
backend libraries this build produces; bindings/meson.build passes them."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cheader  # noqa: E402


def main():
    include_dir, output, optional = sys.argv[1], sys.argv[2], sys.argv[3:]
    h = cheader.parse(cheader.public_headers(include_dir, optional))
    source = cheader.layout_program(h, sorted(h.structs), optional)
    with open(output, "w", encoding="utf-8") as f:
        f.write(source)


if __name__ == "__main__":
    main()
