//! Probing: the plan of facts a rule set needs and the executors that gather them.

pub mod command;
pub mod facts;
pub mod families;
pub mod homes;
pub mod native;
pub mod packages;
pub mod paths;
pub mod plan;
pub mod shell;
pub mod sources;
pub mod ssh;
pub mod timings;
pub mod untrusted_db;

pub use facts::Facts;
pub use plan::ProbePlan;
pub use timings::Timings;
