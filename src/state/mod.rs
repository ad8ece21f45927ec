//! The Terraform state: reading it (`tfstate`: the state file as the snapshot shape, the
//! attributes it records, its outputs) and the three-way view it gives (`three_way`: what
//! `terraform apply` would do with each finding). Reads states only; never writes, locks or
//! pulls one.

pub mod tfstate;
pub mod three_way;
