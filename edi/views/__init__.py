"""Browser screens of the EDI gateway: the exchange monitor and the partner screens."""
