"""First-match rule evaluation, exactly as kube-apiserver's policy checker decides.

Rules are compiled once into sets and prefix tuples; decisions are cached per distinct
request shape. Evaluation is a pure function of the attributes, and the cache key keeps
only what this policy can look at (a policy without ``resourceNames`` never looks at
names, one without ``nonResourceURLs`` never at paths), so a log with a million distinct
object names still produces few distinct keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .attributes import RequestAttributes, RequestFields, attributes_from_fields
from .model import Policy, PolicyRule

__all__ = ["Decision", "Evaluator"]

_CACHE_LIMIT = 1 << 20


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of evaluating a policy for one request.

    Attributes:
        rule: 1-based number of the matching rule, or None when no rule matched.
        level: the audit level; "None" both for a rule at None and for no match.
        omit_stages: stages never written for this request (policy ∪ rule).
        omit_managed_fields: whether bodies lose ``metadata.managedFields``.
    """

    rule: int | None
    level: str
    omit_stages: frozenset[str]
    omit_managed_fields: bool

    def logged(self, stage: str) -> bool:
        """Whether kube-apiserver would write the event of ``stage`` for this request."""
        return self.level != "None" and stage not in self.omit_stages


class _Entry:
    """One compiled ``resources:`` entry."""

    __slots__ = ("group", "any_resource", "names", "star", "exact", "subs", "parents")

    def __init__(self, group: str, resources: Sequence[str], names: Sequence[str]) -> None:
        self.group = group
        self.any_resource = not resources
        self.names = frozenset(names) if names else None
        self.star = "*" in resources
        self.exact = frozenset(resources)
        self.subs = frozenset(r[2:] for r in resources if r.startswith("*/"))
        self.parents = frozenset(r[:-2] for r in resources if r.endswith("/*"))

    def matches(self, group: str, resource: str, combined: str, sub: str, name: str) -> bool:
        if self.group != group and self.group != "*":
            return False
        if self.any_resource:
            return True
        if self.names is not None and name not in self.names:
            return False
        return (
            self.star
            or combined in self.exact
            or (sub != "" and sub in self.subs)
            or resource in self.parents
        )


_ANY, _RESOURCE, _NON_RESOURCE = 0, 1, 2


class _Rule:
    """One compiled rule; None for a field means "no restriction"."""

    __slots__ = (
        "users",
        "groups",
        "verbs",
        "kind",
        "namespaces",
        "entries",
        "url_star",
        "url_exact",
        "url_prefixes",
    )

    def __init__(self, rule: PolicyRule) -> None:
        self.users = frozenset(rule.users) if rule.users else None
        self.groups = frozenset(rule.user_groups) if rule.user_groups else None
        self.verbs = frozenset(rule.verbs) if rule.verbs else None
        self.namespaces = frozenset(rule.namespaces) if rule.namespaces else None
        self.entries = (
            tuple(_Entry(e.group, e.resources, e.resource_names) for e in rule.resources)
            if rule.resources
            else None
        )
        if rule.namespaces or rule.resources:
            self.kind = _RESOURCE
        elif rule.non_resource_urls:
            self.kind = _NON_RESOURCE
        else:
            self.kind = _ANY
        urls = rule.non_resource_urls
        self.url_star = "*" in urls
        self.url_exact = frozenset(urls)
        self.url_prefixes = tuple(u.rstrip("*") for u in urls if u.endswith("*"))


class Evaluator:
    """Evaluates one policy; cached per distinct request shape.

    Use :meth:`evaluate` with :class:`RequestAttributes`, or :meth:`evaluate_fields` with
    the raw strings an event index stores (cheaper: on a cache hit no attributes object is
    built and no URL is parsed).
    """

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._rules = tuple(_Rule(rule) for rule in policy.rules)
        self._decisions = tuple(
            Decision(
                index + 1,
                rule.level,
                frozenset(policy.omit_stages) | frozenset(rule.omit_stages),
                policy.omit_managed_fields
                if rule.omit_managed_fields is None
                else rule.omit_managed_fields,
            )
            for index, rule in enumerate(policy.rules)
        )
        self.no_match = Decision(
            None, "None", frozenset(policy.omit_stages), policy.omit_managed_fields
        )
        rules = policy.rules
        self._uses_users = any(r.users for r in rules)
        self._uses_groups = any(r.user_groups for r in rules)
        self._uses_user = self._uses_users or self._uses_groups
        self._uses_namespaces = any(r.namespaces for r in rules)
        self._uses_paths = any(
            r.non_resource_urls for r in rules if not (r.namespaces or r.resources)
        )
        name_groups = {e.group for r in rules for e in r.resources if e.resource_names}
        self._names_any_group = "*" in name_groups
        self._name_groups = frozenset(name_groups)
        self._cache: dict[tuple[object, ...], Decision] = {}
        self._fields_cache: dict[tuple[object, ...], Decision] = {}
        self.misses = 0
        """Cache misses so far (each one an uncached evaluation)."""

    @property
    def uses_names(self) -> bool:
        """Whether any rule lists resourceNames (else a request's name never matters)."""
        return bool(self._name_groups)

    @property
    def uses_paths(self) -> bool:
        """Whether any rule can look at a non-resource URL path."""
        return self._uses_paths

    # -- uncached -----------------------------------------------------------------------------

    def match_index(self, attrs: RequestAttributes) -> int | None:
        """0-based index of the first matching rule, or None."""
        user = attrs.user
        verb = attrs.verb
        is_resource = attrs.is_resource
        combined: str | None = None
        for index, rule in enumerate(self._rules):
            if rule.users is not None and (user is None or user not in rule.users):
                continue
            if rule.groups is not None and (user is None or rule.groups.isdisjoint(attrs.groups)):
                continue
            if rule.verbs is not None and verb not in rule.verbs:
                continue
            kind = rule.kind
            if kind == _RESOURCE:
                if not is_resource:
                    continue
                if rule.namespaces is not None and attrs.namespace not in rule.namespaces:
                    continue
                if rule.entries is not None:
                    if combined is None:
                        sub = attrs.subresource
                        combined = f"{attrs.resource}/{sub}" if sub else attrs.resource
                    group, resource, sub, name = (
                        attrs.api_group,
                        attrs.resource,
                        attrs.subresource,
                        attrs.name,
                    )
                    if not any(
                        e.matches(group, resource, combined, sub, name) for e in rule.entries
                    ):
                        continue
            elif kind == _NON_RESOURCE:
                if is_resource:
                    continue
                path = attrs.path
                if not (
                    rule.url_star
                    or path in rule.url_exact
                    or (rule.url_prefixes and path.startswith(rule.url_prefixes))
                ):
                    continue
            return index
        return None

    def evaluate_uncached(self, attrs: RequestAttributes) -> Decision:
        """Evaluate without touching the cache."""
        index = self.match_index(attrs)
        return self.no_match if index is None else self._decisions[index]

    # -- cached ---------------------------------------------------------------------------------
    #
    # The key keeps only what this policy can look at: the user name only if some rule has
    # ``users``, the groups only if some rule has ``userGroups`` (and whether there is a
    # user at all if either), the namespace only if some rule has ``namespaces``, the name
    # only for groups some ``resourceNames`` entry names, the path only if some rule has
    # ``nonResourceURLs``. Both methods below build it inline: this is the hot path of
    # indexing, where a function call per event is a measurable share of the cost.

    def evaluate(self, attrs: RequestAttributes) -> Decision:
        """The decision for ``attrs``: rule, level, omitted stages, managed fields."""
        user = attrs.user
        if self._uses_user:
            user_key: object = user if self._uses_users else user is None
            groups_key: object = attrs.groups if self._uses_groups and user is not None else None
        else:
            user_key = groups_key = None
        if attrs.is_resource:
            group = attrs.api_group
            key: tuple[object, ...] = (
                user_key,
                groups_key,
                attrs.verb,
                attrs.namespace if self._uses_namespaces else "",
                group,
                attrs.resource,
                attrs.subresource,
                attrs.name if self._names_any_group or group in self._name_groups else "",
            )
        else:
            key = (user_key, groups_key, attrs.verb, attrs.path if self._uses_paths else None)
        decision = self._cache.get(key)
        if decision is None:
            self.misses += 1
            decision = self.evaluate_uncached(attrs)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = decision
        return decision

    def evaluate_fields(self, fields: RequestFields) -> Decision:
        """Like ``evaluate(attributes_from_fields(fields))``, without building attributes on a
        hit.

        The key uses the raw URI path (no query) where the decoded path or a create's URL
        name would be needed; raw paths that decode alike just take separate entries.
        """
        user = fields.user
        groups = fields.groups
        if user == "" and not groups:
            user = None
        if groups.__class__ is not tuple:
            groups = tuple(groups)
        verb = fields.verb
        if self._uses_user:
            user_key: object = user if self._uses_users else user is None
            groups_key: object = groups if self._uses_groups and user is not None else None
        else:
            user_key = groups_key = None
        if fields.is_resource:
            api_group = fields.api_group
            if self._names_any_group or api_group in self._name_groups:
                name_key = fields.request_uri.partition("?")[0] if verb == "create" else fields.name
            else:
                name_key = ""
            key: tuple[object, ...] = (
                user_key,
                groups_key,
                verb,
                fields.namespace if self._uses_namespaces else "",
                api_group,
                fields.resource,
                fields.subresource,
                name_key,
            )
        else:
            path_key = fields.request_uri.partition("?")[0] if self._uses_paths else None
            key = (user_key, groups_key, verb, path_key)
        decision = self._fields_cache.get(key)
        if decision is None:
            self.misses += 1
            decision = self.evaluate_uncached(attributes_from_fields(fields))
            if len(self._fields_cache) >= _CACHE_LIMIT:
                self._fields_cache.clear()
            self._fields_cache[key] = decision
        return decision

    def clear_cache(self) -> None:
        """Forget every cached decision (for benchmarks; a policy never changes)."""
        self._cache.clear()
        self._fields_cache.clear()
