//! Patching: lower a binary's version requirements to a baseline. A pure [`plan`] decides;
//! applying it is mechanical; the result is verified before anything is written.

mod plan;
pub mod renames;

pub use plan::{plan, plan_requirements, Blocker, How, Plan, PlanError, SymbolChange, VersionRef};
