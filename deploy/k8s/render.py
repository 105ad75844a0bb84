"""Render a kustomization the way `kustomize build` does, for the subset of Kustomize these manifests use.

Development machines and CI may have no kustomize binary, so tests/static/test_k8s.py renders with this;
where `kubectl` is on PATH the same test compares both outputs (`kubectl kustomize`), resource by resource.
A deploying machine without Kustomize 5 can apply its output: ``python deploy/k8s/render.py <dir> | kubectl
apply -f -``.

Supported kustomization fields (anything else is refused, so a new field cannot be silently ignored):

- ``resources``: YAML files (several documents each) and directories holding a kustomization;
- ``namespace``: set on every namespaced resource; a ``Namespace`` object is renamed to it
  (as kustomize does);
- ``labels``: ``pairs`` added to ``metadata.labels`` only (``includeSelectors``/``includeTemplates`` false);
- ``images``: ``name`` -> ``newName``/``newTag``/``digest`` in every ``containers``/``initContainers`` list;
- ``patches``: strategic-merge patches (a file or inline, one document or several, targeted by the patch's
  own kind and name or by ``target``) and JSON 6902 patches (``target`` required; add, replace, remove).

Strategic merge here: maps merge, ``null`` deletes a key, lists of maps merge by the first key that every
element has among kyaml's associative keys (``name``, ``containerPort``, ``mountPath``...), patch elements
first and the untouched originals after (kustomize 5's order); other lists are replaced. ``$patch``
directives are refused. Kustomize knows no merge keys for custom resources and replaces their lists:
patch a custom resource's maps only (the overlays do), or check the list's merge against `kubectl kustomize`.

Usage: ``python deploy/k8s/render.py deploy/k8s/overlays/production`` prints the YAML stream.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import yaml

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
FIELDS = {"apiVersion", "kind", "resources", "namespace", "labels", "images", "patches"}
# Kinds without a namespace among those these manifests could contain.
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "IngressClass",
    "PriorityClass",
}
# kyaml's fallback merge keys for lists of maps (the keys Kubernetes' own types merge on).
ASSOCIATIVE_KEYS = ("mountPath", "devicePath", "ip", "type", "topologyKey", "name", "containerPort")

Resource = dict[str, Any]
# libyaml's parser where PyYAML has it (the same YAML 1.1 rules, several times faster).
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RenderError(Exception):
    pass


def build(path: str | Path) -> list[Resource]:
    """Every resource the kustomization at ``path`` (a directory) produces, transformed."""
    root = Path(path)
    kfile = next((root / n for n in KUSTOMIZATION_FILES if (root / n).is_file()), None)
    if kfile is None:
        raise RenderError(f"{root}: no kustomization file")
    k = yaml.load(kfile.read_text(), Loader=Loader) or {}  # noqa: S506 - a safe loader
    unknown = set(k) - FIELDS
    if unknown:
        raise RenderError(f"{kfile}: fields this renderer does not implement: {sorted(unknown)}")

    out: list[Resource] = []
    for entry in k.get("resources", []):
        target = root / entry
        if target.is_dir():
            out.extend(build(target))
        elif target.is_file():
            out.extend(_load(target))
        else:
            raise RenderError(f"{kfile}: resource {entry!r} does not exist")
    _check_unique(out, kfile)

    # The order kustomize runs its built-in transformers in: patches, namespace, labels, images.
    for p in k.get("patches", []):
        _patch(out, p, root)
    if "namespace" in k:
        _namespace(out, k["namespace"])
    for group in k.get("labels", []):
        _labels(out, group, kfile)
    for image in k.get("images", []):
        _image(out, image)
    return out


def _load(path: Path) -> list[Resource]:
    docs = [d for d in yaml.load_all(path.read_text(), Loader=Loader) if d is not None]
    for d in docs:
        if not isinstance(d, dict) or "kind" not in d or "apiVersion" not in d:
            raise RenderError(f"{path}: a document is not a Kubernetes resource")
    return docs


def _check_unique(resources: list[Resource], where: Path) -> None:
    seen: set[tuple[str, str, str]] = set()
    for r in resources:
        key = (r["kind"], r["metadata"].get("namespace", ""), r["metadata"]["name"])
        if key in seen:
            raise RenderError(f"{where}: {key} appears twice")
        seen.add(key)


# -- transformers -----------------------------------------------------------------------------------


def _namespace(resources: list[Resource], ns: str) -> None:
    for r in resources:
        if r["kind"] == "Namespace":
            r["metadata"]["name"] = ns
        elif r["kind"] not in CLUSTER_SCOPED:
            r["metadata"]["namespace"] = ns


def _labels(resources: list[Resource], group: dict[str, Any], where: Path) -> None:
    if group.get("includeSelectors") or group.get("includeTemplates") or group.get("fields"):
        raise RenderError(f"{where}: labels only on metadata (includeSelectors/includeTemplates false)")
    for r in resources:
        r["metadata"].setdefault("labels", {}).update(group["pairs"])


def _image(resources: list[Resource], image: dict[str, Any]) -> None:
    def rewrite(ref: str) -> str:
        name, tag, digest = _split_image(ref)
        if name != image["name"]:
            return ref
        name = image.get("newName", name)
        if "digest" in image:  # with newTag too, Kustomize 5 keeps both: name:tag@digest
            tag = image.get("newTag", tag)
            return f"{name}{f':{tag}' if tag else ''}@{image['digest']}"
        if "newTag" in image:
            return f"{name}:{image['newTag']}"
        return name + (f"@{digest}" if digest else f":{tag}" if tag else "")

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("containers", "initContainers") and isinstance(value, list):
                    for c in value:
                        if isinstance(c, dict) and isinstance(c.get("image"), str):
                            c["image"] = rewrite(c["image"])
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for r in resources:
        walk(r)


def _split_image(ref: str) -> tuple[str, str | None, str | None]:
    """``registry:5000/a/b:tag@sha256:..`` -> (name, tag, digest); a port is not a tag."""
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon + 1 :], digest
    return ref, None, digest


# -- patches ----------------------------------------------------------------------------------------


def _patch(resources: list[Resource], spec: dict[str, Any], root: Path) -> None:
    if "path" in spec:
        text = (root / spec["path"]).read_text()
    elif "patch" in spec:
        text = spec["patch"]
    else:
        raise RenderError(f"{root}: a patch needs path or patch")
    if set(spec) - {"path", "patch", "target"}:
        raise RenderError(
            f"{root}: patch options not implemented: {sorted(set(spec) - {'path', 'patch', 'target'})}"
        )
    docs = [d for d in yaml.load_all(text, Loader=Loader) if d is not None]
    target = spec.get("target")
    if len(docs) == 1 and isinstance(docs[0], list):  # JSON 6902
        if not target:
            raise RenderError(f"{root}: a JSON 6902 patch needs a target")
        for r in _select(resources, target, root):
            _json6902(r, docs[0])
        return
    for doc in docs:
        if not isinstance(doc, dict):
            raise RenderError(f"{root}: a strategic-merge patch must be a map")
        sel = target or {"kind": doc["kind"], "name": doc["metadata"]["name"]}
        for r in _select(resources, sel, root):
            merged = _merge(r, doc)
            r.clear()
            r.update(merged)


def _select(resources: list[Resource], target: dict[str, Any], root: Path) -> list[Resource]:
    if set(target) - {"kind", "name", "group", "version", "namespace"}:
        raise RenderError(f"{root}: target selectors not implemented: {target}")

    def matches(r: Resource) -> bool:
        group, _, version = r["apiVersion"].rpartition("/")
        return (
            target.get("kind", r["kind"]) == r["kind"]
            and target.get("name", r["metadata"]["name"]) == r["metadata"]["name"]
            and target.get("group", group) == group
            and target.get("version", version) == version
            and target.get("namespace", r["metadata"].get("namespace")) == r["metadata"].get("namespace")
        )

    found = [r for r in resources if matches(r)]
    if not found:
        raise RenderError(f"{root}: patch target {target} matches no resource")
    return found


def _merge(orig: Any, patch: Any) -> Any:
    if isinstance(orig, dict) and isinstance(patch, dict):
        if any(k.startswith("$") for k in patch):
            raise RenderError(f"strategic-merge directives are not implemented: {list(patch)}")
        out = dict(orig)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = _merge(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
        return out
    if isinstance(orig, list) and isinstance(patch, list):
        key = _merge_key(orig, patch)
        if key is None:
            return copy.deepcopy(patch)
        originals = {item[key]: item for item in orig}
        merged = [_merge(originals[p[key]], p) if p[key] in originals else copy.deepcopy(p) for p in patch]
        patched = {p[key] for p in patch}
        return merged + [copy.deepcopy(item) for item in orig if item[key] not in patched]
    return copy.deepcopy(patch)


def _merge_key(orig: list[Any], patch: list[Any]) -> str | None:
    items = orig + patch
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    return next((k for k in ASSOCIATIVE_KEYS if all(k in i for i in items)), None)


def _json6902(resource: Resource, ops: list[dict[str, Any]]) -> None:
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent: Any = resource
        for p in parts[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent[p]
        last = parts[-1]
        kind = op["op"]
        if kind in ("add", "replace"):
            value = copy.deepcopy(op["value"])
            if isinstance(parent, list):
                if last == "-":
                    parent.append(value)
                elif kind == "add":
                    parent.insert(int(last), value)
                else:
                    parent[int(last)] = value
            else:
                if kind == "replace" and last not in parent:
                    raise RenderError(f"replace of a missing path {op['path']}")
                parent[last] = value
        elif kind == "remove":
            del parent[int(last) if isinstance(parent, list) else last]
        else:
            raise RenderError(f"JSON 6902 op not implemented: {kind}")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    yaml.safe_dump_all(build(argv[1]), sys.stdout, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
