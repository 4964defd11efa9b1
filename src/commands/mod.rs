//! One module per subcommand.

pub mod state;
