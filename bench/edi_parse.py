"""Parse-only throughput of the EDIFACT codec against pydifact (no database).

Builds, with our own ORDERS builder, one UNOC interchange of 1,000 ORDERS messages of
20 lines each (GTIN, supplier article, description, ordered quantity, units per pack,
net and gross prices, line amount; one line in five with a per-store split), written
one segment per line as retail partners send them. Then reads it:

* ``ours``      — ``parse_interchanges(bytes)``: interchange split, decoding by the
  syntax identifier, our tokenizer and every envelope check (UNB/UNZ, UNH/UNT);
* ``tokenizer`` — our tokenizer alone on the decoded text (for reference);
* ``pydifact``  — ``pydifact.Parser().parse(text)`` on the same decoded text, which
  only tokenizes.

Each reading is timed several times in CPU time of this process (so that other
work on the machine does not blur the ratio) and the best run is kept; both readings
are checked to give the same segments. Prints MB/s for each and the ratio, and ends with
one JSON line: ``{"parse_mb_s": <ours>, "pydifact_mb_s": <pydifact>}`` (issue 6
target: ours ≥ 6 × pydifact).

Run: .venv/bin/python bench/edi_parse.py
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edi.eancom.codec import encode_interchange, parse_interchanges, tokenize_with_pydifact  # noqa: E402
from edi.eancom.envelope import (  # noqa: E402
    ORDERS_D96A,
    InterchangeHeader,
    OutboundMessage,
    PartyIdentification,
)
from edi.eancom.messages import (  # noqa: E402
    OrderFunction,
    OrderLine,
    Orders,
    Party,
    Price,
    Reference,
    StoreSplit,
    build_orders,
)
from edi.eancom.messages.common import gs1_check_digit_valid  # noqa: E402
from edi.eancom.tokenizer import tokenize  # noqa: E402

MESSAGES = 1_000
LINES = 20


def with_check_digit(body: str) -> str:
    return next(
        body + str(digit) for digit in range(10) if gs1_check_digit_valid(body + str(digit))
    )


def build_interchange() -> bytes:
    gtins = [with_check_digit(f"301234{index:06d}") for index in range(500)]
    stores = [with_check_digit(f"302000{index:06d}") for index in range(1, 9)]
    messages = []
    for number in range(MESSAGES):
        lines = []
        for index in range(LINES):
            quantity = Decimal(6 * (1 + (number + index) % 12))
            net = Decimal(f"{3 + (number * 7 + index * 13) % 40}.{(number + index) % 100:02d}00")
            splits = ()
            if index % 5 == 0:
                half = quantity / 2
                splits = (
                    StoreSplit(stores[index % 8], half),
                    StoreSplit(stores[(index + 3) % 8], half),
                )
            lines.append(
                OrderLine(
                    line_number=str(index + 1),
                    gtin=gtins[(number * LINES + index) % len(gtins)],
                    supplier_article=f"ART{(number * LINES + index) % 500:05d}",
                    description=f"ARTICLE DE DEMONSTRATION NUMERO {index + 1:03d} L'ORIGINAL",
                    quantity=quantity,
                    units_per_pack=Decimal(6),
                    net_price=Price(net),
                    gross_price=Price(net + Decimal("1.2500")),
                    line_amount=(quantity * net).quantize(Decimal("0.01")),
                    store_splits=splits,
                )
            )
        order = Orders(
            document_number=f"PO-{number:08d}",
            function=OrderFunction.ORIGINAL,
            order_date=date(2024, 3, 15),
            requested_delivery=date(2024, 3, 20),
            references=(Reference("CT", "CTR-2024-17"),),
            parties=(
                Party("BY", "3020000000005"),
                Party("SU", "3012345000000"),
                Party("DP", "3020000001002"),
                Party("IV", "3020000000012"),
            ),
            currency="EUR",
            lines=tuple(lines),
        )
        messages.append(OutboundMessage(str(number + 1), ORDERS_D96A, build_orders(order)))
    header = InterchangeHeader(
        sender=PartyIdentification("3020000000005", "14"),
        recipient=PartyIdentification("3012345000000", "14"),
        control_reference="BENCH0001",
        prepared_at=datetime(2024, 3, 15, 10, 30),
    )
    return encode_interchange(header, messages, line_breaks=True)


def best_of(runs: int, function: Callable[[], object]) -> tuple[float, object]:
    best = float("inf")
    result: object = None
    for _ in range(runs):
        gc.collect()
        started = time.process_time()
        result = function()
        best = min(best, time.process_time() - started)
    return best, result


def main() -> None:
    started = time.perf_counter()
    data = build_interchange()
    text = data.decode("latin-1")
    megabytes = len(data) / 1_000_000
    print(
        f"interchange: {MESSAGES} ORDERS x {LINES} lines, {megabytes:.2f} MB, built in {time.perf_counter() - started:.1f} s"
    )

    ours_seconds, result = best_of(5, lambda: parse_interchanges(data))
    assert result.accepted and len(result.interchanges[0].messages) == MESSAGES  # type: ignore[attr-defined]
    tokenizer_seconds, our_segments = best_of(5, lambda: tokenize(text))
    pydifact_seconds, their_segments = best_of(2, lambda: tokenize_with_pydifact(text))
    assert our_segments == their_segments, "the two tokenizers disagree"
    segment_count = len(our_segments)  # type: ignore[arg-type]

    ours = megabytes / ours_seconds
    tokenizer = megabytes / tokenizer_seconds
    pydifact = megabytes / pydifact_seconds
    print(f"segments: {segment_count:,}")
    print(
        f"ours (codec: split, decode, tokenize, envelope checks): {ours_seconds:.3f} s  {ours:.2f} MB/s"
    )
    print(
        f"ours (tokenizer only):                                 {tokenizer_seconds:.3f} s  {tokenizer:.2f} MB/s"
    )
    print(
        f"pydifact Parser().parse:                               {pydifact_seconds:.3f} s  {pydifact:.2f} MB/s"
    )
    print(
        f"ratio codec / pydifact: {ours / pydifact:.1f}x (target >= 6x); tokenizer / pydifact: {tokenizer / pydifact:.1f}x"
    )
    print(json.dumps({"parse_mb_s": round(ours, 2), "pydifact_mb_s": round(pydifact, 2)}))


if __name__ == "__main__":
    main()
