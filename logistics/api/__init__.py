"""The REST API of logistics: stock reads, stock documents and commands."""
