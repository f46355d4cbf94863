"""What a brief's notebooks depend on, hashed, and the manifest that records it.

The inputs of a notebook are its source, its parameters, the dataset's files, the package's own
files and the versions of the packages that execute and render it; their SHA-256 is its input
hash, recorded in the manifest beside what each run made. Hashing imports nothing heavy (stdlib
only), so an up-to-date check is fast.
"""

from __future__ import annotations

import ast
import hashlib
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ParameterError
from .params import BASE

PACKAGE_DIR = Path(__file__).resolve().parent
# Distributions whose upgrade can change what a notebook shows.
PACKAGES = (
    "papermill", "nbconvert", "pandas", "seaborn", "matplotlib", "ipykernel", "weasyprint",
    "earnings-brief",
)  # fmt: skip
MANIFEST_SCHEMA = 1


@dataclass
class Inputs:
    """The hashed inputs of a brief: per notebook, and combined into ``brief_hash``."""

    notebooks: dict[str, dict]
    data_hash: str
    code_hash: str
    versions: dict[str, str]
    brief_hash: str = field(default="")


# --- hashing ---------------------------------------------------------------------------------


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def files_hash(paths: Iterable[Path], root: Path | None = None) -> str:
    """One hash over file names (relative to ``root``) and contents."""
    digest = hashlib.sha256()
    for path in paths:
        name = path.relative_to(root) if root else path.name
        digest.update(f"{name}\0{file_hash(path)}\n".encode())
    return digest.hexdigest()


def code_hash(package_dir: Path = PACKAGE_DIR) -> str:
    """The package's own files: modules, locales, templates, assets (not bytecode)."""
    files = sorted(
        p for p in package_dir.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )  # fmt: skip
    return files_hash(files, package_dir)


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    from importlib import metadata

    versions = {"python": sys.version.split()[0]}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def declared_parameters(notebook: Path) -> list[str]:
    """Names assigned in the notebook's cell tagged ``parameters`` (read as JSON, not nbformat)."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell.get("source", ""))
            return [n for node in ast.parse(source).body for n in _assigned(node)]
    return []


def _assigned(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def brief_inputs(
    notebooks: dict[str, Path],
    data_files: Iterable[Path],
    parameters: dict,
    *,
    package_dir: Path = PACKAGE_DIR,
    versions: dict[str, str] | None = None,
) -> Inputs:
    """Hash every input. Each notebook gets only the parameters its parameters cell declares,
    so a knob of one notebook does not re-run the others; a name no notebook declares is an error.
    """
    declared = {name: declared_parameters(path) for name, path in notebooks.items()}
    known = {p for names in declared.values() for p in names}
    unknown = sorted(set(parameters) - known - BASE_PARAMETERS)
    if unknown:
        raise ParameterError(
            f"unknown notebook parameter {', '.join(unknown)}",
            field="-p",
            expected=f"one of {', '.join(sorted(known)) or 'none'}",
        )
    inputs = Inputs(
        {}, files_hash(data_files), code_hash(package_dir), versions or package_versions()
    )
    for name, path in notebooks.items():
        params = {k: v for k, v in parameters.items() if k in declared[name]}
        shared = (inputs.data_hash, inputs.code_hash, inputs.versions)
        inputs.notebooks[name] = {
            "notebook": str(path),
            "parameters": params,
            "hash": _digest(file_hash(path), params, *shared),
        }
    inputs.brief_hash = _digest(
        MANIFEST_SCHEMA, {n: nb["hash"] for n, nb in inputs.notebooks.items()}
    )
    return inputs


# Parameters the build always offers; a notebook that does not declare one simply does not get it.
BASE_PARAMETERS = set(BASE)


def _digest(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


# --- the manifest -----------------------------------------------------------------------------


def read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if manifest.get("schema") == MANIFEST_SCHEMA else {}


def stale(inputs: Inputs, manifest: dict, executed_dir: Path) -> list[str]:
    """Notebooks to run: input hash differs from the manifest's, or no executed copy to reuse."""
    recorded = manifest.get("notebooks", {})
    return [
        name for name, nb in inputs.notebooks.items()
        if recorded.get(name, {}).get("hash") != nb["hash"]
        or not (Path(executed_dir) / f"{name}.ipynb").is_file()
    ]  # fmt: skip


def manifest(inputs: Inputs, outcomes: dict[str, dict], **extra) -> dict:
    return {
        "schema": MANIFEST_SCHEMA,
        "brief_hash": inputs.brief_hash,
        "data_hash": inputs.data_hash,
        "code_hash": inputs.code_hash,
        "versions": inputs.versions,
        **extra,
        "notebooks": {
            name: {**nb, **outcomes.get(name, {})} for name, nb in inputs.notebooks.items()
        },
    }
