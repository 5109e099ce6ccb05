"""deploy/Dockerfile and deploy/constraints.txt, read as a build would read them.

No Docker engine here to build the image; these check what the build
depends on: the base and user, the pinned install, the files it copies
(present, and let through by the .dockerignore).
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.deploy.compose_model import DEPLOY, REPO, instructions

CONSTRAINTS = DEPLOY / "constraints.txt"
DOCKERIGNORE = DEPLOY / "Dockerfile.dockerignore"


def pins() -> dict[str, Version]:
    pinned: dict[str, Version] = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep, f"{line!r} is not name==version"
            pinned[canonicalize_name(name)] = Version(version)
    return pinned


def project() -> dict[str, list[str]]:
    with (REPO / "pyproject.toml").open("rb") as file:
        data = tomllib.load(file)["project"]
    return {"runtime": data["dependencies"], "dev": data["optional-dependencies"]["dev"]}


def test_a_slim_python_image_of_the_version_the_pins_were_made_for() -> None:
    (base,) = [args for keyword, args in instructions() if keyword == "FROM"]
    # An exact release on a named Debian: a rebuild starts from what was tested.
    found = re.fullmatch(r"python:(\d+\.\d+)\.\d+-slim-(trixie)", base)
    assert found is not None, base
    made_for = re.search(r"^# for: python (\d+\.\d+) on linux$", CONSTRAINTS.read_text(), re.M)
    assert made_for is not None, "regenerate with scripts/deploy-constraints"
    assert found[1] == made_for[1]


def test_the_services_run_as_a_user_without_privileges() -> None:
    steps = instructions()
    users = [(i, args) for i, (keyword, args) in enumerate(steps) if keyword == "USER"]
    assert users, "no USER: the services would run as root"
    last_index, user = users[-1]
    # By number, and not root's (compose.yaml names the same, test_hardening.py).
    assert re.fullmatch(r"[1-9][0-9]*:[1-9][0-9]*", user), user
    uid = user.split(":")[0]
    assert f"--uid {uid}" in " ".join(args for keyword, args in steps if keyword == "RUN")
    # Nothing runs as root after it, and something does before (the install).
    assert all(keyword != "RUN" for keyword, _ in steps[last_index:])
    assert "useradd" in " ".join(args for keyword, args in steps if keyword == "RUN")


def test_dependencies_are_installed_from_the_pins_and_checked() -> None:
    runs = [args for keyword, args in instructions() if keyword == "RUN"]
    install = [r for r in runs if "pip install --constraint /tmp/constraints.txt" in r]
    assert len(install) == 1 and "pip check" in install[0]
    copies = [args for keyword, args in instructions() if keyword == "COPY"]
    assert "deploy/constraints.txt /tmp/constraints.txt" in copies


def test_espeak_ng_is_in_the_image_for_the_spoken_announcements() -> None:
    runs = " ".join(args for keyword, args in instructions() if keyword == "RUN")
    # Pinned to a Debian version (hadolint DL3008), of the base image's Debian.
    found = re.search(r"apt-get install [^&]*\bespeak-ng=(\S+)", runs)
    assert found is not None, runs
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?\+dfsg-\d+(\+deb13u\d+)?", found[1]), found[1]


def test_what_the_build_copies_exists_and_passes_the_dockerignore() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        verdict = False
        for pattern in patterns:
            negated = pattern.startswith("!")
            bare = pattern.lstrip("!").rstrip("/")
            if fnmatch.fnmatch(path, bare) or path.startswith(bare + "/"):
                verdict = not negated
        return verdict

    sources = [
        source
        for keyword, args in instructions()
        if keyword == "COPY"
        for source in args.split()[:-1]
        if not source.startswith("--")
    ]
    assert {"pyproject.toml", "shared", "services", "deploy/branches"} <= set(sources)
    for source in sources:
        assert (REPO / source).exists(), source
        assert not ignored(source), f"{source} is left out of the build context"
    assert ignored(".venv") and ignored(".git") and ignored("tests")


def test_every_runtime_dependency_is_pinned_to_a_version_it_allows() -> None:
    pinned = pins()
    for text in project()["runtime"]:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} is not in deploy/constraints.txt"
        assert requirement.specifier.contains(pinned[name]), (name, pinned[name])


def test_no_development_tool_is_pinned() -> None:
    dev = {canonicalize_name(Requirement(text).name) for text in project()["dev"]}
    assert dev & set(pins()) == set()


def installed_requirements(name: str) -> list[Requirement]:
    """A package's run-time requirements, from its installed metadata."""
    found = []
    for text in metadata.requires(name) or []:
        requirement = Requirement(text)
        # Extras are not run time; other markers are judged for this Python,
        # the image's (the test above ties the two).
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            found.append(requirement)
    return found


def test_the_pins_are_closed_under_their_requirements() -> None:
    pinned: dict[str, Version] = dict(pins())
    needed: set[str] = set()
    todo = [Requirement(text) for text in project()["runtime"]]
    while todo:
        wanted_name = canonicalize_name(todo.pop().name)
        if wanted_name not in needed:
            needed.add(wanted_name)
            todo.extend(installed_requirements(wanted_name))
    assert needed - set(pinned) == set(), "missing: run scripts/deploy-constraints"
    # Versions can be judged where this venv holds the pinned version (its
    # metadata is that version's); for the rest the build's `pip check` is the guard.
    for name, version in pinned.items():
        if Version(metadata.version(name)) != version:
            continue
        for requirement in installed_requirements(name):
            wanted = pinned[canonicalize_name(requirement.name)]
            assert requirement.specifier.contains(wanted, prereleases=True), (name, requirement)
