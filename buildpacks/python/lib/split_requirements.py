"""Splits a requirements file exported from a lock file into two files for pip.

    python split_requirements.py EXPORTED HASHED OTHER

HASHED gets every requirement that carries --hash options (pip checks them); OTHER gets the
rest: the app's own project (`.`), local paths, VCS and URL requirements, which pip cannot
hash-check. `-e X` becomes `X`, since an editable install cannot live in a --target directory.
Index options (-i, --extra-index-url, --find-links, --trusted-host) go to both files.
Prints how many requirements went to each file.
"""
import re
import sys

INDEX_OPTIONS = ("-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host")


def logical_lines(text):
    """Lines with backslash continuations joined and comments removed."""
    pending = ""
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            yield line
    if pending.strip():
        yield pending.strip()


def main(exported, hashed_path, other_path):
    with open(exported, encoding="utf-8") as f:
        text = f.read()
    options, hashed, other = [], [], []
    for line in logical_lines(text):
        first = line.split()[0]
        if first.split("=")[0] in INDEX_OPTIONS:
            options.append(line)
            continue
        if first in ("-e", "--editable"):
            line = line[len(first):].strip()
        elif first.startswith("--editable="):
            line = line[len("--editable="):].strip()
        (hashed if "--hash=" in line else other).append(line)
    for path, lines in ((hashed_path, hashed), (other_path, other)):
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(l + "\n" for l in options + lines))
    print(len(hashed), len(other))


if __name__ == "__main__":
    main(*sys.argv[1:4])
