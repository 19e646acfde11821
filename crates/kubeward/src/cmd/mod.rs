//! Subcommands other than `scan`, `rules` and `explain`, one module each.
