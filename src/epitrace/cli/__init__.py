"""The `epitrace` command line: parse, call `epitrace.app`, format."""
