"""The locked stock snapshot the engine allocates over, indexed once by article."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from .errors import InvalidAllocationInput
from .types import STATUS_REASON, ZERO, SerialUnit, ShortfallReason, StockBucket

_LAST_DAY = date.max

# A bucket with what the FEFO walk reads for every line, computed once per snapshot:
# its expiry as a day ordinal (remaining days = ordinal − delivery ordinal, no
# timedelta per bucket and line) and the reason its status excludes it, if any.
BucketEntry = tuple[StockBucket, int | None, ShortfallReason | None]


def fefo_key(bucket: StockBucket) -> tuple[date, date, int, int]:
    """Earliest expiry, then earliest receipt, then picking path, then id. A missing
    date sorts last; ids are unique, so the order is total."""
    return (
        bucket.expiry_date or _LAST_DAY,
        bucket.receipt_date or _LAST_DAY,
        bucket.picking_order,
        bucket.id,
    )


def serial_key(serial: SerialUnit) -> tuple[date, int, int]:
    """Serials: first received first out, then picking path, then id."""
    return (serial.receipt_date or _LAST_DAY, serial.picking_order, serial.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class StockSnapshot:
    """Stock buckets and serial units read under lock by the service.

    Invariants checked here: bucket ids are unique, serial ids are unique, and a serial
    number appears once per article (a unit cannot be in two places). Building the
    snapshot sorts each article's buckets in FEFO order once; allocations then only
    walk the buckets of the lines' articles. The snapshot is never modified: results
    report what they consumed, and :meth:`without` gives what is left.
    """

    buckets: tuple[StockBucket, ...] = ()
    serials: tuple[SerialUnit, ...] = ()
    _buckets_by_article: Mapping[int, tuple[StockBucket, ...]] = field(
        init=False, repr=False, compare=False
    )
    _serials_by_article: Mapping[int, tuple[SerialUnit, ...]] = field(
        init=False, repr=False, compare=False
    )
    _entries_by_article: Mapping[int, tuple[BucketEntry, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        errors: list[str] = []
        buckets = tuple(self.buckets)
        serials = tuple(self.serials)
        object.__setattr__(self, "buckets", buckets)
        object.__setattr__(self, "serials", serials)

        bucket_ids = {bucket.id for bucket in buckets}
        if len(bucket_ids) != len(buckets):
            errors.append("a bucket id appears twice in the snapshot")
        if len({serial.id for serial in serials}) != len(serials):
            errors.append("a serial id appears twice in the snapshot")
        seen: dict[tuple[int, str], int] = {}
        for serial in serials:
            key = (serial.article_id, serial.serial_number)
            if key in seen:
                errors.append(
                    f"serial {serial.serial_number} of article {serial.article_id} is in two "
                    f"places (serials {seen[key]} and {serial.id})"
                )
            seen[key] = serial.id
        if errors:
            raise InvalidAllocationInput(errors)

        by_article: dict[int, list[StockBucket]] = {}
        for bucket in buckets:
            by_article.setdefault(bucket.article_id, []).append(bucket)
        serials_by_article: dict[int, list[SerialUnit]] = {}
        for serial in serials:
            serials_by_article.setdefault(serial.article_id, []).append(serial)
        sorted_by_article = {
            article: tuple(sorted(rows, key=fefo_key)) for article, rows in by_article.items()
        }
        object.__setattr__(self, "_buckets_by_article", sorted_by_article)
        object.__setattr__(
            self,
            "_entries_by_article",
            {
                article: tuple(
                    (
                        bucket,
                        bucket.expiry_date.toordinal() if bucket.expiry_date else None,
                        STATUS_REASON.get(bucket.status),
                    )
                    for bucket in rows
                )
                for article, rows in sorted_by_article.items()
            },
        )
        object.__setattr__(
            self,
            "_serials_by_article",
            {
                article: tuple(sorted(rows, key=serial_key))
                for article, rows in serials_by_article.items()
            },
        )

    def buckets_for(self, article_id: int) -> tuple[StockBucket, ...]:
        """The article's buckets in FEFO order."""
        return self._buckets_by_article.get(article_id, ())

    def entries_for(self, article_id: int) -> tuple[BucketEntry, ...]:
        """The article's buckets in FEFO order with their precomputed walk data."""
        return self._entries_by_article.get(article_id, ())

    def serials_for(self, article_id: int) -> tuple[SerialUnit, ...]:
        """The article's serial units in picking order."""
        return self._serials_by_article.get(article_id, ())

    def without(
        self, consumed: Mapping[int, Decimal], serials_allocated: Iterable[int] = ()
    ) -> StockSnapshot:
        """The snapshot left after a result: ``consumed`` quantities taken off their
        buckets (a bucket reaching zero stays, empty), allocated serials removed."""
        unknown = set(consumed) - {bucket.id for bucket in self.buckets}
        if unknown:
            raise InvalidAllocationInput([f"unknown bucket ids consumed: {sorted(unknown)}"])
        taken = frozenset(serials_allocated)
        buckets = tuple(
            replace(bucket, quantity_available=bucket.quantity_available - consumed[bucket.id])
            if consumed.get(bucket.id, ZERO)
            else bucket
            for bucket in self.buckets
        )
        serials = tuple(serial for serial in self.serials if serial.id not in taken)
        return StockSnapshot(buckets=buckets, serials=serials)
