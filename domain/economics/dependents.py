"""Which products a price change reaches: the production graph reversed (item -> the products
whose recipes use it, through any of their recipes), walked upwards. A change to an item's price
touches its own row and the row of every product whose chain contains it, however deep."""

from __future__ import annotations

from collections.abc import Iterable

from domain.catalog.chains import ProductionGraph


class Dependents:
    def __init__(self, graph: ProductionGraph) -> None:
        self.catalog_version = graph.catalog_version
        self.products = frozenset(graph.products())
        self._users: dict[int, set[int]] = {}
        for product in self.products:
            for step in graph.alternatives(product):
                for material in step.materials:
                    self._users.setdefault(material.type_id, set()).add(product)

    def of(self, items: Iterable[int]) -> set[int]:
        """The products whose figures read any of ``items``."""
        stack = list(items)
        reached = {item for item in stack if item in self.products}
        while stack:
            for user in self._users.get(stack.pop(), ()):
                if user not in reached:
                    reached.add(user)
                    stack.append(user)
        return reached
