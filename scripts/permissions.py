#!/usr/bin/env python3
"""Generate docs/permissions.md: each platform role × what it may do, read from the code.

Usage: python scripts/permissions.py [--check]   (writes docs/permissions.md; --check only
compares and exits 1 when the file is out of date). `tests/test_permissions_doc.py` runs the
same comparison.

Sources (nothing is typed by hand):
- roles and their permissions: `marketplace.roles.declared_permissions()` (every app's
  `roles.py`), the same map the groups are synced from;
- admin actions: every registered ModelAdmin's `get_actions()` asked as a user holding
  exactly one role's permissions (so Django's `allowed_permissions` and each admin's own
  filtering apply), plus the permission of the spec an action wraps, when it names one;
- buttons and transitions on admin pages: the spec objects the admin modules declare
  (`AdminTransition`, `TransitionAction`, penalty case actions: anything with a `name`, a
  `label` and a `permission` or an FSM `method` / `transition`);
- FSM transitions: every `django_fsm` field's transitions and their `permission=`;
- vendor pages: the `vendor:` URL namespace; API operations: `orders.models.ApiOperation`,
  the views' `required_operation` and the token presets.

Output is sorted, so it is deterministic.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "permissions.md"
YES = "✓"


def setup() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


class RoleUser:
    """A staff user holding exactly one role's declared permissions (no database)."""

    is_active = True
    is_staff = True
    is_superuser = False
    is_authenticated = True
    is_anonymous = False
    pk = id = None

    def __init__(self, perms: set[str]) -> None:
        self.perms = perms

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return perm in self.perms

    def has_perms(self, perms: Iterable[str], obj: Any = None) -> bool:
        return all(p in self.perms for p in perms)

    def has_module_perms(self, app_label: str) -> bool:
        return any(p.startswith(f"{app_label}.") for p in self.perms)


def _text(value: Any) -> str:
    from django.utils.encoding import force_str

    text = " ".join(force_str(value or "").split())
    return text.replace("|", "\\|")


def _roles() -> tuple[list[str], dict[str, set[str]]]:
    from marketplace import roles

    declared = roles.declared_permissions()
    keys = list(roles.ROLE_NAMES)  # the declared order: columns stay put when rows change
    return keys, {k: set(declared.get(k, set())) for k in keys}


def _header(keys: list[str], first: list[str]) -> list[str]:
    from marketplace import roles

    cols = first + [roles.ROLE_NAMES[k] for k in keys]
    return ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]


def _cells(keys: list[str], perms: dict[str, set[str]], needed: list[str] | None) -> list[str]:
    if needed is None:  # decided in code, not by a permission: see the "how" column
        return ["" for _k in keys]
    return [YES if all(p in perms[k] for p in needed) else "" for k in keys]


# --- specs: the objects admins declare for buttons, actions and transitions -----------------


def _is_spec(obj: Any) -> bool:
    if isinstance(obj, type) or not hasattr(obj, "name") or not hasattr(obj, "label"):
        return False
    return any(
        isinstance(getattr(obj, attr, None), str) and getattr(obj, attr)
        for attr in ("permission", "method", "transition")
    )


def _fsm_permissions(model: Any, method_name: str) -> list[str] | None:
    """The permission(s) of a model's @transition (None when it names none)."""
    method = getattr(model, method_name, None)
    meta = getattr(method, "_django_fsm", None)
    if meta is None:
        return None
    found = sorted(
        {t.permission for t in meta.transitions.values() if isinstance(t.permission, str)}
    )
    return found or None


def _spec_permissions(spec: Any, model: Any) -> list[str] | None:
    permission = getattr(spec, "permission", None)
    if isinstance(permission, str) and permission:
        return [permission]
    for attr in ("method", "transition"):
        name = getattr(spec, attr, None)
        if isinstance(name, str) and name and model is not None:
            return _fsm_permissions(model, name)
    return None


def _closure_specs(func: Any) -> Iterator[Any]:
    """Specs an action function closes over (actions built from a spec by a factory)."""
    seen = set()
    stack = [func]
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        for cell in getattr(fn, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if _is_spec(value):
                yield value
            elif callable(value) and hasattr(value, "__closure__"):
                stack.append(value)
        wrapped = getattr(fn, "__wrapped__", None)
        if wrapped is not None:
            stack.append(wrapped)


# --- sections -------------------------------------------------------------------------------


def _registry() -> list[tuple[Any, Any]]:
    from django.contrib import admin

    return sorted(admin.site._registry.items(), key=lambda kv: kv[0]._meta.label)


def admin_actions(keys: list[str], perms: dict[str, set[str]]) -> list[str]:
    from django.test import RequestFactory

    factory = RequestFactory()
    lines = [
        "## Admin actions (change lists)",
        "",
        "An action is listed for a role when the admin offers it to that role (Django's "
        "`allowed_permissions` and the admin's own filtering) and the role holds the "
        "permission of the transition or service behind it. Superusers are offered every "
        "action; each action still refuses a row in the wrong state.",
        "",
        *_header(keys, ["model", "action", "permission"]),
    ]
    rows = []
    for model, model_admin in _registry():
        offered: dict[str, set[str]] = {}
        described: dict[str, Any] = {}
        for key in keys:
            request = factory.get("/admin/")
            request.user = RoleUser(perms[key])
            if not (
                model_admin.has_module_permission(request)
                and model_admin.has_view_or_change_permission(request)
            ):
                continue  # the role never reaches this change list
            for name, (func, _name, description) in model_admin.get_actions(request).items():
                offered.setdefault(name, set()).add(key)
                described[name] = (func, description)
        superuser = factory.get("/admin/")
        superuser.user = RoleUser(set())
        superuser.user.is_superuser = True
        superuser.user.has_perm = lambda perm, obj=None: True  # type: ignore[method-assign]
        for name, (func, _name, description) in model_admin.get_actions(superuser).items():
            described.setdefault(name, (func, description))
        for name, (func, description) in sorted(described.items()):
            specs = _closure_specs(func)
            needed = [p for spec in specs for p in _spec_permissions(spec, model) or []]
            django_perms = getattr(func, "allowed_permissions", ()) or ()
            shown = sorted(set(needed)) or [
                f"{model._meta.app_label}.{p}_{model._meta.model_name}"
                if p in ("add", "change", "delete", "view")
                else f"has_{p}_permission()"
                for p in django_perms
            ]
            try:
                description = str(description) % {
                    "verbose_name_plural": model._meta.verbose_name_plural
                }
            except (KeyError, TypeError, ValueError):
                pass
            cells = [
                YES
                if key in offered.get(name, set()) and all(p in perms[key] for p in needed)
                else ""
                for key in keys
            ]
            rows.append(
                [
                    model._meta.label,
                    f"`{name}` {_text(description)}",
                    ", ".join(f"`{p}`" for p in shown) or "—",
                    *cells,
                ]
            )
    lines += ["| " + " | ".join(r) + " |" for r in sorted(rows)]
    return lines


def _declared_specs() -> list[tuple[str, Any, Any]]:
    """(where, model, spec) for every spec list on a ModelAdmin class or in an admin module."""
    found: dict[int, tuple[str, Any, Any]] = {}
    modules: dict[str, list[tuple[Any, Any]]] = {}
    for model, model_admin in _registry():
        cls = type(model_admin)
        for klass in cls.__mro__:
            for attr, value in vars(klass).items():
                if attr.startswith("__") or not isinstance(value, list | tuple):
                    continue
                for spec in value:
                    if _is_spec(spec) and id(spec) not in found:
                        found[id(spec)] = (model._meta.label, model, spec)
        modules.setdefault(cls.__module__, []).append((model, cls))
    for module_name, admins in sorted(modules.items()):
        module = sys.modules[module_name]
        for attr, value in sorted(vars(module).items()):
            if isinstance(value, list | tuple | dict):
                values = list(value.values() if isinstance(value, dict) else value)
            else:
                values = [value]
            for spec in values:
                if _is_spec(spec) and id(spec) not in found:
                    model = _model_naming(admins, attr)
                    found[id(spec)] = (model._meta.label, model, spec)
    return sorted(found.values(), key=lambda t: (t[0], str(t[2].name)))


def _model_naming(admins: list[tuple[Any, Any]], name: str) -> Any:
    """The model whose admin class uses the module-level name (else the module's first)."""
    for model, cls in admins:
        try:
            if name in inspect.getsource(cls):
                return model
        except (OSError, TypeError):
            continue
    return admins[0][0]


def admin_buttons(keys: list[str], perms: dict[str, set[str]]) -> list[str]:
    lines = [
        "## Buttons and transitions on admin pages",
        "",
        "Each state change the admin offers as a button or reason page, with the permission "
        "it checks (declared once as a spec in the admin modules, listed under the model whose "
        "admin uses it).",
        "",
        *_header(keys, ["model", "name", "label", "permission"]),
    ]
    rows = []
    for label, model, spec in _declared_specs():
        needed = _spec_permissions(spec, model)
        rows.append(
            [
                label,
                f"`{spec.name}`",
                _text(spec.label),
                ", ".join(f"`{p}`" for p in needed) if needed else "decided in code",
                *_cells(keys, perms, needed),
            ]
        )
    lines += ["| " + " | ".join(r) + " |" for r in sorted(rows)]
    return lines


def fsm_transitions(keys: list[str], perms: dict[str, set[str]]) -> list[str]:
    from django.apps import apps
    from django_fsm import FSMFieldMixin

    lines = [
        "## State machine transitions",
        "",
        "Every `django_fsm` transition with the permission it declares. A transition without "
        "a permission is run only by services (the system, vendors through their own pages, "
        "or after another check).",
        "",
        *_header(keys, ["model.field", "transition", "from → to", "permission"]),
    ]
    rows = []
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        for field in model._meta.concrete_fields:
            if not isinstance(field, FSMFieldMixin):
                continue
            by_name: dict[str, list[Any]] = {}
            for transition in field.get_all_transitions(model):
                by_name.setdefault(transition.name, []).append(transition)
            for name, transitions in sorted(by_name.items()):
                sources = sorted({str(t.source) for t in transitions})
                targets = sorted({str(t.target) for t in transitions})
                permissions = sorted(
                    {t.permission for t in transitions if isinstance(t.permission, str)}
                )
                callable_perm = any(callable(t.permission) for t in transitions)
                needed = permissions or None
                shown = ", ".join(f"`{p}`" for p in permissions) or (
                    "decided in code" if callable_perm else "— (services only)"
                )
                rows.append(
                    [
                        f"{model._meta.label}.{field.name}",
                        f"`{name}`",
                        f"{', '.join(sources)} → {', '.join(targets)}",
                        shown,
                        *_cells(keys, perms, needed),
                    ]
                )
    lines += ["| " + " | ".join(r) + " |" for r in sorted(rows)]
    return lines


def _walk(patterns: Iterable[Any], prefix: str = "", namespace: str = "") -> Iterator:
    from django.urls import URLResolver

    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        else:
            yield namespace, prefix + str(entry.pattern), entry


def vendor_pages() -> list[str]:
    from django.urls import get_resolver

    lines = [
        "## Vendor pages (`/vendor/`)",
        "",
        "Every vendor page needs a logged-in staff account of a vendor and shows or changes "
        "only that vendor's rows (scoping selectors; other IDs are 404). No platform role "
        "reaches them. Pages that take a POST are actions.",
        "",
        "| URL name | path | takes POST | what it does |",
        "|---|---|---|---|",
    ]
    rows = []
    for namespace, route, entry in _walk(get_resolver().url_patterns):
        if namespace != "vendor" or not entry.name:
            continue
        view = inspect.unwrap(entry.callback)
        try:
            source = inspect.getsource(view)
        except (OSError, TypeError):
            source = ""
        posts = YES if '"POST"' in source or "require_POST" in source else ""
        doc = (inspect.getdoc(view) or "").split("\n\n")[0]
        rows.append([f"`vendor:{entry.name}`", f"`/{route}`", posts, _text(doc)])
    lines += ["| " + " | ".join(r) + " |" for r in sorted(rows)]
    return lines


def api_operations() -> list[str]:
    from django.urls import get_resolver

    from orders.models import ApiOperation
    from orders.models.accounts import SCOPE_PRESETS

    endpoints: dict[str, list[str]] = {}
    for _ns, route, entry in _walk(get_resolver().url_patterns):
        cls = getattr(entry.callback, "cls", None)
        operation = getattr(cls, "required_operation", "")
        if operation:
            methods = sorted(
                m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)
            )
            endpoints.setdefault(str(operation), []).append(f"{'/'.join(methods)} `/{route}`")
    presets = sorted(SCOPE_PRESETS)
    lines = [
        "## API operations (service-account tokens)",
        "",
        "A token (a service account) may call an endpoint only when the operation is among its "
        "own operations; the presets are the usual sets. Platform roles do not call the API; "
        "accounts and tokens are managed in the admin (`orders.ServiceAccount`).",
        "",
        "| operation | label | endpoints | " + " | ".join(f"preset `{p}`" for p in presets) + " |",
        "|" + "---|" * (3 + len(presets)),
    ]
    rows = []
    for op in ApiOperation:
        cells = [YES if op in SCOPE_PRESETS[p] else "" for p in presets]
        where = "<br>".join(sorted(endpoints.get(str(op.value), []))) or "—"
        rows.append([f"`{op.value}`", _text(op.label), where, *cells])
    lines += ["| " + " | ".join(r) + " |" for r in sorted(rows)]
    return lines


def roles_table(keys: list[str], perms: dict[str, set[str]]) -> list[str]:
    from marketplace import roles

    lines = [
        "## Roles",
        "",
        "| role | group (what reviewers see) | permissions |",
        "|---|---|---|",
    ]
    for key in keys:
        listed = ", ".join(f"`{p}`" for p in sorted(perms[key]))
        lines.append(
            f"| `{key}` {_text(roles.ROLE_LABELS[key])} | {roles.ROLE_NAMES[key]} | {listed} |"
        )
    return lines


def render() -> str:
    setup()
    from django.utils import translation

    with translation.override("en"):
        keys, perms = _roles()
        parts = [
            [
                "# Permissions: who may do what",
                "",
                "Generated by `python scripts/permissions.py` from the code (roles, admin "
                "registry, actions, transition specs, URL map, API operations); "
                "`tests/test_permissions_doc.py` fails when it is out of date. Do not edit by "
                "hand. Superusers may do everything the admin offers; history pages are "
                "read-only for everyone (issue 8 §1).",
            ],
            roles_table(keys, perms),
            admin_actions(keys, perms),
            admin_buttons(keys, perms),
            fsm_transitions(keys, perms),
            vendor_pages(),
            api_operations(),
        ]
    return "\n\n".join("\n".join(part) for part in parts) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 if stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run python scripts/permissions.py")
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
