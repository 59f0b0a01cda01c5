"""Which products a price change reaches: the production graph reversed (item -> the products
whose recipes use it, through any of their recipes), walked upwards. A change to an item's price
touches its own row and the row of every product whose chain contains it, however deep.

Rows are for items manufactured or reacted (``products``); blueprint copies, which copying and
invention make, get none: their cost is in the rows of what they build. An invented item's row
also reads what its invention is priced on beyond its chain: the Tech I item's manufacturing
inputs (the copying job's value), every decryptor (the cheapest is chosen) and its Tech II
blueprint's own price (a copy bought instead of invented).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from domain.catalog.chains import ProductionGraph
from domain.catalog.invention import Invention


class Dependents:
    def __init__(
        self,
        graph: ProductionGraph,
        inventions: Mapping[int, Invention] | None = None,
        decryptors: Iterable[int] = (),
    ) -> None:
        self.catalog_version = graph.catalog_version
        self.products = frozenset(
            product for product in graph.products() if any(step.kind.builds for step in graph.alternatives(product))
        )
        self._users: dict[int, set[int]] = {}
        for product in graph.products():
            for step in graph.alternatives(product):
                for material in step.inputs:
                    self._users.setdefault(material.type_id, set()).add(product)
        decryptor_ids = tuple(decryptors)
        for product, invention in (inventions or {}).items():
            read = (
                *(material.type_id for material in invention.copied_materials),
                *(material.type_id for material in invention.materials),
                *decryptor_ids,
                invention.invented_blueprint_id,
            )
            for item in read:
                self._users.setdefault(item, set()).add(product)

    def of(self, items: Iterable[int]) -> set[int]:
        """The products whose figures read any of ``items``."""
        stack = list(items)
        reached = set(stack)
        while stack:
            for user in self._users.get(stack.pop(), ()):
                if user not in reached:
                    reached.add(user)
                    stack.append(user)
        return reached & self.products
