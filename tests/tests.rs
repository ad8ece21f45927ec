//! Integration tests: the real `drift` binary run in a temp dir, outputs pinned with insta.

mod fault_proxy;
mod harness;
mod support;

mod accounting;
mod checklist;
mod cli;
mod conformance;
mod deployment;
mod errors;
mod example;
mod fleet;
mod fuzz_replay;
mod history;
mod html_report;
mod iam_policy;
mod ignores;
mod injection;
mod live;
mod msrv;
mod patch;
mod policy_eval;
mod report_schema;
mod roots;
mod rules;
mod sarif;
mod scenarios;
mod sensitive;
mod terraform_oracle;
mod three_way;
