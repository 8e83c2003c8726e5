"""Walking a unit tree given as child -> parent codes, without recursion (a chain may be thousands deep)."""

from __future__ import annotations

Parents = dict[str, str | None]


def find_cycles(parents: Parents) -> list[list[str]]:
    """Every cycle of parent links, each listed from one unit up to the unit whose parent closes it."""
    walk_of: dict[str, int] = {}
    cycles = []
    for walk, start in enumerate(parents):
        code: str | None = start
        chain = []
        while code in parents and code not in walk_of:
            walk_of[code] = walk
            chain.append(code)
            code = parents[code]
        # Meeting a unit seen earlier in this same walk means the walk went round in a loop.
        if code is not None and walk_of.get(code) == walk:
            cycles.append(chain[chain.index(code):])
    return cycles


def paths(parents: Parents) -> dict[str, list[str]]:
    """The codes from the root down to each unit; units on a cycle or under an unknown parent get none."""
    done: dict[str, list[str]] = {}
    blocked: set[str] = set()
    for start in parents:
        code: str | None = start
        chain: list[str] = []
        while code is not None and code not in done and code in parents and code not in blocked:
            blocked.add(code)  # also stops a walk going round a cycle
            chain.append(code)
            code = parents[code]
        if code is not None and code not in done:
            continue  # the chain ends at an unknown unit or in a cycle: no path
        base = done[code] if code is not None else []
        for link in reversed(chain):
            base = [*base, link]
            done[link] = base
    return done
