#!/usr/bin/env python3
"""Regenerate build-plan's catalogue data files from an installed tuxmake.

The catalogue is data, not code: the planner reads these JSON files and knows
nothing else about architectures, toolchains or targets. When tuxmake gains a
toolchain version or a target, run this against the new release and commit the
diff (plus the corpus regenerated with the same release).

Usage: python3 -m venv v && v/bin/pip install tuxmake==1.45.0
       v/bin/python data/regenerate.py data/tuxmake-1.45.0
"""
import json
import shlex
import sys
from pathlib import Path

import tuxmake
import tuxmake.runtime as R
from tuxmake.arch import Architecture
from tuxmake.build import Build
from tuxmake.build_utils import defaults, supported
from tuxmake.config import ConfigParser
from tuxmake.target import compression_types
from tuxmake.toolchain import Toolchain

PKG = Path(tuxmake.__file__).parent


def ini(path):
    c = ConfigParser()
    c.read(path)
    return c


def commands(text):
    """Split an ini command string into argv lists at `&&` words."""
    out = [[]]
    for word in shlex.split(text or ""):
        if word == "&&":
            out.append([])
        else:
            out[-1].append(word)
    return [c for c in out if c] if text else []


def architectures():
    out = {}
    for name in sorted(supported.architectures):
        c = ini(PKG / "arch" / f"{name}.ini")
        out[name] = {
            "makevars": dict(c["makevars"]),
            "dynamic_makevars": dict(c["dynamic-makevars"]) if c.has_section("dynamic-makevars") else {},
            "targets": dict(c["targets"]),
            "artifacts": dict(c["artifacts"]),
            "images": [[k, v] for k, v in c["images"].items()] if c.has_section("images") else [],
        }
    return {"aliases": dict(Architecture.config_aliases), "architectures": out}


def toolchains():
    families = {}
    for f in sorted((PKG / "toolchain").glob("*.ini")):
        c = ini(f)
        families[f.stem] = {
            "makevars": dict(c["makevars"]),
            "arch_makevars": {s.split(":", 1)[1]: dict(c[s]) for s in c.sections() if s.startswith("makevars:")},
            "image": c["docker"]["image"],
            "compiler": c["metadata"]["compiler"],
            "suffix": c["metadata"].get("suffix"),
        }
    docker = R.Runtime.get("docker")
    return {
        "aliases": dict(Toolchain.config_aliases),
        "families": families,
        "container_toolchains": list(docker.toolchains),
        "full_versions": {
            t: docker.config[t]["tc_full_version"]
            for t in docker.toolchains
            if docker.config.has_section(t) and "tc_full_version" in docker.config[t]
        },
    }


def targets():
    out = {}
    for f in sorted((PKG / "target").glob("*.ini")):
        c = ini(f)
        t = c["target"]
        out[f.stem] = {
            "description": t.get("description"),
            "dependencies": t.get("dependencies", "").split(),
            "runs_after": t.get("runs_after", "").split(),
            "preconditions": commands(t.get("preconditions")),
            "commands": commands(t.get("commands")),
            "nonfatal": t.get("nonfatal", "").lower() == "true",
            "kconfig_add": shlex.split(t.get("kconfig_add", "")),
            "makevars": dict(c["makevars"]) if c.has_section("makevars") else {},
            "artifacts": dict(c["artifacts"]) if c.has_section("artifacts") else None,
        }
    return out


def wrappers():
    out = {}
    for name in sorted(supported.wrappers):
        c = ini(PKG / "wrapper" / f"{name}.ini")
        out[name] = {
            "environment": dict(c["environment"]),
            "wrapper": c["commands"].get("wrapper"),
            "prepare": commands(c["commands"].get("prepare")),
        }
    return out


def images():
    out = {}
    for runtime in ("docker", "podman"):
        rt = R.Runtime.get(runtime)
        out[runtime] = {name: list(img.hosts) for name, img in rt.toolchain_images_map.items()}
    assert out["docker"] == out["podman"], "docker and podman image lists differ"
    return {"images": out["docker"]}


def main():
    dest = Path(sys.argv[1])
    dest.mkdir(parents=True, exist_ok=True)
    files = {
        "architectures.json": architectures(),
        "toolchains.json": toolchains(),
        "targets.json": targets(),
        "wrappers.json": wrappers(),
        "images.json": images(),
        "tuxmake.json": {
            "version": tuxmake.__version__,
            "default_kconfig": defaults.kconfig,
            "default_targets": list(defaults.targets),
            "default_compression": "xz",
            "compression": {
                name: {"command": getattr(compression_types, name).command,
                       "extension": getattr(compression_types, name).extension}
                for name in supported.compression
            },
            "runtimes": sorted(supported.runtimes),
            "rejected_make_variables": list(Build.MAKE_VARIABLES_REJECTLIST),
            "korg_arch_map": dict(Build.korg_arch_map),
        },
    }
    for name, data in files.items():
        if name == "images.json":
            # one image per line: the file is long and diffs should stay readable
            lines = [f" {json.dumps(k)}: {json.dumps(v)}" for k, v in data["images"].items()]
            text = '{"images": {\n' + ",\n".join(lines) + "\n}}"
        else:
            text = json.dumps(data, indent=1)
        (dest / name).write_text(text + "\n")


if __name__ == "__main__":
    main()
