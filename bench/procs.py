"""CPU seconds and resident memory of the stack's processes, read from ``/proc`` (Linux only).

A process is named by its role: ``temporal`` (the dev server), ``worker``, ``api``, ``sandbox`` or
``bare`` (the bare workflow's worker); several processes of one role (``onboard dev --workers N``) add up.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
#: ``python -m <module>`` processes and the role each plays
_MODULES = {"worker": "worker", "api": "api", "sandbox": "sandbox", "bench.bare": "bare"}


@dataclass(frozen=True)
class Usage:
    """CPU seconds used so far and resident memory now, per role."""

    cpu_s: dict[str, float]
    rss_bytes: dict[str, int]

    def cpu_since(self, earlier: Usage) -> dict[str, float]:
        """CPU seconds each role used since ``earlier``."""
        return {role: used - earlier.cpu_s.get(role, 0.0) for role, used in self.cpu_s.items()}


def role_of(pid: int) -> str | None:
    """The role of process ``pid``, or None for a process of no role (or one already gone)."""
    try:
        args = (_PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    words = [arg.decode(errors="replace") for arg in args if arg]
    if words and Path(words[0]).name == "temporal" and "server" in words:
        return "temporal"
    if "-m" in words[:-1]:
        return _MODULES.get(words[words.index("-m") + 1])
    return None


def descendants(root: int) -> list[int]:
    """Every living process below ``root``."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            children[int(stat.rpartition(")")[2].split()[1])].append(int(entry.name))
    found, todo = [], list(children[root])
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children[pid]
    return found


def usage(pids: list[int]) -> Usage:
    """CPU and memory of ``pids``, by role; processes of no role are left out."""
    cpu: dict[str, float] = defaultdict(float)
    rss: dict[str, int] = defaultdict(int)
    for pid in pids:
        role = role_of(pid)
        if role is None:
            continue
        try:
            fields = (_PROC / str(pid) / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        cpu[role] += (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime
        rss[role] += int(fields[21]) * _PAGE
    return Usage(cpu_s=dict(cpu), rss_bytes=dict(rss))


def tree_usage(root: int) -> Usage:
    """:func:`usage` of every process below ``root`` (``onboard dev``'s services)."""
    return usage(descendants(root))
